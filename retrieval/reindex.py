"""Rebuild derived indexes, or re-embed every paper into a new collection and switch to it.

Re-embedding never touches the collection in use: every record (id, metadata, abstract) is
copied into a new collection with a vector from the new model, papers added or changed meanwhile
are caught up, the copy is verified, and only then is the old collection pointed at the new one
in a single metadata write (``paperboy_moved_to``). Every process sharing the Chroma store
follows that pointer on its next question (see :meth:`retrieval.store.PaperStore.revision`) and
switches its query model to the one stamped on the new collection. The old collection is kept
for :func:`retrieval.collections.switch_back` until :func:`retrieval.collections.drop_collection`
retires it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from retrieval.collections import (
    ReindexError,
    collection_chain,
    shortcut_chain,
    stored_ids,
    switch_to,
)
from retrieval.embed import Embedder
from retrieval.index import PaperIndex
from retrieval.ingest import EMBED_BATCH
from retrieval.records import paper_from_record
from retrieval.sentence_store import SentenceStore, drop_sentences
from retrieval.sentences import embed_papers
from retrieval.store import (
    EMBEDDER_KEY,
    MOVED_FROM_KEY,
    MOVED_TO_KEY,
    REVISION_KEY,
    PaperStore,
)

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
REINDEXED_AT_KEY = "paperboy_reindexed_at"
CATCH_UP_PASSES = 5


@dataclass(frozen=True)
class ReindexReport:
    """What :func:`reembed` did."""

    old_collection: str
    new_collection: str
    spec: str
    papers: int  # papers in the new collection after the switch
    embedded: int  # texts embedded, catch-up included
    caught_up: int  # papers added or changed in the old collection while copying
    late: int  # papers that reached the old collection during the switch, copied after it
    revision: int  # the new collection's revision at the switch
    seconds: float

    @property
    def papers_per_second(self) -> float:
        """Embedding throughput of the whole run."""
        return self.embedded / self.seconds if self.seconds > 0 else 0.0


def rebuild_lexical(index: PaperIndex) -> int:
    """Rebuild the BM25 index (and catalogue) of the collection in use from the store, even if it
    looks current; returns the number of papers indexed."""
    index.refresh(force=True)
    return len(index.lexical())


def default_collection_name(base: str, now: datetime | None = None) -> str:
    """``<base>-<yyyymmddHHMMSS>`` (UTC)."""
    return f"{base}-{(now or datetime.now(UTC)):%Y%m%d%H%M%S}"


def reembed(
    store: PaperStore,
    embedder: Embedder,
    spec: str,
    new_collection: str | None = None,
    progress: Progress | None = None,
) -> ReindexReport:
    """Embed every paper of the collection ``store`` uses with ``embedder`` into a new
    collection, stamp it with ``spec`` and switch ``store`` (and every process sharing the
    Chroma store) to it. On failure before the switch the new collection is deleted and the
    old one stays in use."""
    started = time.monotonic()
    store.revision()  # follow earlier switches: re-embed what is in use now
    old_name = store.collection_name
    name = new_collection or default_collection_name(store.base_name)
    if name == old_name or store.has_collection(name):
        raise ReindexError(f"collection {name!r} already exists; choose another name")
    chain = collection_chain(store, old_name)
    source = store.sibling(old_name)
    try:
        target = store.sibling(name, create=True)
    except Exception as exc:
        raise ReindexError(f"cannot create collection {name!r}: {exc}") from exc
    try:
        embedded = _copy_everything(source, target, embedder, progress)
        caught_up, reembedded, revision = _catch_up(source, target, embedder)
        embedded += reembedded
        _verify(source, target)
        target.update_collection_metadata(
            {
                REVISION_KEY: revision + 1,
                EMBEDDER_KEY: spec,
                MOVED_FROM_KEY: old_name,
                REINDEXED_AT_KEY: datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
        switch_to(source, name)
    except BaseException:
        _forget(store, source, name)
        raise
    shortcut_chain(store, chain, name)
    late, _ = _sync(source, target, embedder, missing_only=True)
    if late:
        log.warning("%d papers reached %s during the switch; copied to %s", late, old_name, name)
        target.bump_revision()
    store.revision()  # this process follows now
    return ReindexReport(
        old_collection=old_name,
        new_collection=name,
        spec=spec,
        papers=target.count(),
        embedded=embedded + late,
        caught_up=caught_up,
        late=late,
        revision=revision + 1,
        seconds=time.monotonic() - started,
    )


# ----- steps ---------------------------------------------------------------------------------
def _copy_everything(
    source: PaperStore, target: PaperStore, embedder: Embedder, progress: Progress | None
) -> int:
    """Embed and upsert every record of ``source``, ``EMBED_BATCH`` at a time."""
    total = source.count()
    done = 0
    if progress:
        progress(0, total)
    page: list[tuple[str, dict[str, Any], str | None]] = []
    for pid, meta, doc, _ in source.iter_records(with_documents=True):
        page.append((pid, meta, doc))
        if len(page) == EMBED_BATCH:
            done += _embed_into(target, embedder, page)
            page = []
            if progress:
                progress(done, max(total, done))
    if page:
        done += _embed_into(target, embedder, page)
    if progress:
        progress(done, max(total, done))
    return done


def _embed_into(
    target: PaperStore, embedder: Embedder, records: list[tuple[str, dict[str, Any], str | None]]
) -> int:
    """Upsert records with vectors of their title + abstract (the text ingest embeds), and their
    sentence vectors into the target's sentence collection (both from the same forward pass)."""
    papers = [paper_from_record(pid, meta, doc) for pid, meta, doc in records]
    vectors, rows = embed_papers(embedder, papers)
    sentences = SentenceStore(target.client, target.collection_name)
    sentences.put([p.id for p in papers], [p.text_hash for p in papers], rows)
    target.upsert_records(
        [pid for pid, _, _ in records],
        vectors,
        [meta for _, meta, _ in records],
        [doc for _, _, doc in records],
    )
    return len(records)


