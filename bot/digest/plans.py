"""Which channels get a digest, and when: plans from the config file merged with the plans
made from chat (:class:`bot.store.plans.ChannelPlans`), plus small helpers about one plan."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.settings import WEEKDAYS, ChannelPlan
from bot.store.plans import ChannelPlans


def describe_days(days: list[str]) -> str:
    """``["mon".."fri"]`` -> ``"Mon-Fri"``; other sets are listed."""
    if days == list(WEEKDAYS[:5]):
        return "Mon-Fri"
    return "every day" if sorted(days) == sorted(WEEKDAYS) else ", ".join(d.title() for d in days)


def describe_plan(plan: ChannelPlan) -> str:
    """A plan in one paragraph."""
    parts = [
        f"{plan.count} trending papers on "
        + (f'"{plan.topic}"' if plan.topic else "all topics")
        + f" at {plan.time} {plan.timezone}, {describe_days(plan.days)}."
    ]
    if plan.min_upvotes:
        parts.append(f"Minimum upvotes: {plan.min_upvotes}.")
    if plan.exclude_keywords:
        parts.append(f"Excluded keywords: {', '.join(plan.exclude_keywords)}.")
    return " ".join(parts)


def default_plan(platform: str = "cli", channel_id: str = "cli") -> ChannelPlan:
    """An "all topics" plan for channels (or the CLI) without one."""
    known = platform if platform in ("slack", "discord", "cli") else "cli"
    return ChannelPlan(name="all topics", platform=known, channel_id=channel_id)


def scheduled_at(plan: ChannelPlan, day: date) -> datetime:
    """The plan's local posting time on ``day`` (aware)."""
    hour, minute = (int(x) for x in plan.time.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(plan.timezone))


def choose_plans(book: PlanBook, name: str | None) -> list[ChannelPlan]:
    """Every effective plan (an "all topics" one when there is none), or the one named ``name``;
    ``LookupError`` naming the known plans when there is no such plan."""
    plans = book.all() or [default_plan()]
    if name is None:
        return plans
    chosen = [p for p in plans if p.name == name]
    if not chosen:
        raise LookupError(f"no plan named {name!r}; known: {[p.name for p in plans]}")
    return chosen


class PlanBook:
    """The effective plans: ``configured`` ones, replaced / removed / extended from chat."""

    def __init__(self, configured: list[ChannelPlan], chat_plans: ChannelPlans) -> None:
        self.configured = list(configured)
        self.chat_plans = chat_plans

    def all(self) -> list[ChannelPlan]:
        """Every channel's effective plan."""
        merged = {(p.platform, p.channel_id): p for p in self.configured}
        for key, plan in self.chat_plans.overrides().items():
            if plan is None:
                merged.pop(key, None)
            else:
                merged[key] = plan
        return list(merged.values())

    def plan_for(self, platform: str, channel_id: str) -> ChannelPlan | None:
        """The effective plan of one channel, if it has a digest."""
        key = (platform, channel_id)
        return next((p for p in self.all() if (p.platform, p.channel_id) == key), None)

    def save(self, plan: ChannelPlan) -> None:
        """Make ``plan`` its channel's plan (from chat)."""
        self.chat_plans.save(plan)

    def remove(self, platform: str, channel_id: str) -> None:
        """Switch a channel's digest off, even one from the config file."""
        self.chat_plans.remove(platform, channel_id)
