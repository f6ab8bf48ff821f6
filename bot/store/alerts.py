"""Personal alerts in the state database: each user's topics, and the alert ledger.

The ledger has one row per (platform, user, day), so a user gets at most one alert DM a day,
claimed *before* sending (as the digest ledger does, :mod:`bot.store.ledger`): ``claim`` inserts
a ``pending`` row with the paper ids; the primary key makes exactly one claimant win across
processes. After the platform answers, ``mark_sent`` / ``mark_failed`` (the platform refused it,
e.g. the user blocks DMs: nothing was delivered) / ``mark_unknown`` (it may have been delivered).
A day's row is never claimed again, whatever its status. The papers of ``pending``, ``sent`` and
``unknown`` rows count as received and are never sent to that user again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.store.db import StateDB, StateTable

RECEIVED = ("pending", "sent", "unknown")


@dataclass(frozen=True, slots=True)
class AlertTopic:
    """One topic a user watches; ``since`` is the UTC day it was added."""

    platform: str
    user_id: str
    topic: str
    created_at: float

    @property
    def since(self) -> date:
        """The UTC day the topic was added: papers listed before it are not alerted."""
        return datetime.fromtimestamp(self.created_at, UTC).date()


@dataclass(frozen=True, slots=True)
class AlertEntry:
    """One user's alert DM for one day. ``status``: pending | sent | failed | unknown."""

    platform: str
    user_id: str
    day: date
    status: str
    paper_ids: tuple[str, ...]
    message_id: str | None
    note: str


class AlertTopics(StateTable):
    """Each user's alert topics, numbered 1.. in the order they were added."""

    def __init__(self, db: StateDB | Path | str, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(db)
        self._clock = clock

    def add(self, platform: str, user_id: str, topic: str) -> bool:
        """Add ``topic`` for the user; False when they already watch it."""
        return bool(
            self.db.execute(
                "INSERT INTO alert_topics (platform, user_id, topic, position, created_at)"
                " SELECT :p, :u, :t, COALESCE(MAX(position), 0) + 1, :now FROM alert_topics"
                " WHERE platform = :p AND user_id = :u"
                " ON CONFLICT (platform, user_id, topic) DO NOTHING",
                p=platform,
                u=user_id,
                t=topic,
                now=self._clock(),
            )  # fmt: skip
        )

    def topics(self, platform: str, user_id: str) -> list[AlertTopic]:
        """The user's topics, oldest first (their numbers in ``alert list``)."""
        rows = self.db.rows(
            "SELECT platform, user_id, topic, created_at FROM alert_topics"
            " WHERE platform = :p AND user_id = :u ORDER BY position, topic",
            p=platform, u=user_id,
        )  # fmt: skip
        return [AlertTopic(*row) for row in rows]

    def remove(self, platform: str, user_id: str, number: int) -> AlertTopic | None:
        """Remove the user's topic number ``number`` (1-based); the removed topic, or None."""
        found = self.topics(platform, user_id)
        if not 1 <= number <= len(found):
            return None
        gone = found[number - 1]
        self.db.execute(
            "DELETE FROM alert_topics WHERE platform = :p AND user_id = :u AND topic = :t",
            p=platform, u=user_id, t=gone.topic,
        )  # fmt: skip
        return gone

    def subscribers(self) -> dict[tuple[str, str], list[AlertTopic]]:
        """Every user with at least one topic: ``(platform, user_id) -> topics``."""
        rows = self.db.rows(
            "SELECT platform, user_id, topic, created_at FROM alert_topics"
            " ORDER BY platform, user_id, position, topic"
        )
        found: dict[tuple[str, str], list[AlertTopic]] = {}
        for row in rows:
            found.setdefault((row[0], row[1]), []).append(AlertTopic(*row))
        return found


class AlertLedger(StateTable):
    """At most one alert DM per user and day, never the same paper twice (module docstring)."""

    def __init__(self, db: StateDB | Path | str, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(db)
        self._clock = clock

    @staticmethod
    def _key(platform: str, user_id: str, day: date) -> dict[str, str]:
        return {"p": platform, "u": user_id, "d": day.isoformat()}

    def claim(self, platform: str, user_id: str, day: date, paper_ids: list[str]) -> bool:
        """Record the intent to DM ``paper_ids``; True for exactly one caller per user and day."""
        return bool(
            self.db.execute(
                "INSERT INTO alert_ledger (platform, user_id, day, status, paper_ids, created_at,"
                " updated_at) VALUES (:p, :u, :d, 'pending', :ids, :now, :now)"
                " ON CONFLICT (platform, user_id, day) DO NOTHING",
                **self._key(platform, user_id, day),
                ids=json.dumps(list(paper_ids)),
                now=self._clock(),
            )  # fmt: skip
        )

    def _set(self, platform: str, user_id: str, day: date, status: str, **values: str) -> None:
        self.db.execute(
            "UPDATE alert_ledger SET status = :status, message_id = :mid, note = :note,"
            " updated_at = :now WHERE platform = :p AND user_id = :u AND day = :d",
            **self._key(platform, user_id, day), status=status, now=self._clock(),
            mid=values.get("message_id"), note=values.get("note", "")[:500],
        )  # fmt: skip

    def mark_sent(self, platform: str, user_id: str, day: date, message_id: str) -> None:
        """The platform confirmed the DM."""
        self._set(platform, user_id, day, "sent", message_id=message_id)

    def mark_failed(self, platform: str, user_id: str, day: date, error: str) -> None:
        """The platform refused the DM (nothing delivered); the papers stay unsent."""
        self._set(platform, user_id, day, "failed", note=error)

    def mark_unknown(self, platform: str, user_id: str, day: date, error: str) -> None:
        """The DM may or may not have been delivered: its papers count as received."""
        self._set(platform, user_id, day, "unknown", note=error)

    def entries(self, platform: str | None = None, user_id: str | None = None) -> list[AlertEntry]:
        """Rows, newest day first, optionally for one platform / user."""
        given = {k: v for k, v in (("platform", platform), ("user_id", user_id)) if v}
        clause = " AND ".join(f"{c} = :{c}" for c in given) or "1 = 1"
        rows = self.db.rows(
            "SELECT platform, user_id, day, status, paper_ids, message_id, note"
            f" FROM alert_ledger WHERE {clause} ORDER BY day DESC, platform, user_id",
            **given,
        )
        return [
            AlertEntry(r[0], r[1], date.fromisoformat(r[2]), r[3], tuple(json.loads(r[4])), *r[5:])
            for r in rows
        ]

    def entry(self, platform: str, user_id: str, day: date) -> AlertEntry | None:
        """The user's row for ``day``, if any."""
        return next((e for e in self.entries(platform, user_id) if e.day == day), None)

    def received(self, platform: str, user_id: str) -> set[str]:
        """Papers the user got, or may have got, in an alert."""
        return {
            paper_id
            for e in self.entries(platform, user_id)
            if e.status in RECEIVED
            for paper_id in e.paper_ids
        }

    def sent_count(self) -> int:
        """Alert DMs confirmed sent, over all users and days."""
        return int(self.db.rows("SELECT count(*) FROM alert_ledger WHERE status = 'sent'")[0][0])
