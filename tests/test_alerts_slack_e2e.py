"""End to end on Slack: personal alerts and feedback counts through the real bolt app over HTTP,
the real router and index, the scheduler's real refresh from a local server replaying recorded
Hugging Face lists, and the local fake of the Slack Web API."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import aiohttp
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli import app
from bot.digest.scheduler import DigestScheduler
from bot.services import Services
from bot.settings import SchedulerSettings, SlackSettings
from bot.slack.app import SlackBot
from bot.slack.runner import start_http
from retrieval.sources.hf import read_daily_dir
from tests.fakes.slack_api import FakeSlackApi
from tests.real_services import real_services
from tests.test_scheduler_refresh import HF, FakeHF, hf_client, serving
from tests.test_slack_e2e import (
    BOT_TOKEN,
    SECRET,
    Harness,
    assert_valid_message,
    buttons,
    mention,
    wait_until,
)

NOW = datetime(2026, 8, 21, 10, 0, tzinfo=UTC)  # the list of Fri 21 Aug is not ingested yet
TODAYS = {e["paper"]["id"] for e in json.loads((HF / "2026-08-21.json").read_text())}


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder) -> Services:
    """Real services over the recorded lists of 19-20 Aug 2026, with the clock on 21 Aug."""
    papers = read_daily_dir(HF, date(2026, 8, 19), date(2026, 8, 20)).papers
    yield from real_services(tmp_path_factory.mktemp("alerts-slack"), embedder, NOW, papers)


@pytest.fixture
async def harness(services) -> AsyncIterator[Harness]:
    async with FakeSlackApi() as slack, aiohttp.ClientSession() as http:
        settings = SlackSettings(
            mode="http",
            bot_token=SecretStr(BOT_TOKEN),
            signing_secret=SecretStr(SECRET),
            api_base_url=slack.base_url,
        )
        bot = SlackBot(
            settings,
            services.router,
            services.state,
            searching_after_s=30,
            metrics=services.metrics,
        )
        runner = await start_http(bot, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        yield Harness(slack, bot, url, http)
        await runner.cleanup()


def dm(text: str, user: str) -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": f"{time.time():.6f}",
    }


def shown_text(message: dict) -> str:
    return json.dumps(message.get("blocks") or []) + message.get("text", "")


async def test_alert_commands_then_one_dm_a_day_with_the_new_matching_papers(
    harness, services, caplog
):
    caplog.set_level(logging.INFO, logger="bot.alerts.run")
    slack = harness.slack
    await harness.command("alert quantum computing", "U0ADA", "C0PAPERS", "add")
    [added] = await slack.wait_for("response_url:add")
    assert added.params["response_type"] == "ephemeral", "personal: only the user sees it"
    assert "quantum computing" in shown_text(added.params)
    assert "Alert added" in shown_text(added.params)

    await harness.event(mention("alert efficient attention and long context"))
    [in_thread] = await slack.wait_for("chat.postMessage")
    assert "Alert added" in shown_text(assert_valid_message(in_thread))
    await harness.event(dm("alert speech recognition", "U0ADA"))
    await slack.wait_for("chat.postMessage", 2)  # answered (as a user would wait) before the list
    await harness.event(dm("alert list", "U0ADA"))
    listed = (await slack.wait_for("chat.postMessage", 3))[2].params
    assert listed["channel"] == "DU0ADA"
    text = shown_text(listed)
    assert "1. quantum computing" in text and "3. speech recognition" in text

    await harness.command("alert remove 1", "U0ADA", "C0PAPERS", "remove")
    [removed] = await slack.wait_for("response_url:remove")
    assert "No more alerts for “quantum computing”" in shown_text(removed.params)
    await harness.command("alert remove 7", "U0ADA", "C0PAPERS", "bad")
    [bad] = await slack.wait_for("response_url:bad")
    assert "no alert number 7; you have 2 alerts" in shown_text(bad.params)
    await harness.command("alert video generation", "U0AAA", "C0PAPERS", "other")  # blocks DMs
    await slack.wait_for("response_url:other")

    FakeHF.status, FakeHF.requests = 200, []
    with serving(FakeHF) as server:
        scheduler = DigestScheduler(
            services.digests,
            {"slack": harness.bot.poster},
            SchedulerSettings(),
            index=services.index,
            source_factory=hf_client(server),
            alerts=services.alerts,
        )
        slack.fail_once("conversations.open", "cannot_dm_bot")  # U0AAA, first in order
        posts_before = len(slack.of("chat.postMessage"))
        assert await scheduler.refresh_sources()  # ingests 21 Aug, then runs the alerts
        opened = [c.params["users"] for c in slack.of("conversations.open")]
        assert opened == ["U0AAA", "U0ADA"]
        [alert] = slack.of("chat.postMessage")[posts_before:]
        params = assert_valid_message(alert)
        assert params["channel"] == "DU0ADA"
        shown = services.state.answer_papers("slack", "DU0ADA", alert.response["ts"])
        assert shown and set(shown) <= TODAYS and len(shown) <= 5
        text = shown_text(params)
        assert "FlashPrefill V2" in text and "Quantifying Benchmark Optimization in ASR" in text
        assert "efficient attention and long context" in text and "speech recognition" in text
        assert "quantum computing" not in text, "a removed alert is not used"
        assert "alert DM to slack:U0AAA failed" in caplog.text

        assert await scheduler.refresh_sources()  # a second run the same day
        assert len(slack.of("chat.postMessage")) == posts_before + 1, "no second DM today"
    metrics = services.metrics.render()[0].decode()
    assert 'paperboy_alerts_total{platform="slack",status="sent"} 1.0' in metrics
    assert 'paperboy_alerts_total{platform="slack",status="failed"} 1.0' in metrics


async def test_votes_show_in_metrics_and_status(harness, services, monkeypatch):
    slack = harness.slack
    await harness.event(mention("benchmarks for LLM agents", channel="C0VOTES"))
    [answer] = await slack.wait_for("chat.postMessage")
    ts = answer.response["ts"]
    await wait_until(lambda: services.state.answer_papers("slack", "C0VOTES", ts))
    reaction = {"type": "reaction_added", "item": {"type": "message", "channel": "C0VOTES",
                "ts": answer.response["ts"]}, "event_ts": f"{time.time():.6f}"}  # fmt: skip
    await harness.event({**reaction, "user": "U1", "reaction": "+1"})
    await harness.event({**reaction, "user": "U2", "reaction": "thumbsup"})
    await harness.event({**reaction, "user": "U3", "reaction": "-1"})
    await harness.event({**reaction, "user": "U4", "reaction": "tada"})  # not a vote
    posted = {**answer.params, "ts": ts}
    [thumbs_down] = [b for b in buttons(answer.params) if "feedback down" in b["value"]]
    await harness.press(thumbs_down, posted, "C0VOTES", "vote", user="U5")  # the 👎 button
    await slack.wait_for("response_url:vote")
    await wait_until(lambda: len(services.state.db.rows("SELECT 1 FROM feedback")) >= 4)

    metrics = services.metrics.render()[0].decode()
    assert 'paperboy_feedback_total{platform="slack",vote="up"} 2.0' in metrics
    assert 'paperboy_feedback_total{platform="slack",vote="down"} 2.0' in metrics

    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    env = {"PAPERBOY_DATA_DIR": str(services.settings.data_dir), "PAPERBOY_DEMO_CORPUS": "false"}
    done = CliRunner().invoke(app, ["status", "--json"], env=env)
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    votes = {(f["platform"], f["channel_id"]): (f["up"], f["down"]) for f in data["feedback"]}
    assert votes[("slack", "C0VOTES")] == (2, 2)
    assert data["latest_list_day"] >= "2026-08-20"
    text = CliRunner().invoke(app, ["status"], env=env).stdout
    assert "Feedback per channel" in text and "slack:C0VOTES" in text
