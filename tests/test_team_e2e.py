"""A team deployment, end to end: a real ``chroma run`` server, two ``paperboy slack`` processes
side by side on one state database, the fake Slack Web API, and each process's ``/healthz`` and
``/metrics``. Events are signed like Slack signs them and sent over real HTTP.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.digest.leader import LEASE_NAME
from bot.store.lease import Lease
from tests.fakes.processes import free_port, paperboy_env, start_paperboy, stop_process
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import signed_mention

SECRET = "team-e2e-signing-secret"
QUESTION = "fast FFT-based attention papers"


def signed_event(text: str, channel: str, event_id: str) -> tuple[bytes, dict[str, str]]:
    """An ``app_mention`` event callback from the team's user and the headers Slack would send."""
    return signed_mention(text, channel, event_id, SECRET, user="U0TEAM")


def team_env(tmp_path, chroma, slack: FakeSlackApi, **settings: str) -> dict[str, str]:  # noqa: ANN001
    """Settings of a Slack HTTP-mode process on the shared Chroma server and the fake Slack."""
    return paperboy_env(
        tmp_path / "data",
        STORE__CHROMA_HOST="127.0.0.1",
        STORE__CHROMA_PORT=str(chroma.port),
        SLACK__MODE="http",
        SLACK__BOT_TOKEN="xoxb-team-e2e",
        SLACK__SIGNING_SECRET=SECRET,
        SLACK__API_BASE_URL=slack.base_url,
        **settings,
    )


class SlackProcess:
    """One ``paperboy slack --mode http`` process and its ports."""

    def __init__(self, name: str, env: dict[str, str], logs, scheduler: bool = False) -> None:  # noqa: ANN001
        self.name = name
        self.port, self.ops_port = free_port(), free_port()
        self.log = logs / f"{name}.log"
        args = ["slack", "--mode", "http", "--port", str(self.port)]
        args += [] if scheduler else ["--no-scheduler"]
        self.proc = start_paperboy(args + ["--ops-port", str(self.ops_port)], env, self.log)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ops(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ops_port}{path}"


async def health(http: httpx.AsyncClient, bot: SlackProcess) -> tuple[int, dict]:
    try:
        response = await http.get(bot.ops("/healthz"), timeout=10)
    except httpx.HTTPError as error:
        return 0, {"error": str(error)}
    return response.status_code, response.json()


async def wait_health(
    http: httpx.AsyncClient, bot: SlackProcess, status: int, timeout: float
) -> dict:
    deadline = time.monotonic() + timeout
    got: tuple[int, dict] = (0, {})
    while time.monotonic() < deadline:
        assert bot.proc.poll() is None, f"{bot.name} exited:\n{bot.log.read_text()[-3000:]}"
        got = await health(http, bot)
        if got[0] == status:
            return got[1]
        await asyncio.sleep(0.3)
    raise AssertionError(f"{bot.name} /healthz never answered {status}; last {got}")


def posts_in(slack: FakeSlackApi, channel: str) -> list:
    return [c for c in slack.of("chat.postMessage") if c.params.get("channel") == channel]


def final_text(slack: FakeSlackApi, channel: str) -> str:
    """Everything the bot showed in ``channel``: posts and their updates, as one text."""
    calls = [
        c
        for c in slack.calls
        if c.method in ("chat.postMessage", "chat.update") and c.params.get("channel") == channel
    ]
    return json.dumps([c.params for c in calls])


