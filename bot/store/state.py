"""Durable bot state: seen events, paging tokens, answers, feedback.

Several adapter processes share this database (one SQLite file on a host, or PostgreSQL across
hosts), so every write is a single statement and uniqueness is enforced by the database
(``ON CONFLICT``), not by process memory. The digest ledger (:mod:`bot.store.ledger`), chat-made
plans (:mod:`bot.store.plans`), source health (:mod:`bot.store.sources`) and the scheduler lease
(:mod:`bot.store.lease`) live in the same database.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from bot.store.db import StateDB, StateTable


class BotState(StateTable):
    """Seen events, paging tokens (and each conversation's latest one), answer -> paper ids,
    and 👍/👎 feedback."""

    def __init__(self, db: StateDB | Path | str, event_ttl_s: float = 24 * 3600) -> None:
        super().__init__(db)
        self._event_ttl_s = event_ttl_s

    def claim_event(self, event_key: str) -> bool:
        """Return True the first time ``event_key`` is seen by any process, False after.

        Used to answer each platform event once despite retries and parallel adapters.
        """
        now = time.time()
        claimed = self.db.execute(
            "INSERT INTO seen_events (event_key, seen_at) VALUES (:key, :now)"
            " ON CONFLICT (event_key) DO NOTHING",
            key=event_key,
            now=now,
        )
        if claimed and int(now) % 97 == 0:
            self.db.execute("DELETE FROM seen_events WHERE seen_at < :t", t=now - self._event_ttl_s)
        return claimed == 1

    def save_page(self, payload: dict) -> str:
        """Store a follow-up query (for "More results") and return a short token for buttons."""
        token = secrets.token_hex(6)
        self.db.execute(
            "INSERT INTO paging (token, payload, created_at) VALUES (:token, :payload, :now)",
            token=token,
            payload=json.dumps(payload),
            now=time.time(),
        )
        return token

    def load_page(self, token: str) -> dict | None:
        """The payload saved under ``token``, or None if unknown."""
        rows = self.db.rows("SELECT payload FROM paging WHERE token = :token", token=token)
        return json.loads(rows[0][0]) if rows else None

    def set_last_page(self, conversations: list[str], token: str) -> None:
        """Remember ``token`` as the latest answer's paging token in each conversation key
        (e.g. ``slack:C1:1700000000.1:U1`` for a thread, ``slack:C1::U1`` for the channel)."""
        now = time.time()
        for key in conversations:
            self.db.execute(
                "INSERT INTO last_pages (conversation, token, created_at) VALUES (:k, :t, :now)"
                " ON CONFLICT (conversation) DO UPDATE SET token = excluded.token,"
                " created_at = excluded.created_at",
                k=key, t=token, now=now,
            )  # fmt: skip

    def last_page(self, conversations: list[str]) -> str | None:
        """The paging token of the latest answer in the first of ``conversations`` that has
        one, or None."""
        for key in conversations:
            rows = self.db.rows("SELECT token FROM last_pages WHERE conversation = :k", k=key)
            if rows:
                return str(rows[0][0])
        return None

    def record_answer(
        self, platform: str, channel_id: str, message_id: str, paper_ids: list[str]
    ) -> None:
        """Remember which papers a posted message showed, so reactions can be tied to them."""
        self.db.execute(
            "INSERT INTO answers (platform, channel_id, message_id, paper_ids, created_at)"
            " VALUES (:p, :c, :m, :ids, :now) ON CONFLICT (platform, channel_id, message_id)"
            " DO UPDATE SET paper_ids = excluded.paper_ids, created_at = excluded.created_at",
            p=platform,
            c=channel_id,
            m=message_id,
            ids=json.dumps(paper_ids),
            now=time.time(),
        )

    def answer_papers(self, platform: str, channel_id: str, message_id: str) -> list[str] | None:
        """Paper ids shown by a message the bot posted, or None if it is not one of ours."""
        rows = self.db.rows(
            "SELECT paper_ids FROM answers WHERE platform = :p AND channel_id = :c"
            " AND message_id = :m",
            p=platform,
            c=channel_id,
            m=message_id,
        )
        return json.loads(rows[0][0]) if rows else None

    def record_feedback(
        self,
        platform: str,
        channel_id: str,
        message_id: str,
        user_id: str,
        value: int,
        paper_ids: list[str] | None = None,
    ) -> list[str] | None:
        """Record 👍 (+1) or 👎 (-1) from one user on one answer; the latest vote counts.

        Paper ids come from ``paper_ids`` or from the recorded answer. Returns the ids recorded,
        or None when the message is unknown and no ids were given (nothing is stored then).
        """
        ids = paper_ids or self.answer_papers(platform, channel_id, message_id)
        if not ids:
            return None
        self.db.execute(
            "INSERT INTO feedback (platform, channel_id, message_id, user_id, value, paper_ids,"
            " created_at) VALUES (:p, :c, :m, :u, :v, :ids, :now)"
            " ON CONFLICT (platform, channel_id, message_id, user_id) DO UPDATE SET"
            " value = excluded.value, paper_ids = excluded.paper_ids,"
            " created_at = excluded.created_at",
            p=platform,
            c=channel_id,
            m=message_id,
            u=user_id,
            v=value,
            ids=json.dumps(ids),
            now=time.time(),
        )
        return ids

    def record_similar(self, platform: str, channel_id: str, user_id: str, paper_id: str) -> None:
        """A "Similar <paper>" asked in a channel (a weak positive for its taste), once per user
        and paper."""
        self.db.execute(
            "INSERT INTO similar_clicks (platform, channel_id, user_id, paper_id, created_at)"
            " VALUES (:p, :c, :u, :id, :now) ON CONFLICT (platform, channel_id, user_id,"
            " paper_id) DO UPDATE SET created_at = excluded.created_at",
            p=platform, c=channel_id, u=user_id, id=paper_id, now=time.time(),
        )  # fmt: skip

    def meta(self, key: str) -> str | None:
        """A small named value shared by every process (e.g. the last synced command tree)."""
        rows = self.db.rows("SELECT value FROM meta WHERE key = :k", k=key)
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (replacing it)."""
        self.db.execute(
            "INSERT INTO meta (key, value, updated_at) VALUES (:k, :v, :now) ON CONFLICT (key)"
            " DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            k=key, v=value, now=time.time(),
        )  # fmt: skip

    def prune(self, older_than_s: float) -> dict[str, int]:
        """Delete seen events, paging tokens, answers, feedback and "Similar" presses older than
        ``older_than_s`` seconds (the retention setting); returns the rows deleted per table."""
        cutoff = time.time() - older_than_s
        columns = {"seen_events": "seen_at", "paging": "created_at", "last_pages": "created_at",
                   "answers": "created_at", "feedback": "created_at",
                   "similar_clicks": "created_at"}  # fmt: skip
        return {
            table: self.db.execute(f"DELETE FROM {table} WHERE {column} < :t", t=cutoff)
            for table, column in columns.items()
        }

    def feedback_counts(self) -> list[tuple[str, str, int, int]]:
        """``(platform, channel_id, 👍 votes, 👎 votes)`` per channel with feedback."""
        rows = self.db.rows(
            "SELECT platform, channel_id, SUM(CASE WHEN value > 0 THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN value < 0 THEN 1 ELSE 0 END) FROM feedback"
            " GROUP BY platform, channel_id ORDER BY platform, channel_id"
        )
        return [(str(p), str(c), int(up or 0), int(down or 0)) for p, c, up, down in rows]

    def feedback_totals(self) -> dict[str, int]:
        """Net feedback per paper id over every recorded vote."""
        totals: dict[str, int] = {}
        for value, ids in self.db.rows("SELECT value, paper_ids FROM feedback"):
            for paper_id in json.loads(ids):
                totals[paper_id] = totals.get(paper_id, 0) + value
        return totals
