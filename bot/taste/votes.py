"""A channel's ratings, read from the state database.

How votes map to papers: a 👍/👎 on one paper (the per-paper buttons under a digest or a
``recommend`` answer, stored with that one paper id) weighs 1.0 on it; a 👍/👎 on a whole message (a reaction, or the
answer-level buttons) is spread over the message's papers, 1/n each; a "Similar <id>" press (or
typed ``similar <id>``) in a channel is a weak positive, 0.5, on that paper, once per user.
Only the channel's own rows are read: one channel's votes never reach another's taste.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.store.db import StateTable
from retrieval.taste import Rating

SIMILAR_WEIGHT = 0.5


@dataclass(frozen=True, slots=True)
class VoteSummary:
    """How much feedback a channel's taste rests on."""

    up: int = 0
    down: int = 0
    similar: int = 0

    @property
    def total(self) -> int:
        """Every vote and click."""
        return self.up + self.down + self.similar

    def describe(self) -> str:
        """``"7 👍 and 3 👎 in this channel (and 2 "Similar" clicks)"``."""
        text = f"{self.up} 👍 and {self.down} 👎 in this channel"
        if self.similar:
            text += f" (and {self.similar} “Similar” click{'' if self.similar == 1 else 's'})"
        return text


class TasteVotes(StateTable):
    """Reads a channel's votes as :class:`~retrieval.taste.Rating` s (written by
    :class:`~bot.store.state.BotState`: ``record_feedback``, ``record_similar``)."""

    def ratings(self, platform: str, channel_id: str) -> tuple[list[Rating], VoteSummary]:
        """Every rating of this channel, and the counts behind them."""
        ratings: list[Rating] = []
        up = down = 0
        rows = self.db.rows(
            "SELECT value, paper_ids FROM feedback WHERE platform = :p AND channel_id = :c",
            p=platform, c=channel_id,
        )  # fmt: skip
        for value, ids_json in rows:
            ids = [str(i) for i in json.loads(ids_json)]
            if not ids or not value:
                continue
            up, down = (up + 1, down) if value > 0 else (up, down + 1)
            ratings += [Rating(pid, (1.0 if value > 0 else -1.0) / len(ids)) for pid in ids]
        clicks = self.db.rows(
            "SELECT paper_id FROM similar_clicks WHERE platform = :p AND channel_id = :c",
            p=platform, c=channel_id,
        )  # fmt: skip
        ratings += [Rating(str(pid), SIMILAR_WEIGHT) for (pid,) in clicks]
        return ratings, VoteSummary(up, down, len(clicks))

    def revision(self, platform: str, channel_id: str) -> tuple:
        """Changes whenever this channel's votes change (the model cache key)."""
        feedback = self.db.rows(
            "SELECT COUNT(*), MAX(created_at), SUM(value) FROM feedback"
            " WHERE platform = :p AND channel_id = :c",
            p=platform, c=channel_id,
        )  # fmt: skip
        clicks = self.db.rows(
            "SELECT COUNT(*), MAX(created_at) FROM similar_clicks"
            " WHERE platform = :p AND channel_id = :c",
            p=platform, c=channel_id,
        )  # fmt: skip
        return (*feedback[0], *clicks[0])
