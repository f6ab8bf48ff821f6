"""Hybrid search: dense (Chroma HNSW) + lexical (BM25) candidates, fused by :mod:`retrieval.fusion`.

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
from retrieval.fusion import (
    SHIPPED,
    Fusion,
    SentenceVectors,
    dense_scores,
    fuse,
    reciprocal_rank_fusion,
)
from retrieval.lexical import LexicalIndex
from retrieval.store import PaperStore

Mode = Literal["hybrid", "dense", "lexical"]
EXACT_LIMIT = 20_000
ALWAYS_EXACT = 5_000  # stores this small are scored exactly: as fast as HNSW, and never approximate


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
        sentences: SentenceVectors | None = None,
        fusion: Fusion = SHIPPED,
    ) -> None:
        """``sentences`` gives papers' sentence vectors (the MaxSim signal; without it the
        dense side keeps the whole-paper cosine); ``fusion`` says how the sides are combined."""
        self._store = store
        self._catalogue = catalogue
        self._lexical = lexical
        self._sentences = sentences
        self.fusion = fusion

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

    def fuse(
        self,
        dense: Candidates,
        lexical: Candidates,
        mode: Mode,
        text: str | None = None,
        vector: np.ndarray | None = None,
    ) -> Candidates:
        """Combine both candidate lists according to ``mode`` (see :mod:`retrieval.fusion`).

        ``vector`` (the question's, or the example paper's) turns on the sentence signal;
        ``text`` (what BM25 searched) sets BM25's weight by its coverage of the question."""
        if mode == "dense":
            return dense
        if mode == "lexical":
            return lexical
        fusion = self.fusion
        ranked = dense.ranked
        if fusion.rescores and vector is not None and self._sentences is not None and ranked:
            lexical_ids = lexical.ids
            ranked = dense_scores(
                fusion, vector, ranked, lexical_ids, self._store.vectors, self._sentences
            )
        coverage = 1.0
        if text and fusion.coverage_power and lexical.ranked:
            coverage = self._lexical().coverage(text)
        best = max((score for _, score in dense.ranked), default=0.0)
        return Candidates(fuse(fusion, ranked, lexical.ranked, coverage, best))


__all__ = ["Candidates", "HybridSearch", "Mode", "reciprocal_rank_fusion"]
