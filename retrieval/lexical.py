"""BM25 index (bm25s) over the same papers as the Chroma store, saved next to it.

The index records the store revision it was built from; :class:`retrieval.index.PaperIndex`
rebuilds it whenever the store has moved on (an ingest here or in another process).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

log = logging.getLogger(__name__)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, best first, ties by position.

    One partial sort of the score array: ``bm25s.BM25.retrieve`` did the same work in 39 ms at
    240k papers (a thread pool per call and a full-size selection), this in under 3 ms."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return top[np.lexsort((top, -scores[top]))]


class LexicalIndex:
    """BM25 over title + abstract with English stemming and stop words."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None, revision: int) -> None:
        self.ids = ids
        self.revision = revision
        self._retriever = retriever
        self._stemmer = Stemmer.Stemmer("english")
        self._position = {pid: i for i, pid in enumerate(ids)}

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], revision: int) -> LexicalIndex:
        """Index ``texts`` (one per id)."""
        stemmer = Stemmer.Stemmer("english")
        if not ids:
            return cls([], None, revision)
        tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=stemmer, show_progress=False)
        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        return cls(list(ids), retriever, revision)

    def save(self, folder: Path) -> None:
        """Write the index to a fresh sub-folder of ``folder``, then point ``folder/current`` at
        it with an atomic rename, so processes sharing the folder never read a half-written
        index. Versions replaced over a minute ago are removed. A failed write is logged, not
        raised: the index in memory stays usable and the next process rebuilds its own."""
        version = f"r{self.revision}-{os.getpid()}-{time.time_ns()}"
        try:
            target = folder / version
            target.mkdir(parents=True)
            if self._retriever is not None:
                self._retriever.save(str(target / "bm25"))
            info = {"revision": self.revision, "ids": self.ids}
            (target / "ids.json").write_text(json.dumps(info))
            pointer = folder / f".current-{version}"
            pointer.write_text(version)
            os.replace(pointer, folder / "current")
        except OSError as exc:
            log.warning("could not save the lexical index to %s: %s", folder, exc)
            return
        stale = time.time() - 60
        for old in folder.iterdir():
            if old.is_dir() and old.name != version and old.stat().st_mtime < stale:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex | None:
        """Load a saved index, or None if there is none (or it is unreadable)."""
        pointer = folder / "current"
        if not pointer.is_file():
            return None
        try:
            current = folder / pointer.read_text().strip()
            info = json.loads((current / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(current / "bm25")) if info["ids"] else None
        except Exception as exc:  # a corrupt index is rebuilt, never fatal
            log.warning("lexical index at %s unreadable (%s); it will be rebuilt", folder, exc)
            return None
        return cls(info["ids"], retriever, int(info["revision"]))

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, text: str, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (id, BM25 score) for ``text``; ``allowed`` is a 0/1 mask over ``self.ids``."""
        if self._retriever is None or not text.strip() or k <= 0:
            return []
        tokens = bm25s.tokenize(
            [text], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False
        )
        if not tokens or not tokens[0]:
            return []
        vocab = self._retriever.vocab_dict
        known = [t for t in tokens[0] if t in vocab]
        if not known:
            return []
        scores = self._retriever.get_scores(known, weight_mask=allowed)
        return [(self.ids[int(i)], float(scores[i])) for i in top_k(scores, k) if scores[i] > 0]

    def coverage(self, text: str) -> float:
        """How much of ``text`` BM25 can see: the IDF-weighted share of its terms (stemmed, stop
        words out) that occur in the index, 0.0..1.0. A term the index never saw (a typo, a word
        of another field) counts as the rarest possible term, so "halucination in vision languge
        models" covers little: BM25 only matches "vision" and "model"."""
        if self._retriever is None or not text.strip():
            return 0.0
        tokens = bm25s.tokenize(
            [text], stopwords="en", stemmer=self._stemmer, show_progress=False, return_ids=False
        )
        terms = [t for t in (tokens[0] if tokens else []) if t]
        if not terms:
            return 0.0
        vocab, indptr = self._retriever.vocab_dict, self._retriever.scores["indptr"]
        docs = len(self.ids)
        known = total = 0.0
        for term in terms:
            column = vocab.get(term)
            df = int(indptr[column + 1] - indptr[column]) if column is not None else 0
            weight = float(np.log(1 + (docs - max(df, 1) + 0.5) / (max(df, 1) + 0.5)))
            total += weight
            known += weight if df else 0.0
        return known / total if total > 0 else 0.0

    def mask(self, allowed_ids: set[str]) -> np.ndarray:
        """A weight mask over this index's ids that keeps only ``allowed_ids``."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        for pid in allowed_ids:
            pos = self._position.get(pid)
            if pos is not None:
                out[pos] = 1.0
        return out
