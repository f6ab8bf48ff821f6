"""Replaying the digest schedule over recorded Hugging Face days (``paperboy digest --replay``):
each day's papers arrive on their list day, each plan posts on its weekdays, into a throw-away
ledger. Nothing real is touched; the report counts papers per digest and repeats (must be 0)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.chat.reply import Reply
from bot.digest.plans import PlanBook, choose_plans, scheduled_at
from bot.digest.service import DigestService
from bot.services import build_embedder
from bot.settings import WEEKDAYS, ChannelPlan, Settings
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from bot.store.sources import SourceHealth
from retrieval.digest import MemoryDigestIndex
from retrieval.models import listing_day


@dataclass
class ReplayReport:
    """Totals of a replay; ``repeats`` is counted from what was posted, not from the ledger."""

    sent: dict[str, list[str]] = field(default_factory=dict)
    per_digest: list[int] = field(default_factory=list)
    days: set[date] = field(default_factory=set)
    seconds: float = 0.0

    def add(self, day: date, plan: ChannelPlan, reply: Reply) -> None:
        """Count one posted digest."""
        self.days.add(day)
        self.per_digest.append(len(reply.items))
        self.sent.setdefault(plan.name, []).extend(reply.paper_ids)

    @property
    def repeats(self) -> int:
        """Papers some channel received more than once (must be 0)."""
        return sum(len(ids) - len(set(ids)) for ids in self.sent.values())

    def summary(self) -> str:
        """A short human summary."""
        n = self.per_digest or [0]
        return (
            f"replay: {len(self.days)} days, {len(self.per_digest)} digests over "
            f"{len(self.sent)} channel(s), papers per digest mean {statistics.mean(n):.1f} "
            f"(min {min(n)}, max {max(n)}), quiet {n.count(0)}, "
            f"repeats {self.repeats}, {self.seconds:.1f} s"
        )


class _Recorder:
    """A poster that only records (replays post nowhere)."""

    def __init__(self, platform: str, sink: Callable[[str, Reply], None]) -> None:
        self.platform, self.sink, self.count = platform, sink, 0

    async def post(self, channel_id: str, reply: Reply) -> str:
        self.count += 1
        self.sink(channel_id, reply)
        return f"replay-{self.count}"


def run_replay(
    settings: Settings,
    folder: Path,
    since: date,
    until: date,
    channel: str | None = None,
    emit: Callable[[date, ChannelPlan, Reply], None] = lambda d, p, r: None,
    embed: Callable[[list[str]], object] | None = None,
) -> ReplayReport:
    """Simulate every plan's schedule over recorded days with a throw-away ledger: each day's
    papers arrive on their list day, each plan posts on its weekdays. Nothing real is touched."""
    from retrieval.sources.hf import read_daily_dir

    started = time.perf_counter()
    papers = read_daily_dir(folder, since - timedelta(days=7), until).papers
    report = ReplayReport()
    with tempfile.TemporaryDirectory() as tmp:
        now = [datetime.now(UTC)]
        db = Path(tmp) / "replay.sqlite3"
        ledger = DigestLedger(db, clock=lambda: now[0].timestamp())
        book = PlanBook(settings.digest.plans, ChannelPlans(db))
        service = DigestService(
            MemoryDigestIndex(), ledger, settings.digest, book, SourceHealth(db), lambda: now[0]
        )
        plans = choose_plans(service.plans, channel)
        if embed is None and any(p.topic for p in plans):
            embed = build_embedder(settings).encode
        index = MemoryDigestIndex(embed=embed)
        service.index = index
        poster = _Recorder("replay", lambda _c, r: None)
        index.add(p for p in papers if (listing_day(p) or since) < since)

        async def simulate() -> None:
            day = since
            while day <= until:
                index.add(p for p in papers if listing_day(p) == day)
                for plan in plans:
                    if WEEKDAYS[day.weekday()] not in plan.days:
                        continue
                    now[0] = scheduled_at(plan, day)
                    result = await service.deliver(plan, poster, day, now[0])
                    if result.status in ("sent", "quiet") and result.reply is not None:
                        report.add(day, plan, result.reply)
                        emit(day, plan, result.reply)
                day += timedelta(days=1)

        asyncio.run(simulate())
        ledger.close()
    report.seconds = time.perf_counter() - started
    return report
