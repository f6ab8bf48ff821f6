"""PaperStore: papers, their vectors and metadata in one Chroma collection.

Embedded (a persistent directory) by default, or a Chroma server (``chroma run``) when a host is
given: the rest of the code cannot tell the difference. Chroma's own embedding function is never
used (it would download a model); vectors always come from our :mod:`retrieval.embed`.

A collection can be *moved*: ``paperboy reindex`` writes a new collection and then sets
``paperboy_moved_to`` on the old one. A store follows that pointer (chains too) when it is opened
and whenever :meth:`PaperStore.revision` re-reads the collection's metadata, so every process
sharing a Chroma server switches on its next question, without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.models import Paper
from retrieval.records import paper_from_record, paper_metadata

_PAGE = 2000
_MAX_HOPS = 32
REVISION_KEY = "paperboy_revision"
MOVED_TO_KEY = "paperboy_moved_to"  # set on a collection that was replaced by another one
MOVED_FROM_KEY = "paperboy_moved_from"  # set on the replacement (for switching back)
EMBEDDER_KEY = "paperboy_embedder"  # the embedder spec the collection's vectors were made with


class StoreUnavailable(RuntimeError):
    """The Chroma store cannot be reached or opened."""


def _is_not_found(exc: Exception) -> bool:
    """Whether a chromadb error means "no such collection" (local and HTTP clients differ)."""
    return type(exc).__name__ == "NotFoundError" or "does not exist" in str(exc)


def _rows(got: Any) -> Iterator[tuple[str, dict[str, Any], str | None, np.ndarray | None]]:
    """(id, metadata, document, vector) for each record of a Chroma ``get`` answer; what was
    not included is None."""
    docs, vecs = got.get("documents"), got.get("embeddings")
    for i, pid in enumerate(got["ids"]):
        yield (
            pid,
            got["metadatas"][i] if got.get("metadatas") is not None else {},
            docs[i] if docs is not None else None,
            np.asarray(vecs[i], np.float32) if vecs is not None else None,
        )


class PaperStore:
    """One Chroma collection holding every paper (document = abstract, metadata, vector).

    ``base_name`` is the configured collection; ``collection_name`` is the one actually read and
    written, which differs after the base collection was moved (see :meth:`revision`).
    """

    def __init__(
        self, client: Any, collection: str = "papers", follow: bool = True, create: bool = True
    ) -> None:
        self._client = client
        self.base_name = collection
        self.collection_name = collection
        self._follows = follow
        self._follow_lock = threading.Lock()
        try:
            if create:
                self._col = client.get_or_create_collection(
                    collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
                )
            else:
                self._col = client.get_collection(collection, embedding_function=None)
        except Exception as exc:  # chromadb raises many types for connection problems
            raise StoreUnavailable(f"cannot open Chroma collection {collection!r}: {exc}") from exc
        if follow:
            self._col, self.collection_name = self._walk(self._col, collection)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        collection: str = "papers",
        host: str | None = None,
        port: int = 8000,
        ssl: bool = False,
    ) -> PaperStore:
        """The Chroma server at ``host:port`` when ``host`` is set, else the embedded store
        under ``data_dir/chroma``."""
        if host:
            return cls.remote(host, port, collection, ssl)
        return cls.embedded(data_dir / "chroma", collection)

    @classmethod
    def embedded(cls, path: Path, collection: str = "papers") -> PaperStore:
        """A store in a local directory (Chroma's PersistentClient)."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
        )
        return cls(client, collection)

    @classmethod
    def remote(cls, host: str, port: int, collection: str = "papers", ssl: bool = False):
        """A store on a Chroma server started with ``chroma run``."""
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        try:
            client = chromadb.HttpClient(
                host=host, port=port, ssl=ssl, settings=ChromaSettings(anonymized_telemetry=False)
            )
        except Exception as exc:
            raise StoreUnavailable(f"cannot reach Chroma at {host}:{port}: {exc}") from exc
        return cls(client, collection)

    # ----- collections and the moved-to pointer --------------------------------------------
    def _walk(self, col: Any, name: str) -> tuple[Any, str]:
        """Follow ``paperboy_moved_to`` pointers from collection ``col`` (called ``name``, already
        fetched); returns the collection at the end of the chain and its name."""
        seen = {name}
        while target := (col.metadata or {}).get(MOVED_TO_KEY):
            if target in seen or len(seen) > _MAX_HOPS:
                raise StoreUnavailable(f"collection pointers form a loop at {target!r}")
            try:
                col = self._client.get_collection(target, embedding_function=None)
            except Exception as exc:
                raise StoreUnavailable(
                    f"collection {name!r} moved to {target!r}, which cannot be opened: {exc}"
                ) from exc
            seen.add(target)
            name = target
        return col, name

    def _reload(self) -> None:
        """Re-read the current collection (fresh metadata) and follow any new pointer. If the
        current collection was deleted (a retired one), start again from the base collection.
        A store opened with ``follow=False`` only re-reads.

        The round-trips hold no lock (every question makes one, concurrently); only the switch
        of collection and name happens under the lock, so the two always change together."""
        name = self.collection_name
        if not self._follows:
            self._col = self._client.get_collection(name, embedding_function=None)
            return
        try:
            col = self._client.get_collection(name, embedding_function=None)
        except Exception as exc:
            if name == self.base_name or not _is_not_found(exc):
                raise
            name = self.base_name
            col = self._client.get_collection(name, embedding_function=None)
        col, name = self._walk(col, name)
        with self._follow_lock:
            self._col, self.collection_name = col, name

    @property
    def client(self) -> Any:
        """The Chroma client (for sibling collections such as the sentence vectors)."""
        return self._client

    def collection_metadata(self) -> dict[str, Any]:
        """The current collection's metadata as of the last :meth:`revision` (no round-trip)."""
        return dict(self._col.metadata or {})

    @property
    def embedder_spec(self) -> str | None:
        """The embedder spec stamped on the collection (as of the last :meth:`revision`), or
        None for a store written before stamps existed."""
        spec = (self._col.metadata or {}).get(EMBEDDER_KEY)
        return str(spec) if spec else None

    def update_collection_metadata(self, values: dict[str, Any]) -> dict[str, Any]:
        """Merge ``values`` into the current collection's metadata (a ``None`` value removes the
        key) in one write; returns the metadata written. Chroma replaces metadata as a whole, so
        the current metadata is re-read first and kept."""
        self._reload()
        merged = {**(self._col.metadata or {}), **values}
        merged = {k: v for k, v in merged.items() if v is not None}
        self._col.modify(metadata=merged)
        return merged

    def sibling(self, name: str, create: bool = False) -> PaperStore:
        """Another collection on the same Chroma client, opened as is: pointers are neither
        followed on opening nor by :meth:`revision` (for copying and switching)."""
        return PaperStore(self._client, name, follow=False, create=create)

    def has_collection(self, name: str) -> bool:
        """Whether a collection called ``name`` exists on this client."""
        try:
            self._client.get_collection(name, embedding_function=None)
            return True
        except Exception as exc:
            if _is_not_found(exc):
                return False
            raise

    def delete_collection(self, name: str) -> None:
        """Delete another collection (never the one in use)."""
        if name == self.collection_name:
            raise ValueError(f"{name!r} is the collection in use")
        self._client.delete_collection(name)

    def heartbeat(self) -> bool:
        """True when the Chroma backend answers."""
        try:
            self._client.heartbeat()
            return True
        except Exception:
            return False

    def count(self) -> int:
        """Number of papers stored."""
        return self._col.count()

    def revision(self) -> int:
        """A counter bumped on every write, so other processes know to refresh caches.

        Re-reads the collection's metadata (one round-trip) and follows ``paperboy_moved_to``,
        so after a reindex this call is where a running process switches collections."""
        self._reload()
        return int((self._col.metadata or {}).get(REVISION_KEY, 0))

    def bump_revision(self) -> int:
        """Increase the revision after a write (keeping the other metadata); returns it."""
        self._reload()
        new = int((self._col.metadata or {}).get(REVISION_KEY, 0)) + 1
        self._col.modify(metadata={**(self._col.metadata or {}), REVISION_KEY: new})
        return new

    def upsert(self, papers: Sequence[Paper], vectors: np.ndarray) -> None:
        """Insert or replace papers with their vectors."""
        self.upsert_records(
            [p.id for p in papers],
            vectors,
            [paper_metadata(p) for p in papers],
            [p.abstract for p in papers],
        )

    def upsert_records(
        self,
        ids: Sequence[str],
        vectors: np.ndarray,
        metadatas: Sequence[dict[str, Any]],
        documents: Sequence[str | None],
    ) -> None:
        """Insert or replace raw records (as :meth:`iter_records` yields them): ids, one vector
        row per id, Chroma metadata, documents (abstracts; ``None`` is stored as ``""``).
        Written ``_PAGE`` records per round-trip; also for copying and restoring collections.
        The revision is not bumped (call :meth:`bump_revision` when done)."""
        for start in range(0, len(ids), _PAGE):
            end = start + _PAGE
            self._col.upsert(
                ids=list(ids[start:end]),
                embeddings=vectors[start:end],
                metadatas=list(metadatas[start:end]),
                documents=[d or "" for d in documents[start:end]],
            )

    def update_records_metadata(
        self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        """Replace the metadata of existing records (vectors and documents stay)."""
        for start in range(0, len(ids), _PAGE):
            end = start + _PAGE
            self._col.update(ids=list(ids[start:end]), metadatas=list(metadatas[start:end]))

    def delete(self, ids: Sequence[str]) -> None:
        """Remove records by id (ids not stored are ignored), ``_PAGE`` per round-trip. The
        revision is not bumped (call :meth:`bump_revision` when done)."""
        for start in range(0, len(ids), _PAGE):
            self._col.delete(ids=list(ids[start : start + _PAGE]))

    def update_metadata(self, papers: Sequence[Paper]) -> None:
        """Update metadata (upvotes, comments, ...) of papers whose text did not change."""
        self.update_records_metadata([p.id for p in papers], [paper_metadata(p) for p in papers])

    def _records(
        self, ids: Sequence[str], include: list[str]
    ) -> Iterator[tuple[str, dict[str, Any], str | None, np.ndarray | None]]:
        """The records of the given ids that exist, ``_PAGE`` ids per round-trip."""
        for start in range(0, len(ids), _PAGE):
            yield from _rows(self._col.get(ids=list(ids[start : start + _PAGE]), include=include))

    def metadata(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Raw metadata of the given ids that exist."""
        return {pid: meta for pid, meta, _, _ in self._records(ids, ["metadatas"])}

    def get_many(self, ids: Sequence[str]) -> dict[str, Paper]:
        """Papers by id (missing ids are absent from the result)."""
        return {
            pid: paper_from_record(pid, meta, doc)
            for pid, meta, doc, _ in self._records(ids, ["metadatas", "documents"])
        }

    def vectors(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id."""
        return {pid: vec for pid, _, _, vec in self._records(ids, ["embeddings"])}

    def paper_with_vector(self, paper_id: str) -> tuple[Paper, np.ndarray] | None:
        """One paper and its stored vector in one round-trip, or None if it is not stored."""
        include = ["metadatas", "documents", "embeddings"]
        for pid, meta, doc, vec in self._records([paper_id], include):
            assert vec is not None
            return paper_from_record(pid, meta, doc), vec
        return None

    def iter_records(
        self, with_documents: bool = True, with_vectors: bool = False
    ) -> Iterator[tuple[str, dict[str, Any], str | None, np.ndarray | None]]:
        """Every stored record, page by page: (id, metadata, abstract, vector)."""
        include = ["metadatas"] + (["documents"] if with_documents else [])
        include += ["embeddings"] if with_vectors else []
        offset = 0
        while True:
            got = self._col.get(include=include, limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield from _rows(got)
            offset += len(got["ids"])

    def nearest(
        self, vector: np.ndarray, k: int, ids: Sequence[str] | None = None
    ) -> list[tuple[str, float]]:
        """Top-k (id, cosine similarity) by the HNSW index, optionally among ``ids`` only."""
        total = self.count()
        if total == 0 or k <= 0:
            return []
        got = self._col.query(
            query_embeddings=vector.reshape(1, -1),
            n_results=min(k, total),
            ids=list(ids) if ids is not None else None,
            include=["distances"],
        )
        return [
            (pid, 1.0 - dist) for pid, dist in zip(got["ids"][0], got["distances"][0], strict=True)
        ]
