"""Digest plans made from chat (``/papers subscribe``, ``unsubscribe``): one row per channel in
the state database. A row with no plan switches the channel's digest off, even when the config
file gives it one (see :class:`bot.digest.plans.PlanBook` for how the two are merged)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bot.settings import ChannelPlan
from bot.store.db import StateDB, StateTable


class ChannelPlans(StateTable):
    """Chat-made plan overrides by (platform, channel)."""

    def __init__(self, db: StateDB | Path | str, clock: Callable[[], float] = time.time) -> None:
        super().__init__(db)
        self._clock = clock

    def _put(self, platform: str, channel_id: str, plan: str | None) -> None:
        self.db.execute(
            "INSERT INTO digest_plans (platform, channel_id, plan, updated_at)"
            " VALUES (:p, :c, :plan, :now) ON CONFLICT (platform, channel_id)"
            " DO UPDATE SET plan = excluded.plan, updated_at = excluded.updated_at",
            p=platform, c=channel_id, plan=plan, now=self._clock(),
        )  # fmt: skip

    def save(self, plan: ChannelPlan) -> None:
        """Create or replace the chat-made plan of ``plan.platform``/``plan.channel_id``."""
        self._put(plan.platform, plan.channel_id, plan.model_dump_json())

    def remove(self, platform: str, channel_id: str) -> None:
        """Switch a channel's digest off (overrides a plan from the config file too)."""
        self._put(platform, channel_id, None)

    def overrides(self) -> dict[tuple[str, str], ChannelPlan | None]:
        """Chat-made plans by (platform, channel_id); ``None`` means unsubscribed."""
        rows = self.db.rows("SELECT platform, channel_id, plan FROM digest_plans")
        return {
            (p, c): ChannelPlan.model_validate_json(plan) if plan else None for p, c, plan in rows
        }
