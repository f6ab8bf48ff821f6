"""Restoring a Paperboy backup (see :mod:`bot.ops.backup` for the archive format).

The archive is checked completely (checksums, manifest, embedding model, state database) before
anything is written; then every record is written with its stored vector (nothing is
re-embedded), the state database is replaced through SQLite's backup API, and the store's revision
is bumped so running processes rebuild their caches.
"""

from __future__ import annotations

import logging
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.ops.archive import (
    STATE,
    BackupError,
    BackupManifest,
    InvalidBackup,
    RestoreRefused,
    check_model,
    extract_archive,
    load_records,
    load_sentences,
    read_manifest,
)
from bot.ops.backup import PAGE
from retrieval.ingest import Progress
from retrieval.sentence_store import SentenceStore
from retrieval.store import PaperStore

log = logging.getLogger(__name__)


def state_has_data(state: Path | str) -> bool:
    """True when the state database (a SQLite file or a PostgreSQL URL) exists and any of its
    tables holds a row."""
    if not isinstance(state, Path):
        from bot.store.copy import has_data
        from bot.store.db import StateDB

        db = StateDB(state)
        try:
            return has_data(db)
        finally:
            db.close()
    state_path = state
    if not state_path.is_file():
        return False
    conn = sqlite3.connect(state_path, timeout=30)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return any(conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone() for t in tables)
    except sqlite3.DatabaseError:
        return True  # unreadable: treat as data, never overwrite it silently
    finally:
        conn.close()


def _pages(records: list[dict], vectors: np.ndarray) -> Iterator[tuple[list[dict], np.ndarray]]:
    for start in range(0, len(records), PAGE):
        yield records[start : start + PAGE], vectors[start : start + PAGE]


def _write_papers(
    store: PaperStore, records: list[dict], vectors: np.ndarray, progress: Progress | None
) -> int:
    """Upsert every record with its vector; delete the store's ids that are not in the backup.
    Returns how many were deleted."""
    done = 0
    for page, vecs in _pages(records, vectors):
        store.upsert_records(
            [r["id"] for r in page],
            vecs,
            [r["metadata"] for r in page],
            [r["document"] for r in page],
        )
        done += len(page)
        if progress:
            progress(done, len(records))
    keep = {r["id"] for r in records}
    extra = [pid for pid, *_ in store.iter_records(with_documents=False) if pid not in keep]
    store.delete(extra)
    return len(extra)


def _write_state(snapshot: Path, state: Path | str) -> None:
    """Replace the state database's content with ``snapshot`` in one write transaction, so
    processes that have it open see the old or the new state, never a mix: SQLite's backup API
    for a SQLite file, a row copy for PostgreSQL."""
    if not isinstance(state, Path):
        _write_server_state(snapshot, state)
        return
    state_path = state
    from bot.store.db import set_aside_if_corrupt

    kept = set_aside_if_corrupt(state_path)
    if kept is not None:
        log.warning("the damaged state database was moved to %s", kept)
    existed = state_path.exists()
    source = sqlite3.connect(f"{snapshot.resolve().as_uri()}?mode=ro", uri=True)
    try:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(state_path, timeout=30)
        try:
            target.execute("PRAGMA busy_timeout=30000")
            source.backup(target)
        finally:
            target.close()
    except sqlite3.Error as exc:
        if not existed:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{state_path}{suffix}").unlink(missing_ok=True)
        raise BackupError(f"cannot write the state database {state_path}: {exc}") from exc
    finally:
        source.close()


def _write_server_state(snapshot: Path, url: str) -> None:
    from bot.store.copy import copy_tables
    from bot.store.db import StateDB, sqlite_url

    source, target = StateDB(sqlite_url(snapshot)), StateDB(url)
    try:
        copy_tables(source, target, replace=True)
    except Exception as exc:  # psycopg / SQLAlchemy errors
        raise BackupError(f"cannot write {target.describe()}: {exc}") from exc
    finally:
        source.close()
        target.close()


