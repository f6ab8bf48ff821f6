"""The digest ledger: one row per (platform, channel, day), so each digest is posted at most once.

Lives in the state database (:mod:`bot.store.db`). The delivery protocol is:

1. ``claim`` inserts a ``pending`` row (intent, with the paper ids) *before* sending. The primary
   key makes exactly one claimant win across threads and processes.
2. After the platform confirms, ``mark_sent`` stores the message id. If the platform clearly
   refused it (HTTP 4xx, connection refused), ``mark_failed``: the row may be claimed again (up
   to ``max_attempts``). If the outcome is ambiguous (HTTP 5xx, connection dropped after the
   request went out), ``mark_unknown``: never re-sent, as in 3.
3. A ``pending`` row older than ``pending_timeout_s`` means a process died between "send" and
   "record": ``reconcile`` marks it ``unknown`` and logs it. It is never re-sent (at-most-once)
   and its papers count as received.

The same file also holds chat-made plans (:mod:`bot.store.plans`) and source health
(:mod:`bot.store.sources`).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.store.db import StateDB, StateTable

log = logging.getLogger(__name__)

COLUMNS = (
    "platform, channel_id, day, plan, status, paper_ids, message_id, attempts, owner, note,"
    " created_at, updated_at"
)
RECEIVED = ("pending", "sent", "unknown")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One channel's digest for one day. ``status``: pending | sent | failed | unknown |
    quiet (nothing qualified, nothing posted) | skipped (missed outside the grace window)."""

    platform: str
    channel_id: str
    day: date
    plan: str
    status: str
    paper_ids: tuple[str, ...]
    message_id: str | None
    attempts: int
    owner: str
    note: str
    created_at: float
    updated_at: float


