"""Digest posting through the real slack-sdk client against the local fake Slack Web API."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.chat.reply import Reply, ReplyItem
from bot.digest.posting import DigestPoster
from bot.settings import SlackSettings
from bot.slack.poster import SlackPoster, make_web_client
from bot.store.state import BotState
from tests.fakes.slack_api import FakeSlackApi

TOKEN = "xoxb-test-poster"
DIGEST = Reply(
    title="Trending papers — Tue 3 Jun 2025",
    items=(
        ReplyItem("2506.01234", "Fast <FFT> & attention", "https://arxiv.org/abs/2506.01234"),
        ReplyItem("2506.05678", "Slow attention", "https://arxiv.org/abs/2506.05678"),
    ),
    kind="digest",
    paper_ids=("2506.01234", "2506.05678"),
)


@pytest.fixture
async def slack():
    async with FakeSlackApi() as fake:
        yield fake


def _poster(slack: FakeSlackApi, state: BotState | None = None) -> SlackPoster:
    settings = SlackSettings(bot_token=SecretStr(TOKEN), api_base_url=slack.base_url)
    return SlackPoster(make_web_client(settings), state)


async def test_digest_is_posted_after_a_429(slack: FakeSlackApi, tmp_path) -> None:
    state = BotState(tmp_path / "state.sqlite3")
    poster: DigestPoster = _poster(slack, state)
    slack.rate_limit_once("chat.postMessage", retry_after=1)
    started = time.monotonic()
    ts = await poster.post("C0DIGEST", DIGEST)
    waited = time.monotonic() - started

    attempts = slack.of("chat.postMessage")
    assert [a.status for a in attempts] == [429, 200]
    assert waited >= 1.0, "the retry must wait for Retry-After"
    sent = attempts[-1]
    assert sent.token == TOKEN
    assert sent.params["channel"] == "C0DIGEST"
    assert "Fast &lt;FFT&gt; &amp; attention" in sent.params["text"]
    assert sent.params["blocks"][0]["type"] == "header"
    assert ts and state.answer_papers("slack", "C0DIGEST", ts) == ["2506.01234", "2506.05678"]


async def test_failed_post_raises_and_records_nothing(slack: FakeSlackApi, tmp_path) -> None:
    state = BotState(tmp_path / "state.sqlite3")
    poster = _poster(slack, state)
    slack.fail_once("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as failure:
        await poster.post("C0GONE", DIGEST)
    assert failure.value.response["error"] == "channel_not_found"
    assert len(slack.of("chat.postMessage")) == 1, "an API error is not retried"
    assert state.feedback_totals() == {}
    assert state.record_feedback("slack", "C0GONE", "1700000000.000100", "U1", 1) is None
