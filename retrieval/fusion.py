"""Fusing dense and BM25 candidates into one ranking, with the sentence signal (MaxSim).

The dense side of a hybrid search is re-scored before fusion: a candidate's dense score is a mix
of the whole-paper cosine and **MaxSim**, the best cosine between the question and any one of the
paper's sentences (its title or an abstract sentence), so a paper whose single sentence answers
the question is not drowned by the rest of its abstract. The re-scored dense ranking and the BM25
ranking are then fused by reciprocal rank, BM25 weighted by its **coverage** of the question
(the IDF-weighted share of the question's terms it knows), so a question whose rare words BM25
has never seen (typos, "halucination in vision languge models") cannot let BM25's matches on the
remaining common words push dense's right answers down.

The shipped configuration is :data:`SHIPPED`; :data:`TODAY` is the plain reciprocal rank fusion
this replaced (kept for the quality benchmark). See ``bench/quality/README.md`` for the numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

RRF_K = 60
SentenceVectors = Callable[[Sequence[str]], dict[str, tuple[list[str], np.ndarray]]]
PaperVectors = Callable[[Sequence[str]], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Fusion:
    """How the dense and BM25 rankings are combined.

    ``maxsim``: share of MaxSim in the dense score, ``(1 - maxsim) * cosine + maxsim * MaxSim``
    (0 keeps the whole-paper cosine alone). ``depth``: how many candidates of each side are
    re-scored that way (the rest of the dense list follows them in its own order).
    ``lexical_pool``: also re-score BM25's top ``depth`` papers that dense did not find (they
    then enter the dense ranking; measured worse on CSFCube, so off).
    ``coverage_power``: BM25's weight is ``lexical_weight * coverage ** coverage_power`` (0: the
    weight does not depend on coverage). ``dense_floor``: below this best cosine dense is noise
    too (a word the model does not know, like "Hyena"), and its weight becomes
    ``best cosine / dense_floor`` (0: off; 0.25 is the floor :mod:`retrieval.evidence`
    calibrated). ``k``: the reciprocal rank constant.
    """

    maxsim: float = 0.3
    depth: int = 50
    lexical_pool: bool = False
    coverage_power: float = 2.0
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    dense_floor: float = 0.25
    k: int = RRF_K

    @property
    def rescores(self) -> bool:
        """Whether the dense side is re-scored with the sentence signal."""
        return self.maxsim > 0


TODAY = Fusion(maxsim=0.0, coverage_power=0.0, dense_floor=0.0)
SHIPPED = Fusion()


def reciprocal_rank_fusion(
    rankings: list[list[str]], weights: list[float] | None = None, k: int = RRF_K
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score(d) = sum_i w_i / (k + rank_i(d)), best first."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, pid in enumerate(ranking, start=1):
            scores[pid] = scores.get(pid, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def maxsim_scores(
    vector: np.ndarray, ids: Sequence[str], sentences: SentenceVectors
) -> dict[str, float]:
    """MaxSim of each paper: the best cosine between ``vector`` and one of its sentences.

    Papers without sentence vectors are left out."""
    found = sentences(list(ids))
    return {pid: float(np.max(rows @ vector)) for pid, (_, rows) in found.items() if len(rows)}


def dense_scores(
    fusion: Fusion,
    vector: np.ndarray,
    dense: Sequence[tuple[str, float]],
    lexical_ids: Sequence[str],
    papers: PaperVectors,
    sentences: SentenceVectors,
) -> list[tuple[str, float]]:
    """The dense ranking re-scored with MaxSim: the top ``depth`` of each side, best first,
    then the remaining dense candidates in their own order (below every re-scored one)."""
    cosine = dict(dense)
    pool = [pid for pid, _ in dense[: fusion.depth]]
    if fusion.lexical_pool:
        pool += [pid for pid in lexical_ids[: fusion.depth] if pid not in cosine]
    unknown = [pid for pid in pool if pid not in cosine]
    if unknown:
        cosine.update((pid, float(vec @ vector)) for pid, vec in papers(unknown).items())
    best = maxsim_scores(vector, pool, sentences)
    scored = []
    for pid in pool:
        if pid not in cosine:
            continue
        sentence = best.get(pid, cosine[pid])
        scored.append((pid, (1 - fusion.maxsim) * cosine[pid] + fusion.maxsim * sentence))
    scored.sort(key=lambda item: (-item[1], item[0]))
    placed = {pid for pid, _ in scored}
    return scored + [(pid, score) for pid, score in dense if pid not in placed]


def fuse(
    fusion: Fusion,
    dense: Sequence[tuple[str, float]],
    lexical: Sequence[tuple[str, float]],
    coverage: float,
    best_cosine: float = 1.0,
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion of the (re-scored) dense and the BM25 rankings, BM25 weighted by
    its ``coverage`` of the question and dense by its ``best_cosine`` (see :class:`Fusion`)."""
    if not lexical:
        return list(dense)
    if not dense:
        return list(lexical)
    weight = fusion.lexical_weight * (coverage**fusion.coverage_power)
    dense_weight = fusion.dense_weight
    if fusion.dense_floor > 0:
        dense_weight *= min(1.0, max(best_cosine, 0.0) / fusion.dense_floor)
    rankings = [[pid for pid, _ in dense], [pid for pid, _ in lexical]]
    return reciprocal_rank_fusion(rankings, [dense_weight, weight], fusion.k)
