"""The digest scheduler: time zones, DST, weekends, grace window, crashes, concurrency, jobs.
Source refresh before digests is in test_scheduler_refresh.py."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.chat.reply import Reply
from bot.digest.chat import DigestChat
from bot.digest.plans import PlanBook
from bot.digest.scheduler import DigestScheduler, last_fire_time, plan_trigger
from bot.digest.service import DigestService
from bot.settings import WEEKDAYS, ChannelPlan, DigestSettings, SchedulerSettings
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from bot.store.sources import SourceHealth
from retrieval.digest import MemoryDigestIndex
from retrieval.models import IngestReport
from retrieval.sources.hf import read_daily_dir

HF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hf_daily_papers"
BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
PLAN = ChannelPlan(
    name="ml", platform="slack", channel_id="C1", time="09:00", timezone="Europe/Berlin"
)


def fires(plan: ChannelPlan, start: datetime, n: int) -> list[datetime]:
    trigger, out, prev = plan_trigger(plan), [], None
    now = start
    for _ in range(n):
        prev = trigger.get_next_fire_time(prev, now)
        out.append(prev)
        now = prev
    return out


# -- time zones, DST, weekends --------------------------------------------------------------


def test_weekdays_only_by_default():
    times = fires(PLAN, datetime(2026, 8, 14, tzinfo=BERLIN), 10)
    assert {t.strftime("%a") for t in times} == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert [t.date() for t in times[:3]] == [
        date(2026, 8, 14),
        date(2026, 8, 17),
        date(2026, 8, 18),
    ]


@pytest.mark.parametrize(
    ("zone", "start", "utc_hours"),
    [
        ("Europe/Berlin", datetime(2026, 3, 26), [8, 8, 7, 7]),  # CET -> CEST on Sun 29 Mar
        ("Europe/Berlin", datetime(2026, 10, 22), [7, 7, 8, 8]),  # CEST -> CET on Sun 25 Oct
        ("America/New_York", datetime(2026, 3, 5), [14, 14, 13, 13]),  # EST -> EDT on Sun 8 Mar
        ("America/New_York", datetime(2026, 10, 29), [13, 13, 14, 14]),  # EDT -> EST on Sun 1 Nov
    ],
)
def test_local_time_holds_across_dst(zone, start, utc_hours):
    plan = PLAN.model_copy(update={"timezone": zone})
    times = fires(plan, start.replace(tzinfo=ZoneInfo(zone)), 4)
    assert all((t.hour, t.minute) == (9, 0) for t in times)
    assert [t.astimezone(UTC).hour for t in times] == utc_hours
    assert all(t.weekday() < 5 for t in times)


def test_last_fire_time_and_local_day_in_new_york():
    plan = PLAN.model_copy(update={"timezone": "America/New_York", "time": "21:00"})
    now = datetime(2026, 8, 19, 2, 0, tzinfo=UTC)  # 22:00 on Tue 18 Aug in New York
    fire = last_fire_time(plan_trigger(plan), now)
    assert fire.astimezone(NEW_YORK).date() == date(2026, 8, 18)
    monday = datetime(2026, 8, 17, 12, 0, tzinfo=UTC)  # before Monday's run: Friday's
    assert last_fire_time(plan_trigger(plan), monday).astimezone(NEW_YORK).date() == date(
        2026, 8, 14
    )


# -- harness -------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Poster:
    platform = "slack"

    def __init__(self, posts: list | None = None, fail: BaseException | None = None) -> None:
        self.posts = [] if posts is None else posts
        self.fail = fail

    async def post(self, channel_id: str, reply: Reply) -> str:
        self.posts.append((channel_id, reply))
        if self.fail is not None:
            raise self.fail
        return f"msg-{len(self.posts)}"


class Crash(BaseException):
    """The process dies right after the platform accepted the message."""


class IngestingIndex(MemoryDigestIndex):
    def ingest(self, papers):
        papers = list(papers)
        self.add(papers)
        return IngestReport(len(papers), len(papers), 0, 0, 0)


@pytest.fixture(scope="module")
def papers():
    if not HF.is_dir():
        pytest.skip("needs ../shared/data")
    return read_daily_dir(HF, date(2026, 8, 10), date(2026, 8, 21)).papers


def build(
    db: Path,
    papers,
    clock: Clock,
    plans=(PLAN,),
    grace=6.0,
    source_factory=None,
    scheduler_settings=None,
    **kwargs,
):
    ledger = DigestLedger(db, clock=lambda: clock().timestamp())
    settings = DigestSettings(plans=list(plans), grace_hours=grace)
    book = PlanBook(settings.plans, ChannelPlans(db))
    health = SourceHealth(db, clock=lambda: clock().timestamp())
    service = DigestService(IngestingIndex(papers), ledger, settings, book, health, clock)
    factory = source_factory or (lambda: (_ for _ in ()).throw(RuntimeError("offline")))
    return DigestScheduler(
        service,
        {},
        scheduler_settings or SchedulerSettings(),
        source_factory=factory,
        clock=clock,
        **kwargs,
    )


def at_berlin(day: int, hour: int, minute: int = 0, month: int = 8) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


# -- exactly once ----------------------------------------------------------------------------


async def test_a_second_tick_does_not_post_again(tmp_path, papers):
    clock = Clock(at_berlin(19, 9))
    sched = build(tmp_path / "s.db", papers, clock)
    sched.posters["slack"] = poster = Poster()
    first = await sched.run_due(PLAN)
    clock.now += timedelta(minutes=5)
    assert await sched.run_due(PLAN) is None
    assert await sched.catch_up() == []
    assert first.status == "sent" and len(poster.posts) == 1
    assert first.reply.title == "Trending papers — Wed 19 Aug 2026"


async def test_crash_between_send_and_record_never_posts_twice(tmp_path, papers):
    db, clock = tmp_path / "s.db", Clock(at_berlin(19, 9))
    posts: list = []
    crashing = build(db, papers, clock)
    crashing.posters["slack"] = Poster(posts, fail=Crash())
    with pytest.raises(Crash):
        await crashing.run_due(PLAN)
    assert (
        len(posts) == 1
        and crashing.digests.ledger.entry("slack", "C1", date(2026, 8, 19)).status == "pending"
    )
    for minutes in (1, 30):  # restarted soon (row still fresh) and later (row reconciled)
        clock.now = at_berlin(19, 9) + timedelta(minutes=minutes)
        restarted = build(db, papers, clock)
        restarted.posters["slack"] = Poster(posts)
        assert await restarted.catch_up() == []
    assert len(posts) == 1
    entry = restarted.digests.ledger.entry("slack", "C1", date(2026, 8, 19))
    assert entry.status == "unknown"
    clock.now = at_berlin(20, 9)
    await restarted.catch_up()
    assert len(posts) == 2 and not set(posts[0][1].paper_ids) & set(posts[1][1].paper_ids)


async def test_a_failed_post_is_retried_by_the_next_sweep_and_posted_once(tmp_path, papers):
    clock = Clock(at_berlin(19, 9))
    sched = build(tmp_path / "s.db", papers, clock)
    sched.posters["slack"] = Poster(fail=RuntimeError("HTTP 503"))
    assert (await sched.run_due(PLAN)).status == "failed"
    sched.posters["slack"] = poster = Poster()
    clock.now += timedelta(minutes=10)
    results = await sched.catch_up()
    assert [r.status for r in results] == ["sent"] and len(poster.posts) == 1
    assert await sched.catch_up() == []


def test_two_schedulers_on_one_database_post_once(tmp_path, papers):
    db, posts, barrier = tmp_path / "s.db", [], threading.Barrier(2)
    DigestLedger(db).close()

    class SlowPoster(Poster):
        async def post(self, channel_id, reply):
            await asyncio.sleep(0.05)
            return await super().post(channel_id, reply)

    def one_process() -> None:
        clock = Clock(at_berlin(19, 9, 1))
        sched = build(db, papers, clock)
        sched.posters["slack"] = SlowPoster(posts)
        barrier.wait()
        asyncio.run(sched.catch_up())

    threads = [threading.Thread(target=one_process) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(posts) == 1


async def test_dst_fall_back_double_fire_posts_once(tmp_path, papers):
    plan = PLAN.model_copy(update={"time": "02:30", "days": list(WEEKDAYS)})
    first, second = fires(plan, datetime(2026, 10, 25, tzinfo=BERLIN), 2)
    assert first.date() == second.date()  # 02:30 CEST, then 02:30 CET an hour later
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    clock = Clock(first)
    sched = build(tmp_path / "s.db", papers, clock, plans=(plan,))
    sched.posters["slack"] = poster = Poster()
    await sched.run_due(plan)
    clock.now = second
    await sched.run_due(plan)
    assert len(poster.posts) == 1


# -- missed runs ---------------------------------------------------------------------------


async def test_missed_run_inside_grace_is_posted_once_after_restart(tmp_path, papers):
    clock = Clock(at_berlin(19, 14))  # down from 08:00 to 14:00, grace 6 h
    sched = build(tmp_path / "s.db", papers, clock, grace=6)
    sched.posters["slack"] = poster = Poster()
    results = await sched.catch_up()
    assert [(r.status, r.day) for r in results] == [("sent", date(2026, 8, 19))]
    assert await sched.catch_up() == [] and len(poster.posts) == 1


async def test_missed_run_outside_grace_is_skipped_and_logged(tmp_path, papers, caplog):
    clock = Clock(at_berlin(19, 16))
    sched = build(tmp_path / "s.db", papers, clock, grace=6)
    sched.posters["slack"] = poster = Poster()
    with caplog.at_level(logging.WARNING, logger="bot.digest.scheduler"):
        assert await sched.catch_up() == []
    assert poster.posts == [] and "missed" in caplog.text
    entry = sched.digests.ledger.entry("slack", "C1", date(2026, 8, 19))
    assert entry.status == "skipped" and "09:00" in entry.note
    clock.now = at_berlin(20, 9, 2)
    assert [r.status for r in await sched.catch_up()] == ["sent"]


async def test_weekend_catch_up_only_looks_at_fridays_run(tmp_path, papers):
    clock = Clock(at_berlin(22, 10))  # Saturday, Friday's run is 25 h old
    sched = build(tmp_path / "s.db", papers, clock, grace=6)
    sched.posters["slack"] = poster = Poster()
    await sched.catch_up()
    assert sched.digests.ledger.entry("slack", "C1", date(2026, 8, 22)) is None
    assert sched.digests.ledger.entry("slack", "C1", date(2026, 8, 21)).status == "skipped"
    assert poster.posts == []


# -- the real APScheduler ----------------------------------------------------------------------


async def test_start_schedules_one_job_per_plan_and_follows_chat_changes(tmp_path, papers):
    clock = Clock(at_berlin(19, 7))
    ny = ChannelPlan(name="ny", platform="discord", channel_id="9", timezone="America/New_York")
    sched = build(tmp_path / "s.db", papers, clock, plans=(PLAN, ny))
    await sched.start()
    try:
        jobs = {j.id: j for j in sched.scheduler.get_jobs()}
        assert {"digest:slack:C1", "digest:discord:9", "hf-refresh"} <= set(jobs)
        assert str(jobs["digest:slack:C1"].trigger.timezone) == "Europe/Berlin"
        assert jobs["digest:slack:C1"].misfire_grace_time == 6 * 3600
        assert jobs["digest:slack:C1"].coalesce
        DigestChat(sched.digests).subscribe("slack", "C2", "robots")
        DigestChat(sched.digests).unsubscribe("discord", "9")
        assert sched.sync_plans() == ["digest:slack:C1", "digest:slack:C2"]
        ids = {j.id for j in sched.scheduler.get_jobs()}
        assert "digest:slack:C2" in ids and "digest:discord:9" not in ids
    finally:
        sched.shutdown()


async def test_housekeeping_runs_at_start_and_daily_and_never_stops_digests(tmp_path, papers):
    clock = Clock(at_berlin(19, 9))
    runs: list[str] = []

    def housekeeping() -> None:
        runs.append("pruned")
        raise RuntimeError("state database busy")  # a failure is logged, digests go on

    sched = build(tmp_path / "s.db", papers, clock, housekeeping=housekeeping)
    sched.posters["slack"] = poster = Poster()
    await sched.start()
    try:
        assert runs == ["pruned"], "pruned once at start"
        job = sched.scheduler.get_job("housekeeping")
        assert job is not None and job.trigger.interval.total_seconds() == 86400
        assert len(poster.posts) == 1, "the due digest was still posted"
    finally:
        sched.shutdown()
