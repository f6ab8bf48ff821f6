"""Copying a paper collection record by record (id, vector, metadata, document) into another
store, e.g. the embedded store into a Chroma server, with its sentence vectors: nothing is
re-embedded, and since it is an upsert, running it again is harmless."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from retrieval.sentence_store import SentenceStore, copy_sentences
from retrieval.store import EMBEDDER_KEY

PAGE = 1000


def _pages(source: Any) -> Iterator[list[tuple[str, dict, str | None, np.ndarray | None]]]:
    page: list = []
    for record in source.iter_records(with_documents=True, with_vectors=True):
        page.append(record)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def copy_collection(source: Any, target: Any, progress: Any = None) -> int:
    """Upsert every record of ``source`` (a PaperStore) into ``target`` with its vector, metadata
    and document, ``PAGE`` at a time, then the sentence vectors; bump the target's revision;
    return the records copied."""
    copied = 0
    for page in _pages(source):
        target.upsert_records(
            [pid for pid, _, _, _ in page],
            np.stack([vec for _, _, _, vec in page]),
            [meta for _, meta, _, _ in page],
            [doc for _, _, doc, _ in page],
        )
        copied += len(page)
        if progress:
            progress(copied)
    copy_sentences(
        SentenceStore(source.client, source.collection_name),
        SentenceStore(target.client, target.collection_name),
    )
    if source.embedder_spec:  # questions must be encoded with the model the vectors came from
        target.update_collection_metadata({EMBEDDER_KEY: source.embedder_spec})
    target.bump_revision()  # other processes rebuild their catalogue / BM25 index
    return copied


def missing_ids(source: Any, target: Any) -> list[str]:
    """Ids of ``source`` that ``target`` lacks."""
    ids = [pid for pid, _, _, _ in source.iter_records(with_documents=False)]
    found = set(target.metadata(ids))
    return [pid for pid in ids if pid not in found]
