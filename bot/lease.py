"""A named lease in the state database, so exactly one scheduler process posts digests.

:class:`Lease` is a row ``(name, holder, expires_at, acquired_at)`` in the shared SQLite file.
A process takes it when it is free or expired and keeps it by renewing well before it expires
(every ``ttl / 3`` by default); a process that dies stops renewing, and another takes over one
``ttl`` later at most. Every change runs inside ``BEGIN IMMEDIATE``, so the database decides
between racing processes. Holders compare expiry times by their wall clocks, which is sound for
processes on one host (the state file is not shared across hosts).

:class:`LeasedScheduler` wraps a :class:`~bot.scheduler.DigestScheduler`: it runs the scheduler
only while it holds the lease and stands by otherwise. The lease is not a fence: a process that
stalls past its ``ttl`` may overlap briefly with its successor until its next renewal fails. The
digest ledger (:mod:`bot.ledger`) still guarantees at most one post per channel and day then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from bot.scheduler import DigestScheduler
from bot.state import connect

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at REAL NOT NULL,
    acquired_at REAL NOT NULL
);
"""
Role = Literal["active", "standby", "stopped"]


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


class LeasedScheduler:
    """Runs ``scheduler`` only while holding ``lease``; same ``start()`` / ``shutdown()`` as
    :class:`~bot.scheduler.DigestScheduler`, so callers can use either.

    A background task renews the lease every ``renew_every_s`` (default ``ttl / 3``). On taking
    the lease it starts the scheduler; when a renewal fails (another holder, or a database
    error) it shuts the scheduler down at once and stands by, trying again each interval.
    """

    def __init__(
        self, scheduler: DigestScheduler, lease: Lease, renew_every_s: float | None = None
    ) -> None:
        self.scheduler = scheduler
        self.lease = lease
        self.renew_every_s = renew_every_s if renew_every_s is not None else lease.ttl_s / 3
        self._active = False
        self._stopped = True
        self._guard = threading.Lock()  # orders a renewal in a thread against shutdown()
        self._task: asyncio.Task | None = None
        self._starting: asyncio.Task | None = None

    @property
    def role(self) -> Role:
        """``active`` (holds the lease, scheduler running), ``standby`` or ``stopped``."""
        if self._stopped:
            return "stopped"
        return "active" if self._active else "standby"

    @property
    def holder(self) -> str:
        """This process's holder id (compare with ``lease.current()`` to see who is active)."""
        return self.lease.holder

    async def start(self) -> None:
        """Try for the lease once (so ``role`` is known on return), then keep trying or
        renewing in a background task. Needs a running event loop."""
        if self._task is not None and not self._task.done():
            return
        self._stopped = False
        await self._tick()
        self._task = asyncio.create_task(self._run(), name=f"lease:{self.lease.name}")

    def shutdown(self) -> None:
        """Stop renewing, shut the scheduler down and release the lease, so a standby process
        takes over at its next try instead of waiting for the lease to expire."""
        with self._guard:
            self._stopped = True
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self._stop_scheduler()
        try:
            with self._guard:
                self.lease.release()
        except Exception:
            log.exception("could not release the scheduler lease %r", self.lease.name)

    # -- the loop -------------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.renew_every_s)
            await self._tick()

    async def _tick(self) -> None:
        try:
            held = await asyncio.to_thread(self._renew)
        except Exception:
            log.exception("renewing the scheduler lease %r failed", self.lease.name)
            held = False
        if self._stopped:
            return
        if held and not self._active:
            log.info("took the scheduler lease %r as %s", self.lease.name, self.holder)
            self._active = True
            self._starting = asyncio.create_task(self._start_scheduler())
        elif not held and self._active:
            log.warning(
                "lost the scheduler lease %r (now %s); scheduler stopped, standing by",
                self.lease.name, self._current_holder(),
            )  # fmt: skip
            self._stop_scheduler()

    def _renew(self) -> bool:
        with self._guard:
            return False if self._stopped else self.lease.try_acquire()

    def _current_holder(self) -> str:
        try:
            found = self.lease.current()
        except Exception as err:
            return f"unknown: {err}"
        return found[0] if found else "nobody"

    async def _start_scheduler(self) -> None:
        try:
            await self.scheduler.start()
        except asyncio.CancelledError:
            raise
        except Exception:  # e.g. a bad cron setting: retried at the next renewal
            log.exception("the digest scheduler failed to start; retrying")
            self._starting = None  # this task: do not cancel it from inside
            self._stop_scheduler()

    def _stop_scheduler(self) -> None:
        was_active, self._active = self._active, False
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
        self._starting = None
        if was_active:
            try:
                self.scheduler.shutdown()
            except Exception:
                log.exception("stopping the digest scheduler failed")
