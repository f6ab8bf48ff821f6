"""PaperIndex: the retrieval core's public face (ingest, search, similar, digest look-ups).

One Chroma collection plus a BM25 index and an in-memory catalogue kept in step with it. When
the store's revision moves (an ingest here or in another process sharing a Chroma server) or the
store switched to another collection (``paperboy reindex``), the catalogue and the lexical index
are rebuilt on the next call. When the collection is stamped with another embedder spec than the
one in use, the index swaps its embedder (through ``embedder_factory``) so questions are encoded
with the model the stored vectors were made with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

from retrieval import ingest as pipeline
from retrieval.catalogue import Catalogue
from retrieval.embed import Embedder
from retrieval.expand import expand_acronyms
from retrieval.fusion import Fusion
from retrieval.lexical import LexicalIndex
from retrieval.models import Hit, IngestReport, Paper, ParseProblem, SearchQuery, SearchResult
from retrieval.ranking import order_candidates
from retrieval.search import Candidates, HybridSearch, Mode
from retrieval.sentence_cache import SentenceVectors
from retrieval.sentence_store import SentenceStore
from retrieval.snippets import MAX_SNIPPET, snippet
from retrieval.store import EMBEDDER_KEY, PaperStore
from retrieval.text import first_sentence

log = logging.getLogger(__name__)
CANDIDATES = 100


class UnknownPaper(LookupError):
    """A "similar to" paper id that is not in the store."""


class EmbedderUnavailable(RuntimeError):
    """The store's vectors were made with a model this process cannot load."""


def embedder_spec(embedder: Embedder) -> str | None:
    """The spec an embedder was configured with (``"bundled"``, a path), if it has one."""
    spec = getattr(embedder, "spec", None)
    return str(spec) if spec else None


