"""The collection pointers behind ``paperboy reindex``: every reindex leaves the old collection
pointing at the new one (``paperboy_moved_to``), and every process follows that chain from the
configured base collection. Here: the switch itself, walking and shortening the chain, going
back to the previous collection, and dropping a retired one."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from retrieval.sentence_store import drop_sentences
from retrieval.store import MOVED_FROM_KEY, MOVED_TO_KEY, REVISION_KEY, PaperStore

log = logging.getLogger(__name__)


class ReindexError(RuntimeError):
    """A reindex, switch-back or drop that cannot be done (the message says why)."""


@dataclass(frozen=True)
class SwitchBack:
    """What :func:`switch_back` did; ``missing`` are ids only the abandoned collection holds."""

    from_collection: str
    to_collection: str
    missing: list[str] = field(default_factory=list)


def switch_back(store: PaperStore) -> SwitchBack:
    """Make the collection the one in use replaced (its ``paperboy_moved_from``) current again,
    with the same single-write switch. Papers ingested only into the abandoned collection are
    not copied back (they were embedded with the other model): their ids are returned."""
    current = store.revision()
    now = store.collection_name
    previous = store.collection_metadata().get(MOVED_FROM_KEY)
    if not previous:
        raise ReindexError(f"collection {now!r} did not replace another one; nothing to go back to")
    if not store.has_collection(str(previous)):
        raise ReindexError(f"the previous collection {previous!r} no longer exists")
    previous = str(previous)
    chain = collection_chain(store, now)
    back = store.sibling(previous)
    back.update_collection_metadata(
        {MOVED_TO_KEY: None, REVISION_KEY: max(back.revision(), current) + 1}
    )
    abandoned = store.sibling(now)
    switch_to(abandoned, previous)
    shortcut_chain(store, [n for n in chain if n != previous], previous)
    store.revision()
    held = set(back.metadata(stored_ids(abandoned)))
    return SwitchBack(now, previous, [pid for pid in stored_ids(abandoned) if pid not in held])


def drop_collection(store: PaperStore, name: str) -> int:
    """Delete a retired collection (one that points elsewhere); returns the papers removed.

    The configured base collection is where every process starts, so it is emptied instead of
    deleted: its pointer stays. The collection in use, and collections never switched away
    from, are refused."""
    store.revision()
    if name == store.collection_name:
        raise ReindexError(f"collection {name!r} is in use")
    if not store.has_collection(name):
        raise ReindexError(f"no collection called {name!r}")
    retired = store.sibling(name)
    if not retired.collection_metadata().get(MOVED_TO_KEY):
        raise ReindexError(f"collection {name!r} was never switched away from; refusing to drop it")
    if name in collection_chain(store, store.collection_name)[1:]:
        raise ReindexError(f"collection {name!r} is still on the way to {store.collection_name!r}")
    papers = retired.count()
    if name == store.base_name:
        retired.delete(stored_ids(retired))
    else:
        store.delete_collection(name)
    drop_sentences(store.client, name)
    return papers


def switch_to(old: PaperStore, new_name: str) -> None:
    """The switch: one metadata write pointing ``old`` at ``new_name``."""
    old.revision()
    already = old.collection_metadata().get(MOVED_TO_KEY)
    if already:
        raise ReindexError(
            f"collection {old.collection_name!r} was switched to {already!r} meanwhile"
        )
    old.update_collection_metadata({MOVED_TO_KEY: new_name})


def collection_chain(store: PaperStore, last: str) -> list[str]:
    """Collections from ``store.base_name`` along the pointers, up to ``last``."""
    names = [store.base_name]
    while names[-1] != last and len(names) < 64:
        nxt = store.sibling(names[-1]).collection_metadata().get(MOVED_TO_KEY)
        if not nxt or nxt in names or not store.has_collection(str(nxt)):
            break
        names.append(str(nxt))
    return names


def shortcut_chain(store: PaperStore, chain: list[str], target: str) -> None:
    """Point the earlier collections of the chain straight at ``target`` (so a retired one in
    between can be dropped). Not needed for correctness; failures are only logged."""
    for name in chain[:-1]:
        if name == target:
            continue
        try:
            store.sibling(name).update_collection_metadata({MOVED_TO_KEY: target})
        except Exception as exc:
            log.warning("could not point %s at %s: %s", name, target, exc)


def stored_ids(store: PaperStore) -> list[str]:
    """Every paper id the collection holds."""
    return [pid for pid, _, _, _ in store.iter_records(with_documents=False)]