class DigestLedger(StateTable):
    """Durable exactly-once bookkeeping for digests (see the module docstring)."""

    def __init__(
        self,
        db: StateDB | Path | str,
        *,
        pending_timeout_s: float = 600,
        max_attempts: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(db)
        self.pending_timeout_s = pending_timeout_s
        self.max_attempts = max_attempts
        self._clock = clock
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"

    @staticmethod
    def _key(platform: str, channel_id: str, day: date) -> dict[str, str]:
        return {"p": platform, "c": channel_id, "d": day.isoformat()}

    def claim(
        self, platform: str, channel_id: str, day: date, plan: str, paper_ids: list[str]
    ) -> bool:
        """Record the intent to post; True for exactly one caller per channel and day.

        A ``failed`` row (the platform said no) can be claimed again until ``max_attempts``.
        """
        now, ids = self._clock(), json.dumps(list(paper_ids))
        key = self._key(platform, channel_id, day)
        inserted = self.db.execute(
            "INSERT INTO digest_ledger (platform, channel_id, day, plan, status, paper_ids, owner,"
            " created_at, updated_at) VALUES (:p, :c, :d, :plan, 'pending', :ids, :owner, :now,"
            " :now) ON CONFLICT (platform, channel_id, day) DO NOTHING",
            **key, plan=plan, ids=ids, owner=self._owner, now=now,
        )  # fmt: skip
        if inserted:
            return True
        return bool(
            self.db.execute(
                "UPDATE digest_ledger SET status = 'pending', paper_ids = :ids, owner = :owner,"
                " updated_at = :now, attempts = attempts + 1 WHERE platform = :p"
                " AND channel_id = :c AND day = :d AND status = 'failed' AND attempts < :most",
                **key,
                ids=ids,
                owner=self._owner,
                now=now,
                most=self.max_attempts,
            )  # fmt: skip
        )

    def _set(self, platform: str, channel_id: str, day: date, assignments: str, **values) -> None:
        self.db.execute(
            f"UPDATE digest_ledger SET {assignments}, updated_at = :now"
            " WHERE platform = :p AND channel_id = :c AND day = :d",
            **self._key(platform, channel_id, day), now=self._clock(), **values,
        )  # fmt: skip

    def mark_sent(self, platform: str, channel_id: str, day: date, message_id: str) -> None:
        """The platform confirmed the post."""
        self._set(platform, channel_id, day, "status = 'sent', message_id = :mid", mid=message_id)

    def mark_failed(self, platform: str, channel_id: str, day: date, error: str) -> None:
        """The platform reported that the post failed; a later run may retry."""
        self._set(platform, channel_id, day, "status = 'failed', note = :note", note=error[:500])

    def mark_unknown(self, platform: str, channel_id: str, day: date, error: str) -> None:
        """The post may or may not have been stored (5xx, dropped connection): never re-sent."""
        self._set(platform, channel_id, day, "status = 'unknown', note = :note", note=error[:500])

    def record(
        self, platform: str, channel_id: str, day: date, plan: str, status: str, note: str = ""
    ) -> bool:
        """Record a day with nothing posted (``quiet`` or ``skipped``); False if a row exists."""
        now = self._clock()
        return bool(
            self.db.execute(
                "INSERT INTO digest_ledger (platform, channel_id, day, plan, status, owner, note,"
                " created_at, updated_at) VALUES (:p, :c, :d, :plan, :status, :owner, :note,"
                " :now, :now) ON CONFLICT (platform, channel_id, day) DO NOTHING",
                **self._key(platform, channel_id, day),
                plan=plan,
                status=status,
                owner=self._owner,
                note=note,
                now=now,
            )  # fmt: skip
        )

    def entry(self, platform: str, channel_id: str, day: date) -> LedgerEntry | None:
        """The row for one channel and day, if any."""
        found = self.entries(platform, channel_id, day)
        return found[0] if found else None

    def entries(
        self,
        platform: str | None = None,
        channel_id: str | None = None,
        day: date | None = None,
        status: str | None = None,
    ) -> list[LedgerEntry]:
        """Rows, newest day first, optionally for one platform / channel / day / status."""
        iso = day.isoformat() if day else None
        columns = ("platform", "channel_id", "day", "status")
        given = {
            c: v for c, v in zip(columns, (platform, channel_id, iso, status), strict=True) if v
        }
        clause = " AND ".join(f"{c} = :{c}" for c in given) or "1 = 1"
        rows = self.db.rows(
            f"SELECT {COLUMNS} FROM digest_ledger WHERE {clause}"
            " ORDER BY day DESC, platform, channel_id",
            **given,
        )
        return [
            LedgerEntry(
                r[0], r[1], date.fromisoformat(r[2]), r[3], r[4], tuple(json.loads(r[5])), *r[6:]
            )  # fmt: skip
            for r in rows
        ]

    def sent_paper_ids(
        self, platform: str, channel_id: str, exclude_day: date | None = None
    ) -> set[str]:
        """Papers the channel received or may have received (pending / sent / unknown rows)."""
        received = ", ".join(f"'{status}'" for status in RECEIVED)
        rows = self.db.rows(
            "SELECT paper_ids FROM digest_ledger WHERE platform = :p AND channel_id = :c"
            f" AND day <> :skip AND status IN ({received})",
            p=platform, c=channel_id, skip=exclude_day.isoformat() if exclude_day else "",
        )  # fmt: skip
        return {paper_id for (ids,) in rows for paper_id in json.loads(ids)}

    def reconcile(self) -> list[LedgerEntry]:
        """Mark pending rows older than the timeout ``unknown`` (never re-sent); return them."""
        cutoff = self._clock() - self.pending_timeout_s
        stale = [e for e in self.entries(status="pending") if e.updated_at < cutoff]
        for e in stale:
            log.warning(
                "digest %s/%s for %s was claimed by %s but never confirmed: it may or may not "
                "have been posted; marking it unknown, not re-sending (at-most-once)",
                e.platform, e.channel_id, e.day, e.owner,
            )  # fmt: skip
            self.db.execute(
                "UPDATE digest_ledger SET status = 'unknown',"
                " note = 'crashed between send and record', updated_at = :now"
                " WHERE platform = :p AND channel_id = :c AND day = :d AND status = 'pending'",
                **self._key(e.platform, e.channel_id, e.day), now=self._clock(),
            )  # fmt: skip
        return stale
