"""Digests for chat and the scheduler: plans (config + chat overrides), preview, subscribe,
and the exactly-once delivery of one channel's digest for one day."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.ledger import DigestLedger
from bot.metrics import Metrics
from bot.posting import DigestPoster
from bot.reply import Action, Reply, ReplyItem
from bot.settings import WEEKDAYS, ChannelPlan, DigestSettings
from retrieval.digest import Digest, DigestCriteria, DigestIndex, select_digest
from retrieval.trending import DEFAULT_WEIGHTS, TrendingWeights

log = logging.getLogger(__name__)

FOOTER = "Ask me: @Paperboy <question> or /papers similar <id>"
DeliveryStatus = Literal["sent", "quiet", "already", "failed"]


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


def _day(d: date) -> str:
    return d.strftime("%a %d %b %Y")


def describe_days(days: list[str]) -> str:
    """``["mon".."fri"]`` -> ``"Mon-Fri"``; other sets are listed."""
    if days == list(WEEKDAYS[:5]):
        return "Mon-Fri"
    return "every day" if sorted(days) == sorted(WEEKDAYS) else ", ".join(d.title() for d in days)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one delivery attempt did."""

    status: DeliveryStatus
    day: date
    reply: Reply | None = None
    message_id: str | None = None


class DigestService:
    """Builds, previews and delivers digests; manages plans from chat.

    ``clock`` returns an aware datetime. ``window_days`` / ``min_relevance`` tune selection.
    """

    def __init__(
        self,
        index: DigestIndex,
        ledger: DigestLedger,
        settings: DigestSettings,
        clock: Callable[[], datetime] = utc_now,
        *,
        min_relevance: float = 0.3,
        window_days: int = 1,
        weights: TrendingWeights = DEFAULT_WEIGHTS,
        source: str = "hf",
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics or Metrics()
        self.index = index
        self.ledger = ledger
        self.digest_settings = settings
        self.clock = clock
        self.min_relevance = min_relevance
        self.window_days = window_days
        self.weights = weights
        self.source = source

    # -- plans ----------------------------------------------------------------------------

    def plans(self) -> list[ChannelPlan]:
        """Plans from the config file, replaced / removed / extended by chat overrides."""
        overrides = self.ledger.plan_overrides()
        merged = {(p.platform, p.channel_id): p for p in self.digest_settings.plans}
        for key, plan in overrides.items():
            if plan is None:
                merged.pop(key, None)
            else:
                merged[key] = plan
        return list(merged.values())

    def plan_for(self, platform: str, channel_id: str) -> ChannelPlan | None:
        """The effective plan of one channel, if it has a digest."""
        key = (platform, channel_id)
        return next((p for p in self.plans() if (p.platform, p.channel_id) == key), None)

    @staticmethod
    def default_plan(platform: str = "cli", channel_id: str = "cli") -> ChannelPlan:
        """An "all topics" plan for channels (or the CLI) without one."""
        known = platform if platform in ("slack", "discord", "cli") else "cli"
        return ChannelPlan(name="all topics", platform=known, channel_id=channel_id)

    @staticmethod
    def scheduled_at(plan: ChannelPlan, day: date) -> datetime:
        """The plan's local posting time on ``day`` (aware)."""
        hour, minute = (int(x) for x in plan.time.split(":"))
        return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(plan.timezone))

    # -- composing ------------------------------------------------------------------------

    def compose(
        self, plan: ChannelPlan, day: date | None = None, now: datetime | None = None
    ) -> tuple[Digest, Reply]:
        """Select and render the digest of ``plan`` for ``day`` (default: today in the plan's
        zone), leaving out papers the channel received on other days. Writes nothing."""
        if now is None:
            now = self.clock() if day is None else self.scheduled_at(plan, day)
        day = day or now.astimezone(ZoneInfo(plan.timezone)).date()
        criteria = DigestCriteria(
            count=plan.count,
            topic=plan.topic,
            min_upvotes=plan.min_upvotes,
            exclude_keywords=tuple(plan.exclude_keywords),
            min_relevance=self.min_relevance,
            window_days=self.window_days,
            weights=self.weights,
        )
        sent = self.ledger.sent_paper_ids(plan.platform, plan.channel_id, exclude_day=day)
        digest = select_digest(self.index, day, now, criteria, sent)
        return digest, self.render(digest, plan)

    def _notes(self, digest: Digest) -> list[str]:
        notes = []
        status = self.ledger.source_status(self.source)
        if status is not None and status.failing:
            as_of = (
                datetime.fromtimestamp(status.last_ok, UTC).strftime("%a %d %b %H:%M UTC")
                if status.last_ok
                else f"the list of {_day(digest.list_day)}"
                if digest.list_day
                else "an unknown time"
            )
            notes.append(f"Paper sources could not be refreshed just now; data as of {as_of}.")
        if digest.list_day is not None and digest.list_day < digest.day:
            notes.append(f"Latest list available: {_day(digest.list_day)}.")
        return notes

    def render(self, digest: Digest, plan: ChannelPlan) -> Reply:
        """The neutral digest Reply (also the quiet-day Reply when nothing qualified)."""
        topic = plan.topic.strip()
        title = f"Trending papers — {_day(digest.day)}" + (f" · {topic}" if topic else "")
        about = f' matching "{topic}"' if topic else ""
        if digest.quiet:
            where = f"the list of {_day(digest.list_day)}" if digest.list_day else "recent lists"
            text = f"Quiet day: no new papers{about} on {where}."
        else:
            text = (
                f"Top {len(digest.items)} of {digest.candidates} papers{about} on the Hugging "
                f"Face daily list, by upvotes, comments and GitHub stars weighed against age."
            )
            bare = sum(i.trending.basis == "relevance" for i in digest.items)
            if bare:
                how = "relevance to the topic and recency" if topic else "recency"
                whom = "these papers" if bare == len(digest.items) else f"{bare} of these papers"
                text += (
                    f" No popularity signal (upvotes, comments, stars) is known for {whom} "
                    f"(arXiv-only), so they are ranked by {how}."
                )
        text = " ".join([text, *self._notes(digest)])
        items = tuple(
            ReplyItem(
                paper_id=i.paper.id,
                title=i.paper.title,
                url=i.paper.link,
                authors=i.paper.authors[:3],
                date=(i.paper.list_date or i.paper.published or digest.day).isoformat(),
                upvotes=i.paper.upvotes,
                snippet=i.summary,
                why=i.why,
                score=round(i.trending.score, 4),
            )
            for i in digest.items
        )
        actions = tuple(
            Action("similar", f"Similar to #{n}", f"similar {item.paper_id}")
            for n, item in enumerate(items[:5], start=1)
        )
        return Reply(
            title=title,
            items=items,
            text=text,
            footer=FOOTER,
            actions=actions,
            kind="digest",
            paper_ids=tuple(item.paper_id for item in items),
        )

    # -- chat commands --------------------------------------------------------------------

    def preview(self, platform: str, channel_id: str, day: date | None = None) -> Reply:
        """What this channel's digest would show (an "all topics" one if it has none)."""
        plan = self.plan_for(platform, channel_id) or self.default_plan(platform, channel_id)
        return self.compose(plan, day)[1]

    def subscribe(self, platform: str, channel_id: str, topic: str) -> Reply:
        """Create or update this channel's plan with ``topic`` (empty = all topics)."""
        plan = self.plan_for(platform, channel_id)
        try:
            if plan is None:
                plan = ChannelPlan(
                    name=f"{platform}:{channel_id}", platform=platform, channel_id=channel_id
                )
            plan = ChannelPlan.model_validate({**plan.model_dump(), "topic": topic.strip()})
        except ValidationError as err:
            return Reply(title="Cannot subscribe", text=str(err.errors()[0]["msg"]), kind="error")
        self.ledger.save_plan(plan)
        return Reply(title="Subscribed", text=self.describe(plan), kind="info")

    def unsubscribe(self, platform: str, channel_id: str) -> Reply:
        """Switch this channel's digest off."""
        if self.plan_for(platform, channel_id) is None:
            return Reply(
                title="No digest here", text="This channel has no daily digest.", kind="info"
            )
        self.ledger.remove_plan(platform, channel_id)
        return Reply(
            title="Unsubscribed",
            text="This channel will get no more daily digests. `subscribe <topic>` restarts them.",
            kind="info",
        )

    def settings(self, platform: str, channel_id: str) -> Reply:
        """This channel's plan and its last digest."""
        plan = self.plan_for(platform, channel_id)
        if plan is None:
            text = "This channel has no daily digest. `subscribe <topic>` starts one."
            return Reply(title="Digest settings", text=text, kind="info")
        text = self.describe(plan)
        last = self.ledger.entries(platform, channel_id)
        if last:
            text += f"\nLast digest: {_day(last[0].day)} ({last[0].status})."
        return Reply(title="Digest settings", text=text, kind="info")

    @staticmethod
    def describe(plan: ChannelPlan) -> str:
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

    # -- delivery -------------------------------------------------------------------------

    async def deliver(
        self, plan: ChannelPlan, poster: DigestPoster, day: date, now: datetime | None = None
    ) -> Delivery:
        """Post ``plan``'s digest for ``day`` at most once (see :mod:`bot.ledger`)."""
        delivery = await self._deliver(plan, poster, day, now)
        self.metrics.record_digest(plan.platform, delivery.status)
        if delivery.status == "failed":
            self.metrics.record_error(f"digest:{plan.platform}")
        return delivery

    async def _deliver(
        self, plan: ChannelPlan, poster: DigestPoster, day: date, now: datetime | None
    ) -> Delivery:
        key = (plan.platform, plan.channel_id, day)
        self.ledger.reconcile()
        existing = self.ledger.entry(*key)
        if existing is not None and existing.status != "failed":
            return Delivery("already", day)
        digest, reply = await asyncio.to_thread(self.compose, plan, day, now or self.clock())
        if digest.quiet and not self.digest_settings.quiet_day_message:
            self.ledger.record(*key, plan.name, "quiet", "nothing qualified")
            log.info("digest %s for %s: quiet day, nothing posted", plan.name, day)
            return Delivery("quiet", day)
        if not self.ledger.claim(*key, plan.name, list(reply.paper_ids)):
            return Delivery("already", day)
        try:
            message_id = await poster.post(plan.channel_id, reply)
        except Exception as err:  # the platform said no: recorded, retried by a later run
            log.exception("digest %s for %s failed to post", plan.name, day)
            self.ledger.mark_failed(*key, f"{type(err).__name__}: {err}")
            return Delivery("failed", day, reply)
        self.ledger.mark_sent(*key, str(message_id))
        log.info("digest %s for %s posted as %s", plan.name, day, message_id)
        return Delivery("sent" if reply.items else "quiet", day, reply, str(message_id))
