"""Ranking metrics for the quality benchmark: pure functions over id lists and graded judgments.

Conventions (the same as trec_eval and CSFCube's ``rank_metrics.py``): linear gain, discount
``log2(rank + 1)``, the ideal ranking built from every judged document, grade 0 = not relevant.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with linear gain: sum of rel_i / log2(i + 1), i from 1."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """nDCG@k of a ranked id list against graded judgments (0.0 when nothing is relevant)."""
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([max(qrels.get(doc, 0), 0) for doc in ranked[:k]]) / ideal


def recall_at_k(
    ranked: Sequence[str], qrels: Mapping[str, int], k: int, min_grade: int = 1
) -> float:
    """Share of the relevant documents (grade >= ``min_grade``) found in the top ``k``."""
    relevant = {doc for doc, g in qrels.items() if g >= min_grade}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], qrels: Mapping[str, int], k: int, min_grade: int = 1) -> float:
    """Reciprocal rank of the first relevant document in the top ``k`` (0.0 when none)."""
    for rank, doc in enumerate(ranked[:k], start=1):
        if qrels.get(doc, 0) >= min_grade:
            return 1.0 / rank
    return 0.0


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean rounded to 4 places (0.0 for an empty list)."""
    return round(statistics.fmean(values), 4) if values else 0.0