@dataclass(frozen=True, slots=True)
class LoadedBackup:
    """A backup unpacked into a temporary directory and verified (see :func:`load_backup`)."""

    src: Path
    manifest: BackupManifest
    records: list[dict]
    vectors: np.ndarray
    state_file: Path | None
    sentences: list[dict] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What :func:`restore_loaded` did."""

    manifest: BackupManifest
    removed: int
    revision: int


@contextmanager
def load_backup(src: Path) -> Iterator[LoadedBackup]:
    """Unpack and verify the backup at ``src`` (format and version, member sizes and checksums,
    record and vector counts, state database integrity); the unpacked files (in ``TMPDIR``) are
    removed on exit. Raises :class:`InvalidBackup` with a message for the user."""
    src = Path(src)
    with tempfile.TemporaryDirectory(prefix="paperboy-restore-") as tmp:
        folder = Path(tmp)
        manifest = extract_archive(src, folder)
        records, vectors = load_records(folder, manifest)
        state_file = folder / STATE if manifest.state else None
        if state_file:
            _check_state_file(state_file)
        sentences = load_sentences(folder, manifest)
        yield LoadedBackup(src, manifest, records, vectors, state_file, sentences)


def check_target(
    backup: LoadedBackup, store: PaperStore, state: Path | str, *, force: bool = False
) -> None:
    """Refuse (:class:`RestoreRefused`) a store that holds papers or a state database that holds
    rows, unless ``force``."""
    if force:
        return
    held = store.count()
    if held:
        raise RestoreRefused(
            f"collection {store.collection_name!r} already holds {held} papers; "
            "restore into an empty store, or pass --force to replace them"
        )
    if backup.state_file and state_has_data(state):
        where = state if isinstance(state, Path) else "(PostgreSQL)"
        raise RestoreRefused(
            f"the state database {where} already holds data (or is damaged); pass --force"
            " to replace it (a damaged file is kept beside it)"
        )


def restore_loaded(
    backup: LoadedBackup,
    store: PaperStore,
    state: Path | str,
    *,
    model: str,
    force: bool = False,
    progress: Progress | None = None,
) -> RestoreReport:
    """Write a loaded backup into ``store`` (records with their stored vectors, nothing is
    re-embedded) and the state database ``state`` (SQLite file or PostgreSQL URL).

    Checked before anything is written: the embedding model (must equal ``model``) and the
    target: a store holding papers or a state database holding rows is refused unless ``force``
    (:class:`RestoreRefused`). With ``force`` the store ends up holding exactly the backup's
    papers and the state database is replaced in one transaction. The store revision is bumped
    so running processes rebuild their caches, and every restored id is verified.
    """
    manifest = backup.manifest
    check_model(manifest, model)
    check_target(backup, store, state, force=force)
    if backup.sentences:  # first: a paper restored without them would recompute them
        SentenceStore(store.client, store.collection_name).put_raw(
            [r["id"] for r in backup.sentences], [r["metadata"] for r in backup.sentences]
        )
    removed = _write_papers(store, backup.records, backup.vectors, progress)
    revision = store.bump_revision()
    _verify(store, backup.records)
    if backup.state_file:
        _write_state(backup.state_file, state)
    return RestoreReport(manifest, removed, revision)


def restore_backup(
    src: Path,
    store: PaperStore,
    state: Path | str,
    *,
    model: str,
    force: bool = False,
) -> BackupManifest:
    """Restore the backup at ``src`` into ``store`` and the state database ``state``.

    Validates the archive (:class:`InvalidBackup` for a missing, foreign, corrupt or newer-format
    file), then writes as :func:`restore_loaded` describes (:class:`RestoreRefused` for a
    non-empty target without ``force`` or another embedding model). Returns the manifest.
    """
    check_model(read_manifest(Path(src)), model)  # before unpacking a large file
    with load_backup(src) as backup:
        return restore_loaded(backup, store, state, model=model, force=force).manifest


def _check_state_file(path: Path) -> None:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidBackup(f"the backup's state database is corrupt ({exc})") from exc
    finally:
        conn.close()
    if not ok or ok[0] != "ok":
        raise InvalidBackup(f"the backup's state database is corrupt ({ok})")


def _verify(store: PaperStore, records: list[dict]) -> None:
    ids = [r["id"] for r in records]
    found = store.metadata(ids)
    missing = [pid for pid in ids if pid not in found]
    held = store.count()
    if missing or held != len(ids):
        raise BackupError(
            f"restore incomplete: the store holds {held} papers, expected {len(ids)}"
            + (f"; missing e.g. {missing[:5]}" if missing else "")
        )
