"""The scheduler lease: one scheduler posts digests, a standby takes over when it dies.

Unit tests of :class:`bot.store.lease.Lease` on a real SQLite file with an injected clock; two
:class:`bot.digest.leader.LeasedScheduler` in one process on the real services; and two real
``paperboy scheduler`` processes against one ``chroma run`` server and one state database,
posting to the fake Slack Web API.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.chat.reply import Reply
from bot.digest.leader import LeasedScheduler
from bot.digest.scheduler import DigestScheduler
from bot.settings import WEEKDAYS, ChannelPlan, DigestSettings, Settings
from bot.store.lease import Lease
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from tests.fakes.processes import free_port, paperboy_env, start_paperboy, stop_process
from tests.fakes.slack_api import FakeSlackApi

NAME = "digest-scheduler"


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def due_plan(name: str, channel_id: str, minutes_ago: int) -> ChannelPlan:
    """A daily UTC plan whose time was ``minutes_ago`` minutes ago. Near midnight that may be
    yesterday's run; it is still inside the grace window, so it is posted exactly once."""
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return ChannelPlan(
        name=name, platform="slack", channel_id=channel_id, time=f"{at:%H:%M}",
        timezone="UTC", days=list(WEEKDAYS),
    )  # fmt: skip


async def until(condition, timeout: float, what: str, step: float = 0.05) -> None:
    """Poll ``condition`` (without blocking the event loop) until true or fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(step)


# -- the lease ----------------------------------------------------------------------------


def test_one_holder_renewal_expiry_takeover_and_release(state_target):
    db, clock = state_target, Clock()
    one = Lease(db, NAME, "one", ttl_s=10, clock=clock)
    two = Lease(db, NAME, "two", ttl_s=10, clock=clock)
    assert one.current() is None
    assert one.try_acquire()
    assert not two.try_acquire()
    assert two.current() == ("one", clock.now + 10)

    clock.now += 8  # the holder renews before expiry: the lease moves on from now
    assert one.try_acquire()
    clock.now += 8  # 16 s after taking it, 8 s after the renewal: still one's
    assert not two.try_acquire()
    assert one.current() == ("one", clock.now + 2)

    clock.now += 2  # expired: the other takes over, and the old holder cannot renew
    assert two.try_acquire()
    assert not one.try_acquire()
    assert one.current() == ("two", clock.now + 10)

    assert not one.release(), "only the holder can release"
    assert two.current()[0] == "two"
    assert two.release()
    assert one.current() is None
    assert one.try_acquire(), "released: taken at once, before any expiry"
    for lease in (one, two):
        lease.close()


def test_leases_with_other_names_are_independent_and_ids_are_unique(state_target):
    db = state_target
    a, b = Lease(db, "digest-scheduler"), Lease(db, "ingest")
    assert a.try_acquire() and b.try_acquire()
    assert a.holder != b.holder and a.holder.startswith(f"{socket.gethostname()}:")
    with pytest.raises(ValueError):
        Lease(db, NAME, ttl_s=0)


def test_concurrent_acquire_from_many_connections_has_one_winner(state_target):
    db = state_target
    for round_ in range(5):  # each round: a fresh lease name, 8 threads racing for it
        leases = [Lease(db, f"race-{round_}", f"h{i}", ttl_s=30) for i in range(8)]
        barrier = threading.Barrier(len(leases))
        won: list[str] = []

        def grab(lease: Lease, barrier: threading.Barrier, won: list[str]) -> None:
            barrier.wait()
            if lease.try_acquire():
                won.append(lease.holder)

        threads = [threading.Thread(target=grab, args=(x, barrier, won)) for x in leases]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1, won
        assert leases[0].current()[0] == won[0]
        for lease in leases:
            lease.close()


# -- two leased schedulers in one process ---------------------------------------------------


class Poster:
    """Records what it posts (a DigestPoster)."""

    platform = "slack"

    def __init__(self, name: str, posts: list) -> None:
        self.name, self.posts = name, posts

    async def post(self, channel_id: str, reply: Reply) -> str:
        self.posts.append((self.name, channel_id, reply))
        return f"{self.name}-{len(self.posts)}"


@pytest.fixture
def data_dir(demo_index_dir, tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(demo_index_dir, copy)
    return copy


def leased(settings: Settings, embedder, name: str, posts: list, ttl: float, renew: float):
    """One "process": its own services, scheduler, poster and lease on the shared state DB."""
    from bot.services import build_services

    services = build_services(settings, embedder=embedder)
    scheduler = DigestScheduler(
        services.digests,
        {"slack": Poster(name, posts)},
        settings.scheduler,
        index=services.index,
        source_factory=lambda: (_ for _ in ()).throw(OSError("offline")),
        sweep=timedelta(seconds=1),
        plan_sync=timedelta(seconds=1),
    )
    lease = Lease(settings.state_path, NAME, name, ttl_s=ttl)
    return services, LeasedScheduler(scheduler, lease, renew_every_s=renew)


async def test_one_of_two_posts_and_the_standby_takes_over_after_a_crash(data_dir, embedder):
    plan_a = due_plan("a", "CA", minutes_ago=1)
    settings = Settings(data_dir=data_dir, demo_corpus=False, digest=DigestSettings(plans=[plan_a]))
    posts: list[tuple[str, str, Reply]] = []
    ttl = 1.5
    svc1, one = leased(settings, embedder, "one", posts, ttl, renew=0.2)
    svc2, two = leased(settings, embedder, "two", posts, ttl, renew=0.2)
    try:
        assert one.role == two.role == "stopped"
        await one.start()
        await two.start()
        assert (one.role, two.role) == ("active", "standby")
        assert one.lease.current()[0] == "one"
        await until(lambda: len(posts) == 1, 30, "plan a posted")
        await asyncio.sleep(1.0)  # a few renewals and sweeps: nobody posts again
        assert [(who, ch) for who, ch, _ in posts] == [("one", "CA")]
        assert two.role == "standby"

        # "one" crashes: its loop and jobs stop, the lease is NOT released.
        one._task.cancel()
        one.scheduler.shutdown()
        crashed = time.monotonic()
        _, expires_at = one.lease.current()
        svc2.digests.plans.save(due_plan("b", "CB", minutes_ago=3))  # e.g. /papers subscribe
        await until(lambda: two.role == "active", 3 * ttl, "the standby taking over")
        took_over = time.monotonic() - crashed
        assert time.time() >= expires_at - 0.05, "taken over only after the lease expired"
        await until(lambda: any(ch == "CB" for _, ch, _ in posts), 30, "plan b posted")
        await asyncio.sleep(1.0)
        assert sorted((who, ch) for who, ch, _ in posts) == [("one", "CA"), ("two", "CB")]
        sent = {(e.channel_id, e.status) for e in svc2.ledger.entries()}
        assert sent == {("CA", "sent"), ("CB", "sent")}
        assert two.lease.current()[0] == "two" and took_over < 3 * ttl
    finally:
        two.shutdown()
        one.shutdown()
        for svc in (svc1, svc2):
            svc.close()
    assert two.role == "stopped" and two.lease.current() is None


async def test_shutdown_hands_over_at_once_and_a_db_error_stands_down(data_dir, embedder):
    settings = Settings(data_dir=data_dir, demo_corpus=False)
    posts: list = []
    ttl = 60.0  # far longer than the test: any takeover here comes from a release
    svc1, one = leased(settings, embedder, "one", posts, ttl, renew=0.1)
    svc2, two = leased(settings, embedder, "two", posts, ttl, renew=0.1)
    try:
        await one.start()
        await two.start()
        assert (one.role, two.role) == ("active", "standby")
        one.shutdown()
        assert one.role == "stopped"
        stopped = one.scheduler.scheduler
        await until(lambda: not stopped.running, 2, "the jobs stopped")  # APScheduler: next tick
        await until(lambda: two.role == "active", 2, "the standby taking the released lease")
        await until(lambda: two.scheduler.scheduler.running, 2, "the scheduler running")

        # The lease table vanishes (a real database error): the holder stops at once.
        with sqlite3.connect(settings.state_path) as conn:
            conn.execute("DROP TABLE leases")
        await until(lambda: two.role == "standby", 2, "standing down on a DB error")
        await until(lambda: not two.scheduler.scheduler.running, 2, "the jobs stopped")
        with sqlite3.connect(settings.state_path) as conn:
            conn.execute(
                "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
                " expires_at REAL NOT NULL, acquired_at REAL NOT NULL)"
            )
        await until(lambda: two.role == "active", 2, "retaking the lease after the error")
        await until(lambda: two.scheduler.scheduler.running, 2, "the scheduler restarted")
        jobs = {job.id for job in two.scheduler.scheduler.get_jobs()}
        assert "hf-refresh" in jobs
    finally:
        two.shutdown()
        one.shutdown()
        for svc in (svc1, svc2):
            svc.close()
    assert posts == []


# -- two real `paperboy scheduler` processes ------------------------------------------------


def _holder_pid(state: Path) -> int | None:
    lease = Lease(state, NAME, "observer")
    try:
        found = lease.current()
    finally:
        lease.close()
    return int(found[0].split(":")[-2]) if found and found[1] > time.time() else None


def _posts(slack: FakeSlackApi, channel: str) -> int:
    return sum(
        1
        for call in slack.of("chat.postMessage")
        if call.params.get("channel") == channel and call.response.get("ok")
    )


async def test_two_scheduler_processes_one_chroma_one_ledger(demo_chroma, tmp_path):
    data_dir = tmp_path / "data"
    state = data_dir / "state.sqlite3"
    config = tmp_path / "config.toml"
    plan_a = due_plan("a", "CA", minutes_ago=1)
    config.write_text(
        "[[digest.plans]]\n"
        f'name = "a"\nplatform = "slack"\nchannel_id = "CA"\ntime = "{plan_a.time}"\n'
        f'timezone = "UTC"\ndays = {list(WEEKDAYS)!r}\n'.replace("'", '"')
    )
    logs = [tmp_path / "scheduler-1.log", tmp_path / "scheduler-2.log"]
    procs = []
    async with FakeSlackApi() as slack:
        env = paperboy_env(
            data_dir,
            CONFIG=str(config),
            SLACK__BOT_TOKEN="xoxb-test",
            SLACK__API_BASE_URL=slack.base_url,
            STORE__CHROMA_HOST="127.0.0.1",
            STORE__CHROMA_PORT=str(demo_chroma.port),
            SCHEDULER__LEASE_SECONDS="3",
            SCHEDULER__HF_API_BASE_URL=f"http://127.0.0.1:{slack.port}/no-hf",  # a fast 404
        )
        started = time.monotonic()
        timings: dict[str, float] = {}
        try:
            ops = [free_port(), free_port()]
            one = start_paperboy(["scheduler", "--ops-port", str(ops[0])], env, logs[0])
            procs.append(one)
            await until(lambda: _holder_pid(state) == one.pid, 180, "scheduler 1 active", 0.3)
            await until(lambda: _posts(slack, "CA") == 1, 120, "plan a posted", 0.2)
            timings["first post"] = time.monotonic() - started

            two = start_paperboy(["scheduler", "--ops-port", str(ops[1])], env, logs[1])
            procs.append(two)
            await until(
                lambda: "scheduler standby" in logs[1].read_text(), 180, "scheduler 2 up", 0.3
            )
            timings["standby up"] = time.monotonic() - started
            assert _holder_pid(state) == one.pid and two.poll() is None
            assert await _scheduler_health(ops[0]) == "digest scheduler active"
            assert await _scheduler_health(ops[1]) == "digest scheduler standby"  # and ready

            stop_process(one, signal.SIGKILL)  # a crash: the lease is left to expire
            killed = time.monotonic()
            ledger = DigestLedger(state)
            ChannelPlans(state).save(
                due_plan("b", "CB", minutes_ago=5)
            )  # what /papers subscribe does
            assert _holder_pid(state) != two.pid, "plan b is new to the scheduler taking over"
            await until(lambda: _holder_pid(state) == two.pid, 30, "scheduler 2 active", 0.2)
            timings["takeover"] = time.monotonic() - killed
            assert await _scheduler_health(ops[1]) == "digest scheduler active"
            await until(lambda: _posts(slack, "CB") == 1, 60, "plan b posted", 0.2)
            await asyncio.sleep(3)  # room for a duplicate to show up (there must be none)

            assert (_posts(slack, "CA"), _posts(slack, "CB")) == (1, 1)
            rows = [(e.channel_id, e.status) for e in ledger.entries("slack")]
            assert sorted(rows) == [("CA", "sent"), ("CB", "sent")]
            assert "took the scheduler lease" in logs[1].read_text()

            stop_process(two, signal.SIGTERM)  # a clean stop hands the lease back
            assert two.returncode == 0
            observer = Lease(state, NAME, "observer")
            assert observer.current() is None
            observer.close()
            ledger.close()
            print("timings (s):", {k: round(v, 1) for k, v in timings.items()})
        except BaseException:
            for log in logs:
                if log.exists():
                    print(f"----- {log.name} -----\n{log.read_text()[-6000:]}")
            raise
        finally:
            for proc in procs:
                stop_process(proc, signal.SIGKILL)


async def _scheduler_health(port: int) -> str:
    """The scheduler check of a process's ready ``/healthz`` (fails the test if not ready)."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["checks"]["scheduler"]["detail"]
