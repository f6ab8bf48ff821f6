"""Hybrid search: dense (Chroma HNSW) + lexical (BM25) candidates fused by reciprocal rank.

Filters are applied with the in-memory :class:`Catalogue`: without a filter the dense side is a
plain HNSW top-k (stores of at most 5,000 papers are scored exactly instead); with a selective
filter the allowed papers are scored exactly (their vectors are fetched once and cached); with a
broad filter HNSW is over-sampled and post-filtered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from retrieval.catalogue import Catalogue
from retrieval.lexical import LexicalIndex
from retrieval.store import PaperStore

Mode = Literal["hybrid", "dense", "lexical"]
RRF_K = 60
EXACT_LIMIT = 20_000
ALWAYS_EXACT = 5_000  # stores this small are scored exactly: as fast as HNSW, and never approximate


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


@dataclass
class Candidates:
    """Ranked candidate ids with a score each, best first."""

    ranked: list[tuple[str, float]]

    @property
    def ids(self) -> list[str]:
        """The ids in rank order."""
        return [pid for pid, _ in self.ranked]


class HybridSearch:
    """Candidate generation and fusion over one store, its catalogue and its BM25 index."""

    def __init__(
        self,
        store: PaperStore,
        catalogue: Callable[[], Catalogue],
        lexical: Callable[[], LexicalIndex],
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
    ) -> None:
        self._store = store
        self._catalogue = catalogue
        self._lexical = lexical
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight

    def dense(self, vector: np.ndarray, k: int, keep: np.ndarray | None) -> Candidates:
        """Top-k by cosine similarity among the papers allowed by ``keep``."""
        if keep is None:
            catalogue = self._catalogue()
            if 0 < len(catalogue) <= ALWAYS_EXACT:
                everything = np.ones(len(catalogue), dtype=bool)
                return Candidates(self._exact(vector, k, catalogue, everything))
            return Candidates(self._store.nearest(vector, k))
        allowed = int(keep.sum())
        if allowed == 0:
            return Candidates([])
        catalogue = self._catalogue()
        if allowed <= EXACT_LIMIT:
            return Candidates(self._exact(vector, k, catalogue, keep))
        oversample = min(len(catalogue), int(k * len(catalogue) / allowed * 2) + k)
        allowed_ids = set(catalogue.ids_where(keep))
        hits = [h for h in self._store.nearest(vector, oversample) if h[0] in allowed_ids]
        if len(hits) >= k:
            return Candidates(hits[:k])
        return Candidates(self._exact(vector, k, catalogue, keep))

    def _exact(
        self, vector: np.ndarray, k: int, catalogue: Catalogue, keep: np.ndarray
    ) -> list[tuple[str, float]]:
        positions, sims = catalogue.scores(vector, keep, self._store.vectors)
        top = np.argsort(-sims)[:k]
        return [(catalogue.ids[positions[i]], float(sims[i])) for i in top]

    def lexical(self, text: str, k: int, keep: np.ndarray | None) -> Candidates:
        """Top-k by BM25 among allowed papers."""
        index = self._lexical()
        mask = None
        if keep is not None:
            catalogue = self._catalogue()
            if index.ids == catalogue.ids:
                mask = keep.astype(np.float32)
            else:
                mask = index.mask(set(catalogue.ids_where(keep)))
        return Candidates(index.search(text, k, allowed=mask))

    def fuse(self, dense: Candidates, lexical: Candidates, mode: Mode) -> Candidates:
        """Combine both candidate lists according to ``mode``."""
        if mode == "dense":
            return dense
        if mode == "lexical":
            return lexical
        if not lexical.ranked:
            return dense
        return Candidates(
            reciprocal_rank_fusion(
                [dense.ids, lexical.ids], [self.dense_weight, self.lexical_weight]
            )
        )
