"""A named lease in the state database, so exactly one scheduler process posts digests.

:class:`Lease` is a row ``(name, holder, expires_at, acquired_at)`` in the shared SQLite file.
A process takes it when it is free or expired and keeps it by renewing well before it expires
(every ``ttl / 3`` by default); a process that dies stops renewing, and another takes over one
``ttl`` later at most. Every change runs inside ``BEGIN IMMEDIATE``, so the database decides
between racing processes. Holders compare expiry times by their wall clocks, which is sound for
processes on one host (the state file is not shared across hosts).

:class:`bot.digest.leader.LeasedScheduler` runs the digest scheduler only while it holds the lease.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bot.store.db import connect

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL,
    acquired_at REAL NOT NULL
);
"""


def default_holder() -> str:
    """A holder id unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """One named lease in the SQLite file at ``path`` (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        name: str,
        holder: str | None = None,
        ttl_s: float = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self.path = path
        self.name = name
        self.holder = holder or default_holder()
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._conn = connect(path)
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database connection (the lease itself is left as it is)."""
        with self._lock:
            self._conn.close()

    def try_acquire(self) -> bool:
        """Take the lease if it is free or expired, or renew it if it is ours; True if we hold
        it now (until ``ttl_s`` from now), False if another holder has it."""
        with self._lock:
            now = self._clock()
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute(
                    "SELECT holder, expires_at FROM leases WHERE name = ?", (self.name,)
                ).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO leases (name, holder, expires_at, acquired_at)"
                        " VALUES (?, ?, ?, ?)",
                        (self.name, self.holder, now + self.ttl_s, now),
                    )
                elif row[0] == self.holder:
                    conn.execute(
                        "UPDATE leases SET expires_at = ? WHERE name = ?",
                        (now + self.ttl_s, self.name),
                    )
                elif row[1] <= now:
                    conn.execute(
                        "UPDATE leases SET holder = ?, expires_at = ?, acquired_at = ?"
                        " WHERE name = ?",
                        (self.holder, now + self.ttl_s, now, self.name),
                    )
                else:
                    conn.execute("ROLLBACK")
                    return False
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return True

    def release(self) -> bool:
        """Give the lease up if we hold it, so another process can take it at once; True if
        it was ours."""
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (self.name, self.holder)
            )
            return cur.rowcount == 1

    def current(self) -> tuple[str, float] | None:
        """``(holder, expires_at)`` of the lease row, or None if nobody took it (an expired
        row is still returned: compare ``expires_at`` with the clock)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT holder, expires_at FROM leases WHERE name = ?", (self.name,)
            ).fetchone()
        return (row[0], row[1]) if row else None
