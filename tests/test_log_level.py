"""``log_level`` reaches the long-running processes (the CLI's warnings-only default used to win)."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest

from tests.fakes.processes import free_port, paperboy_env, start_paperboy, stop_process
from tests.fakes.slack_api import FakeSlackApi


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("level", "shown"), [("INFO", True), ("ERROR", False)])
async def test_slack_process_logs_at_the_configured_level(demo_index_dir, tmp_path, level, shown):
    data = tmp_path / "data"
    shutil.copytree(demo_index_dir, data)
    async with FakeSlackApi() as slack:
        env = paperboy_env(
            data,
            LOG_LEVEL=level,
            SLACK__MODE="http",
            SLACK__BOT_TOKEN="xoxb-log",
            SLACK__SIGNING_SECRET="secret",
            SLACK__API_BASE_URL=slack.base_url,
            SCHEDULER__RUN_IN_BOT="false",
        )
        log = tmp_path / "slack.log"
        args = ["slack", "--mode", "http", "--port", str(free_port()), "--ops-port", "0"]
        proc = start_paperboy(args, env, log)
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and not slack.of("auth.test"):
                assert proc.poll() is None, log.read_text()[-3000:]
                await asyncio.sleep(0.3)
            await asyncio.sleep(1)
        finally:
            stop_process(proc)
    text = log.read_text()
    assert ("INFO" in text and "paper store open" in text) is shown, text[-2000:]
