"""Digest plans made from chat (``/papers subscribe``, ``unsubscribe``): one row per channel in
the state database. A row with no plan switches the channel's digest off, even when the config
file gives it one (see :class:`bot.digest.plans.PlanBook` for how the two are merged)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.settings import ChannelPlan
from bot.store.db import StateTable


class ChannelPlans(StateTable):
    """Chat-made plan overrides by (platform, channel)."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS digest_plans (
        platform TEXT NOT NULL, channel_id TEXT NOT NULL, plan TEXT, updated_at REAL NOT NULL,
        PRIMARY KEY (platform, channel_id)
    );
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__(path)
        self._clock = clock

    def save(self, plan: ChannelPlan) -> None:
        """Create or replace the chat-made plan of ``plan.platform``/``plan.channel_id``."""
        self._run(
            "INSERT OR REPLACE INTO digest_plans VALUES (?, ?, ?, ?)",
            (plan.platform, plan.channel_id, plan.model_dump_json(), self._clock()),
        )

    def remove(self, platform: str, channel_id: str) -> None:
        """Switch a channel's digest off (overrides a plan from the config file too)."""
        self._run(
            "INSERT OR REPLACE INTO digest_plans VALUES (?, ?, NULL, ?)",
            (platform, channel_id, self._clock()),
        )

    def overrides(self) -> dict[tuple[str, str], ChannelPlan | None]:
        """Chat-made plans by (platform, channel_id); ``None`` means unsubscribed."""
        rows = self._rows("SELECT platform, channel_id, plan FROM digest_plans")
        return {
            (p, c): ChannelPlan.model_validate_json(plan) if plan else None for p, c, plan in rows
        }
