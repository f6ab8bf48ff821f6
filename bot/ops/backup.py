"""Writing a backup (see :mod:`bot.ops.archive` for the format): the papers with their vectors
and a consistent snapshot of the state database, in one ``.tar.gz`` that is either complete or
absent."""

from __future__ import annotations

import json
import os
import sqlite3
import tarfile
import tempfile
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bot.ops.archive import (
    FORMAT_VERSION,
    MANIFEST,
    PAPERS,
    SENTENCES,
    STATE,
    VECTORS,
    BackupError,
    BackupManifest,
    paperboy_version,
    sha256,
)
from retrieval.sentence_store import SentenceStore
from retrieval.store import PaperStore

PAGE = 1000
_ATTEMPTS = 3  # re-read the store when an ingest moved its revision during the backup


# ----- backup ------------------------------------------------------------------------------


def _dump_papers(store: PaperStore, folder: Path) -> tuple[int, int, int]:
    """Write papers.jsonl and vectors.npy; returns (papers, dim, revision). A revision that moved
    during the read (an ingest elsewhere) means the read is repeated."""
    for _ in range(_ATTEMPTS):
        revision = store.revision()
        seen: set[str] = set()
        vectors: list[np.ndarray] = []
        with (folder / PAPERS).open("w", encoding="utf-8") as fh:
            for pid, meta, doc, vec in store.iter_records(with_documents=True, with_vectors=True):
                if pid in seen:  # offset paging can repeat a record that moved
                    continue
                seen.add(pid)
                fh.write(json.dumps({"id": pid, "metadata": meta, "document": doc or ""}) + "\n")
                vectors.append(np.asarray(vec, np.float32))
        if store.revision() == revision:
            break
    else:
        raise BackupError(f"the store kept changing during {_ATTEMPTS} reads; try again later")
    matrix = np.stack(vectors) if vectors else np.zeros((0, 0), np.float32)
    np.save(folder / VECTORS, matrix, allow_pickle=False)
    return len(seen), int(matrix.shape[1]), revision


def _dump_sentences(store: PaperStore, folder: Path) -> None:
    """Write sentences.jsonl: the sentence-vector records of the collection backed up."""
    sentences = SentenceStore(store.client, store.collection_name)
    with (folder / SENTENCES).open("w", encoding="utf-8") as fh:
        for pid, meta in sentences.iter_raw():
            fh.write(json.dumps({"id": pid, "metadata": meta}) + "\n")


def copy_state(state_path: Path, dest: Path) -> None:
    """Copy the state database with SQLite's online backup API: a consistent snapshot, including
    writes still in the WAL, while other processes keep the database open. ``dest`` is a
    self-contained single file (rollback journal mode)."""
    source = sqlite3.connect(state_path, timeout=30)  # read-only opens fail on some WAL files
    target = sqlite3.connect(dest)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the state database {state_path}: {exc}") from exc
    finally:
        target.close()
        source.close()


def snapshot_state(state: Path | str, dest: Path) -> bool:
    """Write a consistent SQLite snapshot of the state database ``state`` (a SQLite file, or a
    PostgreSQL URL) to ``dest``; False when a SQLite state file does not exist yet."""
    if isinstance(state, Path):
        if not state.is_file():
            return False
        copy_state(state, dest)
        return True
    from bot.store.copy import snapshot_to_file
    from bot.store.db import StateDB

    db = StateDB(state)
    try:
        snapshot_to_file(db, dest)
    except Exception as exc:  # psycopg / SQLAlchemy errors: the server is down or refuses
        raise BackupError(f"cannot read {db.describe()}: {exc}") from exc
    finally:
        db.close()
    return True


def create_backup(
    store: PaperStore, state: Path | str, dest: Path, *, model: str
) -> BackupManifest:
    """Write one ``.tar.gz`` backup of ``store`` and the state database ``state`` (the SQLite
    file, or a PostgreSQL URL: its rows are archived as a SQLite snapshot either way).

    ``model`` is the embedding model name the vectors were made with (see
    :func:`embedding_model_name`). The archive is written to a temporary file next to ``dest``
    and renamed into place, so ``dest`` is either the complete backup or untouched. A missing
    state database is noted in the manifest (``state: false``) and skipped.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".paperboy-backup-", dir=dest.parent) as tmp:
        folder = Path(tmp)
        papers, dim, revision = _dump_papers(store, folder)
        _dump_sentences(store, folder)
        has_state = snapshot_state(state, folder / STATE)
        members = [PAPERS, VECTORS, SENTENCES] + ([STATE] if has_state else [])
        manifest = BackupManifest(
            format_version=FORMAT_VERSION,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            collection=store.collection_name,
            papers=papers,
            revision=revision,
            model=model,
            dim=dim,
            paperboy_version=paperboy_version(),
            state=has_state,
            files={
                m: {"bytes": (folder / m).stat().st_size, "sha256": sha256(folder / m)}
                for m in members
            },
        )
        (folder / MANIFEST).write_text(json.dumps(asdict(manifest), indent=2))
        partial = folder / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as tar:
            for name in [MANIFEST, *members]:  # manifest first: cheap to inspect
                tar.add(folder / name, arcname=name)
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(partial, dest)
    return manifest