async def wait_answer(slack: FakeSlackApi, channel: str, needle: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = final_text(slack, channel)
        if needle in text:
            return text
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {needle!r} in {channel}: {final_text(slack, channel)[:2000]}")


@pytest.fixture
async def slack():
    async with FakeSlackApi() as fake:
        yield fake


@pytest.mark.timeout(420)
async def test_two_slack_processes_share_the_work_and_ride_out_a_chroma_outage(
    demo_chroma, slack, tmp_path
) -> None:
    env = team_env(tmp_path, demo_chroma, slack, SCHEDULER__RUN_IN_BOT="false")
    bots = [SlackProcess(f"slack-{n}", env, tmp_path) for n in range(2)]
    try:
        async with httpx.AsyncClient() as http:
            for bot in bots:
                ready = await wait_health(http, bot, 200, timeout=240)
                assert set(ready["checks"]) == {"store", "state", "slack"}

            async def send(bot: SlackProcess, channel: str, event_id: str) -> None:
                body, headers = signed_event(QUESTION, channel, event_id)
                response = await http.post(bot.url("/slack/events"), content=body, headers=headers)
                assert response.status_code == 200

            # Slack redelivers one event to both processes: it is answered once
            await asyncio.gather(*(send(bot, "C0SAME", "EvSAME") for bot in bots))
            await wait_answer(slack, "C0SAME", "arxiv.org")
            # different events: each process answers its own
            await send(bots[0], "C0ONE", "EvONE")
            await send(bots[1], "C0TWO", "EvTWO")
            for channel in ("C0ONE", "C0TWO"):
                await wait_answer(slack, channel, "arxiv.org")
            await asyncio.sleep(2)  # time for any duplicate to show up
            assert [len(posts_in(slack, c)) for c in ("C0SAME", "C0ONE", "C0TWO")] == [1, 1, 1]

            # Chroma goes away: both processes report unready, and say so to users
            demo_chroma.stop()
            for bot in bots:
                down = await wait_health(http, bot, 503, timeout=30)
                assert down["checks"]["store"]["ok"] is False
                assert down["checks"]["slack"]["ok"] is True
            await send(bots[0], "C0DOWN", f"Ev{uuid.uuid4().hex[:8]}")
            await wait_answer(slack, "C0DOWN", "reach the paper library")
            assert all(bot.proc.poll() is None for bot in bots)  # no crash, no restart

            # Chroma returns: ready again without restarting the bots, and answering
            demo_chroma.start()
            for bot in bots:
                await wait_health(http, bot, 200, timeout=60)
            await send(bots[1], "C0BACK", f"Ev{uuid.uuid4().hex[:8]}")
            await wait_answer(slack, "C0BACK", "arxiv.org")

            metrics = [(await http.get(bot.ops("/metrics"))).text for bot in bots]
            assert 'paperboy_questions_total{kind="results",platform="slack"}' in metrics[0]
            assert 'paperboy_questions_total{kind="error",platform="slack"} 1.0' in metrics[0]
            assert 'paperboy_errors_total{component="store"} 1.0' in metrics[0]
            assert "paperboy_answer_seconds_count" in metrics[1]
    finally:
        for bot in bots:
            stop_process(bot.proc)
        if demo_chroma.proc is None:
            demo_chroma.start()  # leave the module's server as we found it


@pytest.mark.timeout(300)
async def test_a_bot_running_its_own_scheduler_posts_the_due_digest_once(
    demo_chroma, slack, tmp_path
) -> None:
    due = (datetime.now(UTC) - timedelta(minutes=2)).strftime("%H:%M")
    config = tmp_path / "paperboy.toml"
    config.write_text(
        "[[digest.plans]]\n"
        f'name = "team"\nplatform = "slack"\nchannel_id = "C0DIGEST"\ntime = "{due}"\n'
        'timezone = "UTC"\ndays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]\n'
    )
    env = team_env(
        tmp_path,
        demo_chroma,
        slack,
        CONFIG=str(config),
        SCHEDULER__HF_API_BASE_URL=f"http://127.0.0.1:{slack.port}/no-hf",  # a fast 404
    )
    bot = SlackProcess("slack-with-scheduler", env, tmp_path, scheduler=True)
    try:
        async with httpx.AsyncClient() as http:
            ready = await wait_health(http, bot, 200, timeout=240)
            assert ready["checks"]["scheduler"]["detail"] == "digest scheduler active"
            # the demo corpus ends in Aug 2026 and HF is unreachable here: an honest quiet day
            text = await wait_answer(slack, "C0DIGEST", "Trending papers")
            assert "Quiet day" in text and "could not be refreshed" in text
            await asyncio.sleep(3)  # a sweep or a second tick must not post again
            assert len(posts_in(slack, "C0DIGEST")) == 1
            metrics = (await http.get(bot.ops("/metrics"))).text
            assert 'paperboy_digests_total{platform="slack",status="quiet"} 1.0' in metrics
            assert 'paperboy_errors_total{component="refresh:hf"}' in metrics
    finally:
        stop_process(bot.proc)
    assert bot.proc.returncode == 0, bot.log.read_text()[-3000:]  # SIGTERM: a clean stop
    observer = Lease(tmp_path / "data" / "state.sqlite3", LEASE_NAME, "observer")
    assert observer.current() is None  # the lease was handed back for a standby to take
    observer.close()
