"""The digest of one channel for one day: select it (trending, topic, never a paper the
channel already got), render it, and deliver it at most once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.chat.reply import Reply
from bot.digest.delivery import Delivery, deliver_once
from bot.digest.plans import PlanBook, scheduled_at
from bot.digest.posting import DigestPoster
from bot.digest.render import render_digest
from bot.ops.metrics import Metrics
from bot.settings import ChannelPlan, DigestSettings
from bot.store.ledger import DigestLedger
from bot.store.sources import SourceHealth
from bot.taste.book import TasteBook
from retrieval.digest import Digest, DigestCriteria, DigestIndex, select_digest
from retrieval.trending import DEFAULT_WEIGHTS, TrendingWeights


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


class DigestService:
    """Composes and delivers digests for the channels in ``plans``.

    ``clock`` returns an aware datetime. ``window_days`` / ``min_relevance`` tune selection;
    ``source`` names the paper source whose health (in ``sources``) the digest reports;
    ``taste`` (when given) re-ranks each channel's candidates by what that channel liked.
    """

    def __init__(
        self,
        index: DigestIndex,
        ledger: DigestLedger,
        settings: DigestSettings,
        plans: PlanBook,
        sources: SourceHealth,
        clock: Callable[[], datetime] = utc_now,
        *,
        min_relevance: float = 0.3,
        window_days: int = 1,
        weights: TrendingWeights = DEFAULT_WEIGHTS,
        source: str = "hf",
        metrics: Metrics | None = None,
        taste: TasteBook | None = None,
    ) -> None:
        self.metrics = metrics or Metrics()
        self.index = index
        self.ledger = ledger
        self.plans = plans
        self.sources = sources
        self.digest_settings = settings
        self.clock = clock
        self.min_relevance = min_relevance
        self.window_days = window_days
        self.weights = weights
        self.source = source
        self.taste = taste

    def compose(
        self, plan: ChannelPlan, day: date | None = None, now: datetime | None = None
    ) -> tuple[Digest, Reply]:
        """Select and render the digest of ``plan`` for ``day`` (default: today in the plan's
        zone), leaving out papers the channel received on other days. Writes nothing."""
        if now is None:
            now = self.clock() if day is None else scheduled_at(plan, day)
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
        taste = self.taste.for_channel(plan.platform, plan.channel_id) if self.taste else None
        digest = select_digest(self.index, day, now, criteria, sent, taste)
        return digest, render_digest(digest, plan, self.sources.status(self.source))

    async def deliver(
        self, plan: ChannelPlan, poster: DigestPoster, day: date, now: datetime | None = None
    ) -> Delivery:
        """Post ``plan``'s digest for ``day`` at most once (see :mod:`bot.digest.delivery`)."""
        delivery = await deliver_once(
            plan,
            poster,
            day,
            now or self.clock(),
            ledger=self.ledger,
            compose=self.compose,
            post_quiet_days=self.digest_settings.quiet_day_message,
        )
        self.metrics.record_digest(plan.platform, delivery.status)
        if delivery.status in ("failed", "unknown"):
            self.metrics.record_error(f"digest:{plan.platform}")
        return delivery