def _catch_up(source: PaperStore, target: PaperStore, embedder: Embedder) -> tuple[int, int, int]:
    """Copy what changed in ``source`` during the copy until a pass finds nothing new and the
    source revision stood still; returns (papers changed, papers embedded, source revision)."""
    changed = embedded = 0
    for _ in range(CATCH_UP_PASSES):
        revision = source.revision()
        found, with_text = _sync(source, target, embedder)
        changed, embedded = changed + found, embedded + with_text
        if not found and source.revision() == revision:
            return changed, embedded, revision
    raise ReindexError(
        f"collection {source.collection_name!r} kept changing while catching up; "
        "try again when no ingest is running"
    )


def _sync(
    source: PaperStore, target: PaperStore, embedder: Embedder, missing_only: bool = False
) -> tuple[int, int]:
    """Bring ``target`` in line with ``source``: embed papers it lacks or whose text changed
    (``text_hash``), update changed metadata, delete papers ``source`` no longer has; with
    ``missing_only`` only add what it lacks. Returns (papers changed, papers embedded)."""
    have = {pid: meta for pid, meta, _, _ in source.iter_records(with_documents=False)}
    copied = {pid: meta for pid, meta, _, _ in target.iter_records(with_documents=False)}
    embed = [
        pid
        for pid, meta in have.items()
        if pid not in copied
        or (not missing_only and meta.get("text_hash") != copied[pid].get("text_hash"))
    ]
    for start in range(0, len(embed), EMBED_BATCH):
        ids = embed[start : start + EMBED_BATCH]
        papers = source.get_many(ids)
        _embed_into(
            target, embedder, [(p, have[p], papers[p].abstract) for p in ids if p in papers]
        )
    if not missing_only:
        fresh = set(embed)
        stale = [p for p, m in have.items() if p not in fresh and p in copied and copied[p] != m]
        for start in range(0, len(stale), EMBED_BATCH):
            ids = stale[start : start + EMBED_BATCH]
            target.update_records_metadata(ids, [have[p] for p in ids])
        gone = [pid for pid in copied if pid not in have]
        if gone:
            target.delete(gone)
        return len(embed) + len(stale) + len(gone), len(embed)
    return len(embed), len(embed)


def _verify(source: PaperStore, target: PaperStore) -> None:
    """Both collections hold the same ids."""
    old, new = set(stored_ids(source)), set(stored_ids(target))
    if old != new:
        raise ReindexError(
            f"copy incomplete: {len(old - new)} papers missing, {len(new - old)} extra"
        )


def _forget(store: PaperStore, source: PaperStore, name: str) -> None:
    """Delete the half-written collection of a failed reindex (best effort), unless the switch
    to it did happen (e.g. the answer to the switch write was lost)."""
    try:
        source.revision()
        if source.collection_metadata().get(MOVED_TO_KEY) == name:
            return
        if store.has_collection(name):
            store.delete_collection(name)
        drop_sentences(store.client, name)
    except Exception as exc:
        log.warning("could not delete the unfinished collection %s: %s", name, exc)
