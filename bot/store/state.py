"""Durable bot state in one SQLite database: seen events, paging tokens, answers, feedback.

Several adapter processes on one host share this file, so every write is a single statement
or a short transaction and uniqueness is enforced by the database (``INSERT OR IGNORE``), not
by process memory. The digest ledger (:mod:`bot.store.ledger`), chat-made plans
(:mod:`bot.store.plans`), source health (:mod:`bot.store.sources`) and the scheduler lease
(:mod:`bot.store.lease`) live in the same database file.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.store.db import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_events (
    event_key TEXT PRIMARY KEY,
    seen_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS paging (
    token TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS last_pages (
    conversation TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS answers (
    platform TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    paper_ids TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (platform, channel_id, message_id)
);
CREATE TABLE IF NOT EXISTS feedback (
    platform TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    paper_ids TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (platform, channel_id, message_id, user_id)
);
"""


class BotState:
    """Seen events, paging tokens (and each conversation's latest one), answer -> paper ids,
    and 👍/👎 feedback."""

    def __init__(self, path: Path, event_ttl_s: float = 24 * 3600) -> None:
        self.path = path
        self._conn = connect(path)
        self._conn.executescript(SCHEMA)
        self._event_ttl_s = event_ttl_s

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locked) transaction."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def claim_event(self, event_key: str) -> bool:
        """Return True the first time ``event_key`` is seen by any process, False after.

        Used to answer each platform event once despite retries and parallel adapters.
        """
        now = time.time()
        cur = self._conn.execute(
            "INSERT OR IGNORE INTO seen_events (event_key, seen_at) VALUES (?, ?)", (event_key, now)
        )
        if cur.rowcount and int(now) % 97 == 0:
            self._conn.execute(
                "DELETE FROM seen_events WHERE seen_at < ?", (now - self._event_ttl_s,)
            )
        return cur.rowcount == 1

    def save_page(self, payload: dict) -> str:
        """Store a follow-up query (for "More results") and return a short token for buttons."""
        token = secrets.token_hex(6)
        self._conn.execute(
            "INSERT INTO paging (token, payload, created_at) VALUES (?, ?, ?)",
            (token, json.dumps(payload), time.time()),
        )
        return token

    def load_page(self, token: str) -> dict | None:
        """The payload saved under ``token``, or None if unknown."""
        row = self._conn.execute("SELECT payload FROM paging WHERE token = ?", (token,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_last_page(self, conversations: list[str], token: str) -> None:
        """Remember ``token`` as the latest answer's paging token in each conversation key
        (e.g. ``slack:C1:1700000000.1:U1`` for a thread, ``slack:C1::U1`` for the channel)."""
        now = time.time()
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO last_pages (conversation, token, created_at) "
                "VALUES (?, ?, ?)",
                [(key, token, now) for key in conversations],
            )

    def last_page(self, conversations: list[str]) -> str | None:
        """The paging token of the latest answer in the first of ``conversations`` that has
        one, or None."""
        for key in conversations:
            row = self._conn.execute(
                "SELECT token FROM last_pages WHERE conversation = ?", (key,)
            ).fetchone()
            if row:
                return str(row[0])
        return None

    def record_answer(
        self, platform: str, channel_id: str, message_id: str, paper_ids: list[str]
    ) -> None:
        """Remember which papers a posted message showed, so reactions can be tied to them."""
        self._conn.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
            (platform, channel_id, message_id, json.dumps(paper_ids), time.time()),
        )

    def answer_papers(self, platform: str, channel_id: str, message_id: str) -> list[str] | None:
        """Paper ids shown by a message the bot posted, or None if it is not one of ours."""
        row = self._conn.execute(
            "SELECT paper_ids FROM answers WHERE platform=? AND channel_id=? AND message_id=?",
            (platform, channel_id, message_id),
        ).fetchone()
        return json.loads(row[0]) if row else None

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
        self._conn.execute(
            "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?)",
            (platform, channel_id, message_id, user_id, value, json.dumps(ids), time.time()),
        )
        return ids

    def feedback_totals(self) -> dict[str, int]:
        """Net feedback per paper id over every recorded vote."""
        totals: dict[str, int] = {}
        for value, ids in self._conn.execute("SELECT value, paper_ids FROM feedback"):
            for paper_id in json.loads(ids):
                totals[paper_id] = totals.get(paper_id, 0) + value
        return totals
