"""Where sentence vectors live: a sibling Chroma collection ``<paper collection>.sentences``.

One record per paper, keyed by its id: metadata ``text_hash`` (of the text the vectors were made
from), ``rows`` and ``vectors`` (int8 rows + scales, base64: see :func:`retrieval.sentences.pack`),
and a one-number placeholder embedding (Chroma wants one; it is never searched). Kept out of the
paper collection's metadata so reading the catalogue (every paper's metadata) stays as cheap as
before. Every process sharing a Chroma server reads the same records.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from retrieval.sentences import pack, unpack

SUFFIX = ".sentences"
_PAGE = 500


def sentence_collection(paper_collection: str) -> str:
    """The name of the collection holding ``paper_collection``'s sentence vectors."""
    return f"{paper_collection}{SUFFIX}"


def _placeholder(paper_id: str) -> list[float]:
    """A distinct one-number embedding per id (identical points make HNSW inserts slow)."""
    return [zlib.crc32(paper_id.encode()) / 2**32]


class SentenceStore:
    """The sentence-vector records of one paper collection on a Chroma client."""

    def __init__(self, client: Any, paper_collection: str) -> None:
        self.paper_collection = paper_collection
        self.name = sentence_collection(paper_collection)
        self._col = client.get_or_create_collection(
            self.name, configuration={"hnsw": {"space": "l2"}}, embedding_function=None
        )

    def put(self, ids: Sequence[str], hashes: Sequence[str], vectors: Sequence[np.ndarray]) -> None:
        """Store each paper's sentence vectors (rows as :func:`retrieval.sentences.paper_sentences`)
        with the text hash they were made from."""
        metas = [
            {"text_hash": h, "rows": len(v), "vectors": pack(v)}
            for h, v in zip(hashes, vectors, strict=True)
        ]
        self.put_raw(ids, metas)

    def put_raw(self, ids: Sequence[str], metadatas: Sequence[dict[str, Any]]) -> None:
        """Upsert records as :meth:`iter_raw` yields them (copies, restores)."""
        for start in range(0, len(ids), _PAGE):
            page = list(ids[start : start + _PAGE])
            self._col.upsert(
                ids=page,
                embeddings=[_placeholder(pid) for pid in page],
                metadatas=list(metadatas[start : start + _PAGE]),
            )

    def get(self, ids: Sequence[str]) -> dict[str, tuple[str, np.ndarray]]:
        """``{id: (text_hash, (rows, dim) float32 unit vectors)}`` for the ids stored."""
        found: dict[str, tuple[str, np.ndarray]] = {}
        for start in range(0, len(ids), _PAGE):
            got = self._col.get(ids=list(ids[start : start + _PAGE]), include=["metadatas"])
            for pid, meta in zip(got["ids"], got["metadatas"], strict=True):
                try:
                    found[pid] = (str(meta["text_hash"]), unpack(meta["vectors"], meta["rows"]))
                except (KeyError, TypeError, ValueError):
                    continue  # a damaged record reads as absent (recomputed on demand)
        return found

    def iter_raw(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every record as stored: (paper id, metadata)."""
        offset = 0
        while True:
            got = self._col.get(include=["metadatas"], limit=_PAGE, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["metadatas"], strict=True)
            offset += len(got["ids"])

    def delete(self, ids: Sequence[str]) -> None:
        """Forget the records of these papers (absent ids are ignored)."""
        for start in range(0, len(ids), _PAGE):
            self._col.delete(ids=list(ids[start : start + _PAGE]))

    def count(self) -> int:
        """Papers with stored sentence vectors."""
        return self._col.count()


def drop_sentences(client: Any, paper_collection: str) -> None:
    """Delete the sentence collection of ``paper_collection`` if there is one."""
    try:
        client.delete_collection(sentence_collection(paper_collection))
    except Exception as exc:
        if type(exc).__name__ != "NotFoundError" and "does not exist" not in str(exc):
            raise


def copy_sentences(
    source: SentenceStore, target: SentenceStore, keep: set[str] | None = None
) -> int:
    """Copy every record of ``source`` (only ids in ``keep`` when given); returns how many."""
    ids: list[str] = []
    metas: list[dict[str, Any]] = []
    copied = 0
    for pid, meta in source.iter_raw():
        if keep is not None and pid not in keep:
            continue
        ids.append(pid)
        metas.append(meta)
        if len(ids) == _PAGE:
            target.put_raw(ids, metas)
            copied, ids, metas = copied + len(ids), [], []
    if ids:
        target.put_raw(ids, metas)
    return copied + len(ids)
