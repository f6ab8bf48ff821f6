"""A named lease in the state database, so exactly one scheduler process posts digests.

:class:`Lease` is a row ``(name, holder, expires_at, acquired_at)`` in the state database (SQLite
or PostgreSQL). A process takes it when it is free or expired and keeps it by renewing well
before it expires (every ``ttl / 3`` by default); a process that dies stops renewing, and another
takes over one ``ttl`` later at most. Taking, renewing and taking over are one conditional
``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` statement, so the database decides between racing
processes. Expiry times come from the database's own clock by default, so processes on several
hosts compare one clock, not their own.

:class:`bot.digest.leader.LeasedScheduler` runs the digest scheduler only while it holds the lease.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from bot.store.db import StateDB

log = logging.getLogger(__name__)


def default_holder() -> str:
    """A holder id unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Lease:
    """One named lease in the state database (see the module docstring). ``clock`` defaults
    to the database's clock."""

    def __init__(
        self,
        db: StateDB | Path | str,
        name: str,
        holder: str | None = None,
        ttl_s: float = 60,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError(f"ttl_s must be positive, got {ttl_s}")
        self._owns_db = not isinstance(db, StateDB)
        self.db = StateDB.open(db)
        self.name = name
        self.holder = holder or default_holder()
        self.ttl_s = ttl_s
        self._clock = clock or self.db.now
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database connection (the lease itself is left as it is)."""
        if self._owns_db:
            self.db.close()

    def try_acquire(self) -> bool:
        """Take the lease if it is free or expired, or renew it if it is ours; True if we hold
        it now (until ``ttl_s`` from now), False if another holder has it."""
        with self._lock:
            now = self._clock()
            return (
                self.db.execute(
                    "INSERT INTO leases (name, holder, expires_at, acquired_at)"
                    " VALUES (:name, :holder, :expires, :now) ON CONFLICT (name) DO UPDATE SET"
                    " holder = excluded.holder, expires_at = excluded.expires_at,"
                    " acquired_at = CASE WHEN leases.holder = excluded.holder"
                    " THEN leases.acquired_at ELSE excluded.acquired_at END"
                    " WHERE leases.holder = excluded.holder OR leases.expires_at <= :now",
                    name=self.name,
                    holder=self.holder,
                    expires=now + self.ttl_s,
                    now=now,
                )  # fmt: skip
                == 1
            )

    def release(self) -> bool:
        """Give the lease up if we hold it, so another process can take it at once; True if
        it was ours."""
        with self._lock:
            return (
                self.db.execute(
                    "DELETE FROM leases WHERE name = :name AND holder = :holder",
                    name=self.name,
                    holder=self.holder,
                )  # fmt: skip
                == 1
            )

    def current(self) -> tuple[str, float] | None:
        """``(holder, expires_at)`` of the lease row, or None if nobody took it (an expired
        row is still returned: compare ``expires_at`` with the clock)."""
        rows = self.db.rows(
            "SELECT holder, expires_at FROM leases WHERE name = :name", name=self.name
        )
        return (rows[0][0], rows[0][1]) if rows else None
