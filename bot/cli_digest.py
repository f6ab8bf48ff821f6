"""``paperboy digest``: preview each channel's digest, or replay it over recorded days."""

from __future__ import annotations

import asyncio
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from bot.digest_service import DigestService
from bot.ledger import DigestLedger
from bot.reply import Reply
from bot.settings import WEEKDAYS, ChannelPlan, Settings
from retrieval.digest import MemoryDigestIndex
from retrieval.trending import paper_day

log = logging.getLogger(__name__)
DEFAULT_REPLAY_DIR = Path(__file__).resolve().parents[1].parent / "shared/data/hf_daily_papers"


def register(app: typer.Typer) -> None:
    """Add ``digest`` to the ``paperboy`` CLI (``scheduler`` is in :mod:`bot.cli_scheduler`)."""
    app.command("digest")(digest_command)


def _load() -> Settings:
    from bot.cli import load_settings  # late import: bot.cli imports this module

    return load_settings()


def _plans(service: DigestService, name: str | None) -> list[ChannelPlan]:
    plans = service.plans() or [DigestService.default_plan()]
    if name is None:
        return plans
    chosen = [p for p in plans if p.name == name]
    if not chosen:
        raise typer.BadParameter(f"no plan named {name!r}; known: {[p.name for p in plans]}")
    return chosen


def json_line(day: date, plan: ChannelPlan, reply: Reply) -> str:
    """One digest as the ``--json`` line: date, channel, items (id, title, url, ...)."""
    items = [
        {
            "id": i.paper_id,
            "title": i.title,
            "url": i.url,
            "upvotes": i.upvotes,
            "score": i.score,
            "why": i.why,
        }  # fmt: skip
        for i in reply.items
    ]
    return json.dumps({"date": day.isoformat(), "channel": plan.name, "items": items})


def digest_command(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today)")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="only this plan")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
    replay: Annotated[str | None, typer.Option("--replay", help="simulate FROM..TO")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="recorded HF daily_papers files")
    ] = None,
) -> None:
    """Print the digest each channel would get (nothing is recorded), or replay a date range."""
    settings = _load()
    if replay:
        since, _, until = replay.partition("..")
        folder = from_dir or DEFAULT_REPLAY_DIR
        if not folder.is_dir():
            raise typer.BadParameter(f"{folder} is not a folder of recorded days; use --from-dir")
        report = run_replay(
            settings, folder, date.fromisoformat(since), date.fromisoformat(until or since),
            channel, lambda d, p, r: print(json_line(d, p, r) if as_json else _text(d, p, r)),
        )  # fmt: skip
        print(report.summary(), file=sys.stderr if as_json else sys.stdout)
        return
    from bot.cli import open_services

    services = open_services()
    try:
        digests: DigestService = services.digests
        the_day = date.fromisoformat(day) if day else None
        for plan in _plans(digests, channel):
            digest, reply = digests.compose(plan, the_day)
            print(json_line(digest.day, plan, reply) if as_json else reply.to_text() + "\n")
            if digest.list_day is None:
                latest = services.index.latest_list_date()
                hint = (
                    f" (latest list in the store: {latest}; try --date {latest})" if latest else ""
                )
                print(f"No papers listed in the week before {digest.day}{hint}.", file=sys.stderr)
    finally:
        services.close()


def _text(day: date, plan: ChannelPlan, reply: Reply) -> str:
    lines = [f"{day:%a %Y-%m-%d}  {plan.name}: {len(reply.items)} papers"]
    for n, item in enumerate(reply.items, start=1):
        lines.append(f"  {n}. [{item.paper_id}] {item.title[:90]}  ({item.why})")
    return "\n".join(lines)


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
        ledger = DigestLedger(Path(tmp) / "replay.sqlite3", clock=lambda: now[0].timestamp())
        service = DigestService(MemoryDigestIndex(), ledger, settings.digest, lambda: now[0])
        plans = _plans(service, channel)
        if embed is None and any(p.topic for p in plans):
            from bot.app import build_embedder

            embed = build_embedder(settings).encode
        index = MemoryDigestIndex(embed=embed)
        service.index = index
        poster = _Recorder("replay", lambda _c, r: None)
        index.add(p for p in papers if (paper_day(p) or since) < since)

        async def simulate() -> None:
            day = since
            while day <= until:
                index.add(p for p in papers if paper_day(p) == day)
                for plan in plans:
                    if WEEKDAYS[day.weekday()] not in plan.days:
                        continue
                    now[0] = service.scheduled_at(plan, day)
                    result = await service.deliver(plan, poster, day, now[0])
                    if result.status in ("sent", "quiet") and result.reply is not None:
                        report.add(day, plan, result.reply)
                        emit(day, plan, result.reply)
                day += timedelta(days=1)

        asyncio.run(simulate())
        ledger.close()
    report.seconds = time.perf_counter() - started
    return report
