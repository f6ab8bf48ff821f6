"""Many questions at once, end to end: 12 questions sent together through the real Slack HTTP
stack (signed events, fake Slack Web API) and through the real discord.py client (fake gateway
and REST API), answered by the real services (bounded answer pool, micro-batched encoder) over
the bundled demo corpus. Each question must be answered exactly once, in its own conversation,
with its own paper first. Nothing here is timed; bench/load_chat.py measures the latencies.
"""

from __future__ import annotations

import asyncio
import shutil
import time
import uuid

import aiohttp
import pytest
from pydantic import SecretStr

from bot.discord.bot import PaperboyBot
from bot.services import build_services
from bot.settings import DiscordSettings, Settings, SlackSettings
from bot.slack.app import SEARCHING_TEXT, SlackBot
from bot.slack.runner import start_http
from retrieval.batching import BatchingEmbedder
from tests.demo_questions import (
    DISTINCT_QUESTIONS,
    first_in_discord_message,
    first_in_slack_message,
)
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import signed_mention

SECRET = "concurrent-e2e-signing-secret"
QUESTIONS = DISTINCT_QUESTIONS[:12]


@pytest.fixture(scope="module")
def services(tmp_path_factory, demo_index_dir, embedder):
    """The real services (as `paperboy slack` builds them) over a copy of the demo corpus."""
    data_dir = tmp_path_factory.mktemp("concurrent") / "data"
    shutil.copytree(demo_index_dir, data_dir)
    settings = Settings(data_dir=data_dir, demo_corpus=False, search={"workers": 3})
    built = build_services(settings, embedder=embedder)
    assert isinstance(built.index.embedder, BatchingEmbedder)
    assert built.workers.size == 3  # search.workers: fewer threads than questions
    yield built
    built.close()


async def until(ready, what: str, timeout: float = 300) -> None:  # noqa: ANN001
    """Wait until ``ready()`` is true (a generous limit: the machine may be busy)."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"never got {what}"
        await asyncio.sleep(0.05)


async def settle(count, timeout: float = 300) -> None:  # noqa: ANN001
    """Wait until ``count()`` stops growing for a moment (late duplicates would show)."""
    deadline = time.monotonic() + timeout
    last = -1
    while (now := count()) != last:
        assert time.monotonic() < deadline, "answers kept coming"
        last = now
        await asyncio.sleep(1.0)


async def test_slack_questions_sent_together_are_each_answered_once_and_correctly(
    services,
) -> None:
    async with FakeSlackApi() as slack, aiohttp.ClientSession() as http:
        settings = SlackSettings(
            mode="http",
            bot_token=SecretStr("xoxb-concurrent"),
            signing_secret=SecretStr(SECRET),
            api_base_url=slack.base_url,
        )
        bot = SlackBot(settings, services.router, services.state, workers=services.workers)
        runner = await start_http(bot, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
        channels = [f"C0Q{n:02d}" for n in range(len(QUESTIONS))]

        async def ask(question: str, channel: str) -> int:
            body, headers = signed_mention(question, channel, f"Ev{uuid.uuid4().hex[:10]}", SECRET)
            async with http.post(url, data=body, headers=headers) as response:
                return response.status

        try:
            statuses = await asyncio.gather(
                *(ask(q, c) for (q, _), c in zip(QUESTIONS, channels, strict=True))
            )
            assert statuses == [200] * len(QUESTIONS)

            def answered() -> list:
                return [
                    c
                    for c in slack.calls
                    if c.method in ("chat.postMessage", "chat.update")
                    and c.params.get("text") != SEARCHING_TEXT
                ]

            await until(lambda: len(answered()) >= len(QUESTIONS), "an answer to each question")
            await settle(lambda: len(slack.calls))
        finally:
            await runner.cleanup()

    for (question, expected), channel in zip(QUESTIONS, channels, strict=True):
        posts = [c for c in slack.of("chat.postMessage") if c.params["channel"] == channel]
        [answer] = [c for c in answered() if c.params["channel"] == channel]  # exactly once
        assert len(posts) == 1, f"{question!r}: {len(posts)} messages posted"
        if answer.method == "chat.update":  # it replaced this channel's "Searching…" placeholder
            assert answer.params["ts"] == posts[0].response["ts"]
        assert expected in first_in_slack_message(answer.params), question


async def test_discord_questions_sent_together_are_each_answered_once_and_correctly(
    services,
) -> None:
    fake = await FakeDiscord().start()
    settings = DiscordSettings(
        token=SecretStr("fake-token"), guild_ids=[fake.guild_id], api_base_url=fake.api_base_url
    )
    bot = PaperboyBot(
        services.router,
        services.state,
        settings,
        workers=services.workers,
        guild_ready_timeout=0.05,
    )
    runner = asyncio.create_task(bot.start("fake-token"))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        mentions = [await fake.mention(question) for question, _ in QUESTIONS]
        replies_path = rf"/channels/{fake.channel_id}/messages"
        await fake.wait_for("POST", replies_path, count=len(QUESTIONS), timeout=300)
        await settle(lambda: len(fake.calls("POST", replies_path)))
        replies = fake.calls("POST", replies_path)
    finally:
        await bot.close()
        await asyncio.wait_for(runner, 30)
        await fake.close()

    assert len(replies) == len(QUESTIONS)
    by_question = {str(r.body["message_reference"]["message_id"]): r.body for r in replies}
    for (question, expected), mention in zip(QUESTIONS, mentions, strict=True):
        body = by_question[mention["id"]]  # exactly once: 12 replies, one per question
        assert expected in first_in_discord_message(body), question
