"""The state database connection: one SQLite file (WAL mode) shared by every process on a host.

:class:`StateTable` is the small base the state stores build on: one connection, a lock so
threads take turns, and the schema created on open.

A damaged file (not a database, truncated, malformed pages) is found when it is opened and
reported as :class:`StateCorrupt`, naming the file and the way back (``paperboy restore``).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class StateCorrupt(Exception):
    """The state database file is damaged; the message names it and says how to recover."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The state database {path} is corrupt ({detail}). Restore it from a backup with "
            "`paperboy restore BACKUP.tar.gz --force` (the damaged file is kept beside it), "
            "or move the file away to start again with empty state."
        )
        self.path = path
        self.detail = detail


def is_corruption(error: sqlite3.Error) -> bool:
    """Whether ``error`` says the file is damaged (not a database, malformed), not merely busy."""
    return getattr(error, "sqlite_errorcode", None) in CORRUPTION_CODES


def check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    """Raise :class:`StateCorrupt` unless SQLite's quick check of ``conn`` passes."""
    try:
        (result,) = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as error:
        if is_corruption(error):
            raise StateCorrupt(path, str(error)) from error
        raise
    if result != "ok":
        raise StateCorrupt(path, str(result))


def connect(path: Path, *, check: bool = True) -> sqlite3.Connection:
    """Open the state database with settings that suit several processes on one host; raise
    :class:`StateCorrupt` if the file is damaged (``check=False`` skips the quick check)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA synchronous=NORMAL")
        if check:
            check_integrity(conn, path)
    except sqlite3.DatabaseError as error:
        conn.close()
        if is_corruption(error):
            raise StateCorrupt(path, str(error)) from error
        raise
    except StateCorrupt:
        conn.close()
        raise
    return conn


def set_aside_if_corrupt(path: Path) -> Path | None:
    """If the state database at ``path`` is damaged, rename it (with its ``-wal`` / ``-shm``
    files) to ``<name>.corrupt-<UTC time>`` beside it, so a restore can write a fresh file and
    nothing is lost; return the new name (None when the file is missing or sound)."""
    if not path.exists():
        return None
    try:
        connect(path).close()
        return None
    except StateCorrupt:
        kept = path.with_name(
            f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        )
        for suffix in ("", "-wal", "-shm"):
            damaged = Path(f"{path}{suffix}")
            if damaged.exists():
                damaged.rename(Path(f"{kept}{suffix}"))
        return kept


class StateTable:
    """One connection to the state database at ``path`` with ``SCHEMA`` (set by subclasses)
    created on open; ``_run`` and ``_rows`` serialise statements from several threads."""

    SCHEMA = ""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = connect(path)
        if self.SCHEMA:
            self._conn.executescript(self.SCHEMA)

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def _run(self, sql: str, args: tuple = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def _rows(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()
