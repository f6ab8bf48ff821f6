"""Several hosts, end to end: processes with separate data dirs (nothing shared on disk) on one
real ``chroma run`` server and one real PostgreSQL state database.

- The same Slack event delivered to two ``paperboy slack`` processes is answered once.
- PostgreSQL stopped: both ``/healthz`` go 503 naming the state database, no process exits, and
  both are ready again by themselves when it returns.
- Two ``paperboy scheduler`` processes: the lease holder is SIGKILLed, the other takes over, and
  each channel-day gets exactly one digest.
"""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest

from bot.settings import WEEKDAYS
from bot.store.lease import Lease
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from tests.fakes.processes import free_port, paperboy_env, start_paperboy, stop_process
from tests.fakes.slack_api import FakeSlackApi
from tests.test_lease import NAME, _posts, _scheduler_health, due_plan, until
from tests.test_team_e2e import (
    QUESTION,
    SECRET,
    SlackProcess,
    posts_in,
    signed_event,
    wait_answer,
    wait_health,
)


def host_env(tmp_path, host: str, chroma, state_url: str, **settings: str) -> dict[str, str]:  # noqa: ANN001
    """A process on its own "host": its own data dir, the shared Chroma server and state URL."""
    return paperboy_env(
        tmp_path / host,
        STATE_URL=state_url,
        STORE__CHROMA_HOST="127.0.0.1",
        STORE__CHROMA_PORT=str(chroma.port),
        **settings,
    )


def holder_pid(state_url: str) -> int | None:
    """The pid of the process holding the scheduler lease now, if any."""
    lease = Lease(state_url, NAME, "observer")
    try:
        found = lease.current()
        now = lease.db.now()
    finally:
        lease.close()
    return int(found[0].split(":")[-2]) if found and found[1] > now else None


@pytest.mark.timeout(420)
async def test_two_hosts_answer_each_event_once_and_ride_out_a_postgres_outage(
    demo_chroma, postgres, pg_url, tmp_path
) -> None:
    async with FakeSlackApi() as slack:
        settings = {
            "SLACK__MODE": "http",
            "SLACK__BOT_TOKEN": "xoxb-hosts",
            "SLACK__SIGNING_SECRET": SECRET,
            "SLACK__API_BASE_URL": slack.base_url,
            "SCHEDULER__RUN_IN_BOT": "false",
        }
        bots = [
            SlackProcess(host, host_env(tmp_path, host, demo_chroma, pg_url, **settings), tmp_path)
            for host in ("host-a", "host-b")
        ]
        try:
            async with httpx.AsyncClient() as http:
                for bot in bots:
                    ready = await wait_health(http, bot, 200, timeout=240)
                    assert "PostgreSQL" in ready["checks"]["state"]["detail"]

                async def send(bot: SlackProcess, channel: str, event_id: str) -> None:
                    body, headers = signed_event(QUESTION, channel, event_id)
                    response = await http.post(
                        bot.url("/slack/events"), content=body, headers=headers
                    )
                    assert response.status_code == 200

                await asyncio.gather(*(send(bot, "C0SAME", "EvHOSTS") for bot in bots))
                await wait_answer(slack, "C0SAME", "arxiv.org")
                await asyncio.sleep(2)  # time for a duplicate to show up (there must be none)
                assert len(posts_in(slack, "C0SAME")) == 1
                assert not (tmp_path / "host-a" / "state.sqlite3").exists(), "no SQLite state"

                postgres.stop()
                try:
                    for bot in bots:
                        down = await wait_health(http, bot, 503, timeout=60)
                        assert down["checks"]["state"]["ok"] is False
                        assert "PostgreSQL" in down["checks"]["state"]["detail"]
                        assert down["checks"]["store"]["ok"] is True
                    assert all(bot.proc.poll() is None for bot in bots)
                finally:
                    postgres.start()
                for bot in bots:
                    await wait_health(http, bot, 200, timeout=60)
                await send(bots[1], "C0BACK", "EvBACK")
                await wait_answer(slack, "C0BACK", "arxiv.org")
        finally:
            for bot in bots:
                stop_process(bot.proc)


@pytest.mark.timeout(420)
async def test_two_hosts_schedulers_take_over_on_postgres_and_post_once(
    demo_chroma, pg_url, tmp_path
) -> None:
    plan_a = due_plan("a", "CA", minutes_ago=1)
    config = tmp_path / "config.toml"
    config.write_text(
        "[[digest.plans]]\n"
        f'name = "a"\nplatform = "slack"\nchannel_id = "CA"\ntime = "{plan_a.time}"\n'
        f'timezone = "UTC"\ndays = {list(WEEKDAYS)!r}\n'.replace("'", '"')
    )
    logs = [tmp_path / "scheduler-a.log", tmp_path / "scheduler-b.log"]
    procs: list = []
    async with FakeSlackApi() as slack:
        settings = {
            "CONFIG": str(config),
            "SLACK__BOT_TOKEN": "xoxb-test",
            "SLACK__API_BASE_URL": slack.base_url,
            "SCHEDULER__LEASE_SECONDS": "3",
            "SCHEDULER__HF_API_BASE_URL": f"http://127.0.0.1:{slack.port}/no-hf",  # a fast 404
        }
        envs = [
            host_env(tmp_path, host, demo_chroma, pg_url, **settings)
            for host in ("host-a", "host-b")
        ]
        ops = [free_port(), free_port()]
        try:
            one = start_paperboy(["scheduler", "--ops-port", str(ops[0])], envs[0], logs[0])
            procs.append(one)
            await until(lambda: holder_pid(pg_url) == one.pid, 180, "scheduler a active", 0.3)
            await until(lambda: _posts(slack, "CA") == 1, 120, "plan a posted", 0.2)
            two = start_paperboy(["scheduler", "--ops-port", str(ops[1])], envs[1], logs[1])
            procs.append(two)
            await until(lambda: "scheduler standby" in logs[1].read_text(), 180, "b up", 0.3)
            assert await _scheduler_health(ops[1]) == "digest scheduler standby"

            stop_process(one, signal.SIGKILL)  # host a dies; its lease is left to expire
            killed = time.monotonic()
            plans = ChannelPlans(pg_url)
            plans.save(due_plan("b", "CB", minutes_ago=5))  # what /papers subscribe does
            plans.close()
            await until(lambda: holder_pid(pg_url) == two.pid, 30, "scheduler b active", 0.2)
            took_over = time.monotonic() - killed
            await until(lambda: _posts(slack, "CB") == 1, 60, "plan b posted", 0.2)
            await asyncio.sleep(3)  # room for a duplicate to show up (there must be none)
            assert (_posts(slack, "CA"), _posts(slack, "CB")) == (1, 1)
            ledger = DigestLedger(pg_url)
            rows = sorted((e.channel_id, e.status) for e in ledger.entries("slack"))
            ledger.close()
            assert rows == [("CA", "sent"), ("CB", "sent")]
            stop_process(two, signal.SIGTERM)
            assert two.returncode == 0
            assert holder_pid(pg_url) is None, "a clean stop hands the lease back"
            print(f"takeover on PostgreSQL after SIGKILL: {took_over:.1f} s (3 s lease)")
        except BaseException:
            for log in logs:
                if log.exists():
                    print(f"----- {log.name} -----\n{log.read_text()[-6000:]}")
            raise
        finally:
            for proc in procs:
                stop_process(proc)
