"""Reading sentence vectors at question time: stored records, an in-memory cache, and a lazy
fill for papers stored without them.

Entries are keyed by collection, paper id and text hash, so a changed abstract or a reindexed
collection never reads stale vectors. A paper whose record is missing (ingested before sentence
vectors existed) or does not match its text is embedded once and its record written, so every
later question (in any process) reads it; if that fails, the paper is simply left out and gets
the abstract's first sentence as its snippet.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from retrieval.embed import Embedder
from retrieval.models import Paper
from retrieval.sentence_store import SentenceStore
from retrieval.sentences import embed_papers, paper_sentences

log = logging.getLogger(__name__)
CACHE_PAPERS = 10_000  # ~9 sentences x 384 floats: ~140 MB at most
Sentences = tuple[list[str], np.ndarray]


class SentenceVectors:
    """Thread-safe, size-bounded (least recently used out) cache in front of a SentenceStore."""

    def __init__(self, capacity: int = CACHE_PAPERS) -> None:
        self.capacity = capacity
        self._cache: OrderedDict[str, Sentences] = OrderedDict()
        self._lock = threading.Lock()
        self.filled = 0  # papers embedded lazily by this process (for tests and logs)

        self._known: dict[str, Sentences] = {}  # by paper id, valid for one store revision
        self._known_for: object = None

    def clear(self) -> None:
        """Forget every cached entry."""
        with self._lock:
            self._cache.clear()
            self._known.clear()

    def known(self, revision: object, paper_ids: Sequence[str]) -> dict[str, Sentences]:
        """Entries remembered (:meth:`remember`) for these ids at this store revision: no store
        round-trip at all (a paper's text can only change with a new revision)."""
        with self._lock:
            if revision is None or revision != self._known_for:
                return {}
            return {pid: self._known[pid] for pid in paper_ids if pid in self._known}

    def remember(self, revision: object, entries: dict[str, Sentences]) -> None:
        """Note entries as current at ``revision`` (a new revision forgets the older ones)."""
        with self._lock:
            if revision != self._known_for:
                self._known, self._known_for = {}, revision
            if len(self._known) + len(entries) > self.capacity:
                self._known.clear()
            self._known.update(entries)

    def for_papers(
        self, store: SentenceStore, embedder: Embedder, papers: Sequence[Paper]
    ) -> dict[str, Sentences]:
        """``{paper id: (sentences, vectors)}``: the title and abstract sentences of each paper
        with one unit vector per sentence; a paper whose vectors cannot be had is left out."""
        keys = {p.id: f"{store.paper_collection}\0{p.id}\0{p.text_hash}" for p in papers}
        found: dict[str, Sentences] = {}
        with self._lock:
            for paper in papers:
                entry = self._cache.get(keys[paper.id])
                if entry is not None:
                    self._cache.move_to_end(keys[paper.id])
                    found[paper.id] = entry
        todo = [p for p in papers if p.id not in found]
        if todo:
            fresh = self._read(store, todo)
            missing = [p for p in todo if p.id not in fresh]
            if missing:
                fresh.update(self._fill(store, embedder, missing))
            with self._lock:
                for pid, entry in fresh.items():
                    self._cache[keys[pid]] = entry
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
            found.update(fresh)
        return found

    @staticmethod
    def _read(store: SentenceStore, papers: Sequence[Paper]) -> dict[str, Sentences]:
        """The stored records that match each paper's current text."""
        try:
            stored = store.get([p.id for p in papers])
        except Exception as exc:  # a store gone mid-question: snippets fall back, never crash
            log.warning("cannot read sentence vectors: %s", exc)
            return {}
        out: dict[str, Sentences] = {}
        for paper in papers:
            record = stored.get(paper.id)
            if record is None or record[0] != paper.text_hash:
                continue
            sentences = paper_sentences(paper.title, paper.abstract)
            if len(sentences) == len(record[1]):
                out[paper.id] = (sentences, record[1])
        return out

    def _fill(
        self, store: SentenceStore, embedder: Embedder, papers: Sequence[Paper]
    ) -> dict[str, Sentences]:
        """Embed papers stored without (current) sentence vectors and store them."""
        try:
            _, vectors = embed_papers(embedder, papers)
        except Exception as exc:  # e.g. a process without a model
            log.warning("cannot embed sentences of %d papers: %s", len(papers), exc)
            return {}
        self.filled += len(papers)
        try:
            store.put([p.id for p in papers], [p.text_hash for p in papers], vectors)
        except Exception as exc:
            log.warning("cannot store sentence vectors of %d papers: %s", len(papers), exc)
        return {
            p.id: (paper_sentences(p.title, p.abstract), v)
            for p, v in zip(papers, vectors, strict=True)
        }
