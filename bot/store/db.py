"""The state database connection: one SQLite file (WAL mode) shared by every process on a host.

:class:`StateTable` is the small base the state stores build on: one connection, a lock so
threads take turns, and the schema created on open.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    """Open the state database with settings that suit several processes on one host."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


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
