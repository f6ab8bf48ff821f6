"""The digest scheduler under the state database's lease: whichever process holds the lease
posts digests, the others stand by and take over within ``scheduler.lease_seconds`` when it
dies (see :mod:`bot.store.lease`).

The lease is not a fence: a process that stalls past its ``ttl`` may overlap briefly with its
successor until its next renewal fails. The digest ledger (:mod:`bot.store.ledger`) still
guarantees at most one post per channel and day then.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from bot.digest.posting import DigestPoster
from bot.digest.scheduler import DigestScheduler
from bot.ops.server import Check, CheckResult
from bot.store.lease import Lease

if TYPE_CHECKING:
    from bot.services import Services

LEASE_NAME = "digest-scheduler"
Role = Literal["active", "standby", "stopped"]

log = logging.getLogger(__name__)


class LeasedScheduler:
    """Runs ``scheduler`` only while holding ``lease``; same ``start()`` / ``shutdown()`` as
    :class:`~bot.digest.scheduler.DigestScheduler`, so callers can use either.

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


def leased_scheduler(services: Services, posters: Mapping[str, DigestPoster]) -> LeasedScheduler:
    """The digest scheduler wrapped in the state database's lease: whichever process holds the
    lease posts digests, the others stand by and take over within ``scheduler.lease_seconds``
    when it dies."""
    settings = services.settings
    retention_s = settings.state_retention_days * 86400
    scheduler = DigestScheduler(
        services.digests,
        posters,
        settings.scheduler,
        index=services.index,
        alerts=services.alerts,
        housekeeping=lambda: log.info(
            "pruned old state rows: %s", services.state.prune(retention_s)
        ),
    )
    lease = Lease(services.state.db, LEASE_NAME, ttl_s=settings.scheduler.lease_seconds)
    return LeasedScheduler(scheduler, lease)


def scheduler_check(scheduler: LeasedScheduler) -> Check:
    """Ready while the scheduler runs, as the lease holder ("active") or waiting ("standby")."""

    async def check() -> CheckResult:
        role = scheduler.role
        return CheckResult(role in ("active", "standby"), f"digest scheduler {role}")

    return check
