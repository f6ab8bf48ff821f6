"""The digest commands people type in chat: ``digest`` (preview), ``subscribe <topic>``,
``unsubscribe``, ``settings`` and ``recommend``; each returns a neutral Reply."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from bot.chat.reply import Reply
from bot.digest.plans import default_plan, describe_plan
from bot.digest.render import day_label
from bot.digest.service import DigestService
from bot.settings import ChannelPlan
from bot.taste.recommend import Recommender


class DigestChat:
    """Chat commands over a :class:`DigestService` (what the router's ``DigestCommands`` are)."""

    def __init__(self, service: DigestService, recommender: Recommender | None = None) -> None:
        self.service = service
        self.plans = service.plans
        self.recommender = recommender

    def recommend(self, platform: str, channel_id: str) -> Reply:
        """Papers this channel is likely to like (see :mod:`bot.taste.recommend`)."""
        if self.recommender is None:
            return Reply(title="No recommendations", text="Recommendations are off.", kind="info")
        return self.recommender.recommend(platform, channel_id)

    def preview(self, platform: str, channel_id: str, day: date | None = None) -> Reply:
        """What this channel's digest would show (an "all topics" one if it has none)."""
        plan = self.plans.plan_for(platform, channel_id) or default_plan(platform, channel_id)
        return self.service.compose(plan, day)[1]

    def subscribe(self, platform: str, channel_id: str, topic: str) -> Reply:
        """Create or update this channel's plan with ``topic`` (empty = all topics)."""
        plan = self.plans.plan_for(platform, channel_id)
        try:
            if plan is None:
                plan = ChannelPlan(
                    name=f"{platform}:{channel_id}", platform=platform, channel_id=channel_id
                )
            plan = ChannelPlan.model_validate({**plan.model_dump(), "topic": topic.strip()})
        except ValidationError as err:
            return Reply(title="Cannot subscribe", text=str(err.errors()[0]["msg"]), kind="error")
        self.plans.save(plan)
        return Reply(title="Subscribed", text=describe_plan(plan), kind="info")

    def unsubscribe(self, platform: str, channel_id: str) -> Reply:
        """Switch this channel's digest off."""
        if self.plans.plan_for(platform, channel_id) is None:
            return Reply(
                title="No digest here", text="This channel has no daily digest.", kind="info"
            )
        self.plans.remove(platform, channel_id)
        return Reply(
            title="Unsubscribed",
            text="This channel will get no more daily digests. `subscribe <topic>` restarts them.",
            kind="info",
        )

    def settings(self, platform: str, channel_id: str) -> Reply:
        """This channel's plan and its last digest."""
        plan = self.plans.plan_for(platform, channel_id)
        if plan is None:
            text = "This channel has no daily digest. `subscribe <topic>` starts one."
            return Reply(title="Digest settings", text=text, kind="info")
        text = describe_plan(plan)
        last = self.service.ledger.entries(platform, channel_id)
        if last:
            text += f"\nLast digest: {day_label(last[0].day)} ({last[0].status})."
        return Reply(title="Digest settings", text=text, kind="info")