class PaperIndex:
    """Ingest and search papers. Thread-safe for concurrent searches."""

    def __init__(
        self,
        store: PaperStore,
        embedder: Embedder,
        lexical_dir: Path,
        embedder_factory: Callable[[str], Embedder] | None = None,
    ) -> None:
        """``lexical_dir`` holds the BM25 index of ``store.base_name``; after a switch to another
        collection the index lives in a sibling folder named after that collection.
        ``embedder_factory`` builds an embedder from a spec stamped on the collection."""
        self.store = store
        self.embedder = embedder
        self.embedder_factory = embedder_factory
        self._lexical_dir = lexical_dir
        self._lock = threading.RLock()
        self._catalogue: Catalogue | None = None
        self._built_for: tuple[str, int] | None = None  # (collection, revision) of the caches
        self._warned_for: str | None = None
        self._lexical: LexicalIndex | None = None
        # search() checks the store revision once per question; candidates reuse that snapshot
        self._search = HybridSearch(
            store, self._built_catalogue, self._built_lexical, self.sentence_vectors
        )
        self._sentences = SentenceVectors()
        self._sentence_stores: dict[str, SentenceStore] = {}

    @classmethod
    def open(
        cls,
        data_dir: Path,
        embedder: Embedder,
        collection: str = "papers",
        chroma_host: str | None = None,
        chroma_port: int = 8000,
        embedder_factory: Callable[[str], Embedder] | None = None,
        chroma_ssl: bool = False,
    ) -> PaperIndex:
        """Embedded store under ``data_dir/chroma`` or a Chroma server when ``chroma_host`` is set.
        The BM25 index lives in ``data_dir/lexical/<collection in use>``."""
        store = PaperStore.open(data_dir, collection, chroma_host, chroma_port, chroma_ssl)
        return cls(store, embedder, data_dir / "lexical" / collection, embedder_factory)

    @property
    def lexical_dir(self) -> Path:
        """Where the BM25 index of the collection in use is saved."""
        return self._lexical_folder(self.store.collection_name)

    def _lexical_folder(self, collection: str) -> Path:
        if collection == self.store.base_name:
            return self._lexical_dir
        return self._lexical_dir.parent / collection

    # ----- keeping derived indexes in step -------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Rebuild the catalogue and BM25 index if the store changed since they were built.

        Every question calls this, from several threads at once: the check is one store
        round-trip and takes no lock. Only a rebuild takes the lock, and a question that comes
        while another thread rebuilds (or ingests) answers from the indexes already built
        instead of waiting for it."""
        if not force and self._catalogue is not None and self._answer_from_built():
            return
        with self._lock:
            revision = self.store.revision()  # also where a moved collection is followed
            self._match_embedder()
            built_for = (self.store.collection_name, revision)
            if not force and self._catalogue is not None and self._built_for == built_for:
                return
            folder = self._lexical_folder(built_for[0])
            lexical = None if force else LexicalIndex.load(folder)
            saved = lexical is not None and lexical.revision == revision
            # abstracts are read only when the BM25 index must be built (not on a warm start)
            records = [
                (p, m, d) for p, m, d, _ in self.store.iter_records(with_documents=not saved)
            ]
            catalogue = Catalogue.from_records(((p, m) for p, m, _ in records), revision)
            ids = [pid for pid, _, _ in records]
            if lexical is None or not saved or lexical.ids != ids:
                if saved:  # same revision but other papers: the texts are needed after all
                    records = [(p, m, d) for p, m, d, _ in self.store.iter_records()]
                    ids = [pid for pid, _, _ in records]
                texts = [f"{m.get('title', '')}. {d or ''}" for _, m, d in records]
                lexical = LexicalIndex.build(ids, texts, revision)
                lexical.save(folder)
            self._catalogue, self._lexical = catalogue, lexical
            self._built_for = built_for

    def _answer_from_built(self) -> bool:
        """Without the lock: whether the built indexes can answer now, because they are current,
        or because another thread holds the lock (rebuilding, ingesting) and the embedder needs
        no swap (a swap is waited for: vectors of another model would not match)."""
        revision = self.store.revision()  # also where a moved collection is followed
        stamped, current = self.store.embedder_spec, embedder_spec(self.embedder)
        if stamped and current and stamped != current and self.embedder_factory is not None:
            return False
        if self._built_for == (self.store.collection_name, revision):
            return True
        if self._lock.acquire(blocking=False):  # nobody is rebuilding: this thread will
            self._lock.release()
            return False
        return True

    def _match_embedder(self) -> None:
        """Use the embedder the collection is stamped with (no stamp: keep the configured one).

        Only an embedder with a ``spec`` is swapped, so light stand-ins (``paperboy status``)
        never load a model."""
        stamped, current = self.store.embedder_spec, embedder_spec(self.embedder)
        if not stamped or not current or stamped == current:
            return
        if self.embedder_factory is None:
            if self._warned_for != stamped:
                log.warning(
                    "collection %s was embedded with %r but questions use %r (no factory)",
                    self.store.collection_name, stamped, current,
                )  # fmt: skip
                self._warned_for = stamped
            return
        try:
            embedder = self.embedder_factory(stamped)
        except Exception as exc:
            raise EmbedderUnavailable(
                f"collection {self.store.collection_name!r} was embedded with {stamped!r}, "
                f"which cannot be loaded here: {exc}"
            ) from exc
        log.info(
            "collection %s was embedded with %r: switching the embedder from %r",
            self.store.collection_name, stamped, current,
        )  # fmt: skip
        self.embedder = embedder
        self._sentences.clear()  # sentence vectors belong to the old model

    def catalogue(self) -> Catalogue:
        """The current catalogue (refreshed if stale)."""
        self.refresh()
        assert self._catalogue is not None
        return self._catalogue

    def lexical(self) -> LexicalIndex:
        """The current BM25 index (refreshed if stale)."""
        self.refresh()
        assert self._lexical is not None
        return self._lexical

    def _built_catalogue(self) -> Catalogue:
        """The catalogue as of the last revision check (no store round-trip)."""
        if self._catalogue is None:
            self.refresh()
        assert self._catalogue is not None
        return self._catalogue

    def _built_lexical(self) -> LexicalIndex:
        """The BM25 index as of the last revision check (no store round-trip)."""
        if self._lexical is None:
            self.refresh()
        assert self._lexical is not None
        return self._lexical

    # ----- writing -------------------------------------------------------------------------
    def ingest(
        self,
        papers: Iterable[Paper],
        problems: Iterable[ParseProblem] = (),
        progress: pipeline.Progress | None = None,
    ) -> IngestReport:
        """Add or update papers (see :func:`retrieval.ingest.ingest`), then refresh indexes.

        Checks the store first, so papers go to the collection in use, embedded with its model;
        the first ingest into an empty collection stamps it with this embedder's spec. Raises
        :class:`retrieval.ingest.IngestInterrupted` when the store fails part-way."""
        with self._lock:
            self.store.revision()  # follows a moved collection
            self._match_embedder()
            stamp = embedder_spec(self.embedder)
            if self.store.embedder_spec or self.store.count() > 0:
                stamp = None
            try:
                sentences = self.sentence_store()
            except Exception as exc:  # chromadb raises many types for a server gone
                raise pipeline.IngestInterrupted(0, 0, 0, exc) from exc
            try:
                report = pipeline.ingest(
                    self.store, self.embedder, papers, problems, progress, sentences
                )
            except pipeline.IngestInterrupted as exc:
                if stamp and exc.stored:  # what landed was embedded with this model
                    self._stamp_quietly(stamp)
                raise
            if stamp and report.added:
                self.store.update_collection_metadata({EMBEDDER_KEY: stamp})
            self.refresh()
        return report

    def _stamp_quietly(self, stamp: str) -> None:
        """Stamp the embedder spec after a partial first ingest, if the store still answers."""
        try:
            self.store.update_collection_metadata({EMBEDDER_KEY: stamp})
        except Exception as exc:
            log.warning("could not stamp the embedder after a partial ingest: %s", exc)

    # ----- reading -------------------------------------------------------------------------
    def sentence_store(self) -> SentenceStore:
        """The sentence vectors of the collection in use (as of the last revision check)."""
        name = self.store.collection_name
        found = self._sentence_stores.get(name)
        if found is None:
            found = self._sentence_stores[name] = SentenceStore(self.store.client, name)
        return found

    def sentence_vectors(self, paper_ids: Sequence[str]) -> dict[str, tuple[list[str], np.ndarray]]:
        """For each paper id found: its sentences (title first, then each abstract sentence) and a
        float32 ``(n, dim)`` array of unit vectors, one row per sentence, as ingest stored them
        (cached in memory; papers stored without them are embedded once and stored)."""
        revision = self._built_for  # as of the last revision check (each search makes one)
        found = self._sentences.known(revision, paper_ids)
        missing = [pid for pid in paper_ids if pid not in found]
        if missing:
            papers = self.store.get_many(missing)
            found.update(self._sentences_of([papers[p] for p in missing if p in papers]))
        return {pid: found[pid] for pid in paper_ids if pid in found}

    def _sentences_of(self, papers: Sequence[Paper]) -> dict[str, tuple[list[str], np.ndarray]]:
        revision = self._built_for
        found = self._sentences.for_papers(self.sentence_store(), self.embedder, papers)
        self._sentences.remember(revision, found)
        return found

    def count(self) -> int:
        """Number of papers in the store."""
        return self.store.count()

    def get(self, paper_id: str) -> Paper | None:
        """One paper by id."""
        return self.store.get_many([paper_id]).get(paper_id)

    def find_title(self, title: str) -> Paper | None:
        """The paper titled ``title`` (exact or near-exact, see :mod:`retrieval.titles`)."""
        catalogue = self.catalogue()
        position = catalogue.title_position(title)
        return None if position is None else self.get(catalogue.ids[position])

    def latest_list_date(self) -> date | None:
        """The most recent Hugging Face daily list day in the store."""
        return self.catalogue().latest_list_day()

    def papers_between(self, since: date, until: date) -> list[Paper]:
        """Papers whose list day (or publication day) is within [since, until]."""
        ids = self.catalogue().listed_between(since, until)
        found = self.store.get_many(ids)
        return [found[pid] for pid in ids if pid in found]

    def topic_scores(self, topic: str, paper_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity (clipped to 0..1) between a topic text and each paper."""
        if not paper_ids:
            return {}
        vector = self.embedder.encode([topic])[0]
        vectors = self.store.vectors(list(paper_ids))
        return {pid: max(0.0, float(vec @ vector)) for pid, vec in vectors.items()}

    @property
    def fusion(self) -> Fusion:
        """How hybrid search combines its dense and BM25 candidates (see retrieval.fusion)."""
        return self._search.fusion

    @fusion.setter
    def fusion(self, fusion: Fusion) -> None:
        self._search.fusion = fusion

    # replaced by the stored vectors of engineer (a)
    def search(self, query: SearchQuery, mode: Mode = "hybrid", today: date | None = None):
        """Answer a parsed question; ``query.similar_to`` turns it into a "similar papers" search."""
        if query.similar_to:
            return self.similar(query.similar_to, query.limit, query.offset, mode, query, today)
        catalogue = self.catalogue()
        keep = catalogue.mask(query.since, query.until, query.author)
        depth = max(CANDIDATES, query.offset + query.limit * 3)
        vector = None
        if query.text.strip():
            text = expand_acronyms(query.text)
            vector = self.embedder.encode([text])[0]
            dense = self._search.dense(vector, depth, keep) if mode != "lexical" else Candidates([])
            lexical = self._search.lexical(text, depth, keep) if mode != "dense" else Candidates([])
            fused = self._search.fuse(dense, lexical, mode, text, vector)
        else:
            fused = Candidates([(pid, 0.0) for pid in catalogue.newest_first(keep)[:depth]])
        result = self._page(query, fused, vector, today)
        if vector is None or mode == "lexical" or not dense.ranked:
            return result
        return replace(result, best_similarity=max(score for _, score in dense.ranked))

    def similar(
        self,
        paper_id: str,
        limit: int = 10,
        offset: int = 0,
        mode: Mode = "hybrid",
        query: SearchQuery | None = None,
        today: date | None = None,
    ) -> SearchResult:
        """Papers like ``paper_id`` (query by example); the paper itself is excluded."""
        query = query or SearchQuery(similar_to=paper_id, limit=limit, offset=offset)
        found = self.store.paper_with_vector(paper_id)
        if found is None:
            raise UnknownPaper(paper_id)
        anchor, vector = found
        keep = self.catalogue().mask(query.since, query.until, query.author)
        depth = max(CANDIDATES, offset + limit * 3) + 1
        dense = self._search.dense(vector, depth, keep) if mode != "lexical" else Candidates([])
        lexical = (
            self._search.lexical(anchor.text, depth, keep) if mode != "dense" else Candidates([])
        )
        # no sentence signal here: a whole paper as the query matches whole papers (measured:
        # MaxSim lowered CSFCube "similar" on both folds, see bench/quality/README.md)
        fused = self._search.fuse(dense, lexical, mode, anchor.text)
        fused = Candidates([(pid, s) for pid, s in fused.ranked if pid != paper_id])
        result = self._page(query, fused, vector, today, snippet_text=anchor.title)
        return SearchResult(result.query, result.hits, result.total_candidates, anchor)

    def _page(
        self,
        query: SearchQuery,
        fused: Candidates,
        vector: np.ndarray | None,
        today: date | None,
        snippet_text: str | None = None,
    ) -> SearchResult:
        ranked = fused.ranked
        window = slice(query.offset, query.offset + query.limit)
        if query.order == "relevance":  # only the page's papers are fetched
            papers = self.store.get_many([pid for pid, _ in ranked[window]])
        else:  # re-ordering needs every candidate's dates and counts
            papers = self.store.get_many([pid for pid, _ in ranked])
            ranked = order_candidates(ranked, papers, query.order, today or date.today())
        page = [(pid, score) for pid, score in ranked[window] if pid in papers]
        if vector is not None and page:
            text = snippet_text if snippet_text is not None else query.text
            stored = self._sentences_of([papers[pid] for pid, _ in page])
            snippets = [
                snippet(text, vector, papers[pid].abstract, stored.get(pid)) for pid, _ in page
            ]
        else:
            snippets = [first_sentence(papers[pid].abstract, MAX_SNIPPET) for pid, _ in page]
        hits = tuple(
            Hit(papers[pid], score, shown, rank)
            for rank, ((pid, score), shown) in enumerate(
                zip(page, snippets, strict=True), start=query.offset + 1
            )
        )
        return SearchResult(query, hits, len(ranked))
