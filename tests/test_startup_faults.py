"""Start-up against a platform that refuses the token or cannot be reached: ``paperboy discord``,
``paperboy scheduler`` and ``paperboy slack`` as real processes against the local fakes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.discord_server import FakeDiscord
from tests.fakes.processes import free_port, paperboy_env, stop_process
from tests.fakes.slack_api import FakeSlackApi

REPO = Path(__file__).resolve().parents[1]
DISCORD_TOKEN = "MTIzNDU2Nzg5MDEy.fake.discord-bot-token"
SLACK_BOT, SLACK_APP = "xoxb-fake-bot-token-123", "xapp-fake-app-token-456"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args, "--ops-port", "0"]


async def run_to_end(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a paperboy command to its end while the fakes keep serving in this event loop."""
    return await asyncio.to_thread(
        subprocess.run, args, cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def assert_one_line_error(done: subprocess.CompletedProcess, *needles: str) -> None:
    assert done.returncode == 2, done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-3000:]
    last = [line for line in done.stderr.splitlines() if line.strip()][-1]
    assert all(needle in last for needle in needles), last
    for secret in (DISCORD_TOKEN, SLACK_BOT, SLACK_APP):
        assert secret not in output


@pytest.fixture
async def discord_fake():
    server = await FakeDiscord().start()
    yield server
    await server.close()


@pytest.mark.parametrize("args", [("discord", "--no-scheduler"), ("scheduler",)])
async def test_a_revoked_discord_token_is_a_one_line_error(discord_fake, tmp_path, args):
    discord_fake.revoke_token()
    env = paperboy_env(
        tmp_path / "data",
        DISCORD__TOKEN=DISCORD_TOKEN,
        DISCORD__API_BASE_URL=discord_fake.api_base_url,
    )
    done = await run_to_end(command(*args), env)
    assert_one_line_error(done, "Discord rejected the bot token", "PAPERBOY_DISCORD__TOKEN")
    assert discord_fake.calls("GET", "/users/@me"), "the token was tried"


async def wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float = 180):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in log.read_text(errors="replace"):
        assert proc.poll() is None, f"paperboy exited ({proc.returncode}):\n{log.read_text()}"
        assert loop.time() < deadline, f"no {text!r} in:\n{log.read_text()}"
        await asyncio.sleep(0.2)


def start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen:
    """``paperboy scheduler`` as its own process, its output in ``log``."""
    log.touch()
    with log.open("ab") as out:
        return subprocess.Popen(
            command("scheduler"), cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def test_the_scheduler_waits_for_discord_and_then_starts(tmp_path):
    port = free_port()  # nothing listens here yet: Discord is unreachable
    env = paperboy_env(
        tmp_path / "data",
        DISCORD__TOKEN=DISCORD_TOKEN,
        DISCORD__API_BASE_URL=f"http://127.0.0.1:{port}/api/v10",
    )
    log = tmp_path / "scheduler.log"
    proc = start_scheduler(env, log)
    fake = None
    try:
        await wait_for_line(log, "cannot reach Discord", proc)
        await wait_for_line(log, "cannot reach Discord (ClientConnectorError", proc)
        fake = await FakeDiscord().start(port)  # Discord comes back
        await wait_for_line(log, "lease held by", proc)
        assert fake.calls("GET", "/users/@me")
    finally:
        stop_process(proc, signal.SIGTERM)
        if fake is not None:
            await fake.close()
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "Traceback" not in text and DISCORD_TOKEN not in text


async def test_the_scheduler_stops_on_sigterm_while_waiting_for_discord(tmp_path):
    env = paperboy_env(
        tmp_path / "data",
        DISCORD__TOKEN=DISCORD_TOKEN,
        DISCORD__API_BASE_URL=f"http://127.0.0.1:{free_port()}/api/v10",
    )
    log = tmp_path / "scheduler.log"
    proc = start_scheduler(env, log)
    try:
        await wait_for_line(log, "cannot reach Discord", proc)
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(proc.wait, 60)
    finally:
        stop_process(proc, signal.SIGKILL)
    assert code == 0 and "Traceback" not in log.read_text()


@pytest.mark.parametrize(
    ("revoked", "setting"),
    [(SLACK_BOT, "PAPERBOY_SLACK__BOT_TOKEN"), (SLACK_APP, "PAPERBOY_SLACK__APP_TOKEN")],
)
async def test_a_revoked_slack_token_is_a_one_line_error(tmp_path, revoked, setting):
    async with FakeSlackApi() as slack:
        slack.revoked.add(revoked)
        env = paperboy_env(
            tmp_path / "data",
            SLACK__BOT_TOKEN=SLACK_BOT,
            SLACK__APP_TOKEN=SLACK_APP,
            SLACK__API_BASE_URL=slack.base_url,
        )
        done = await run_to_end(command("slack", "--no-scheduler"), env)
    assert_one_line_error(done, "Slack rejected the token in", setting, "invalid_auth")
