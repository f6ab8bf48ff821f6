"""End to end: the real bolt app over real HTTP (and Socket Mode), the real router and index,
and a local fake of the Slack Web API that records what the bot sent.

Requests are signed exactly as Slack signs them; the bot's WebClient points at the fake.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from bot.ops.server import CheckResult
from bot.services import Services, build_services
from bot.settings import Settings, SlackSettings
from bot.slack.app import SEARCHING_TEXT, SlackBot
from bot.slack.runner import SlackConnection, start_http
from retrieval.sources.hf import read_daily_dir
from retrieval.sources.jsonl import read_jsonl
from tests.fakes.slack_api import BOT_ID, BOT_USER_ID, TEAM_ID, Call, FakeSlackApi, message_problem

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HF_DAY = date(2025, 6, 3)
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-e2e-bot-token"
APP_TOKEN = "xapp-e2e-app-token"
QUESTION = "fast FFT-based attention papers"


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Services:
    """The real services over a small real corpus, built and embedded once per session."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    settings = Settings(data_dir=tmp_path_factory.mktemp("slack-e2e"), demo_corpus=False)
    built = build_services(settings)
    papers = read_jsonl(DATA / "papers_fast_transforms.jsonl").papers
    papers += read_daily_dir(DATA / "hf_daily_papers", since=HF_DAY, until=HF_DAY).papers
    built.index.ingest(papers)
    yield built
    built.close()


@dataclass
class Harness:
    """A running bot in HTTP mode plus a client that signs requests like Slack."""

    slack: FakeSlackApi
    bot: SlackBot
    url: str
    http: aiohttp.ClientSession

    async def send(
        self, body: str, content_type: str, headers: dict | None = None, **sign: object
    ) -> tuple[int, str, float]:
        timestamp = str(sign.get("timestamp", int(time.time())))
        secret = str(sign.get("secret", SECRET))
        signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature,
            **(headers or {}),
        }
        started = time.monotonic()
        async with self.http.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status, await response.text(), time.monotonic() - started

    async def event(self, event: dict, event_id: str | None = None, **kw) -> tuple[int, str, float]:
        body = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": "A0PAPERBOY",
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }
        return await self.send(json.dumps(body), "application/json", **kw)

    async def command(
        self, text: str, user: str, channel: str, name: str
    ) -> tuple[int, str, float]:
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "papers",
            "user_id": user,
            "user_name": "someone",
            "command": "/papers",
            "text": text,
            "api_app_id": "A0PAPERBOY",
            "response_url": self.slack.response_url(name),
            "trigger_id": "1.2.3",
        }
        return await self.send(urlencode(form), "application/x-www-form-urlencoded")

    async def press(
        self, button: dict, message: dict, channel: str, name: str, user: str = "U0ADA"
    ):
        payload = {
            "type": "block_actions",
            "token": "legacy-verification-token",
            "api_app_id": "A0PAPERBOY",
            "team": {"id": TEAM_ID, "domain": "fake"},
            "user": {"id": user, "username": "ada", "team_id": TEAM_ID},
            "container": {
                "type": "message",
                "message_ts": message["ts"],
                "channel_id": channel,
                "is_ephemeral": False,
            },
            "channel": {"id": channel, "name": "papers"},
            "message": message,
            "response_url": self.slack.response_url(name),
            "trigger_id": "1.2.4",
            "actions": [
                {
                    "type": "button",
                    "block_id": "b1",
                    "action_id": button["action_id"],
                    "value": button["value"],
                    "text": button["text"],
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        form = urlencode({"payload": json.dumps(payload)})
        return await self.send(form, "application/x-www-form-urlencoded")


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackApi]:
    async with FakeSlackApi(admins={"U0WSADMIN"}) as fake:
        yield fake


@pytest.fixture
async def start_bot(
    services: Services, slack: FakeSlackApi
) -> AsyncIterator[Callable[..., object]]:
    """Start the real bolt app in HTTP mode on a loopback port; returns a Harness."""
    runners = []
    http = aiohttp.ClientSession()

    async def start(searching_after_s: float = 30.0) -> Harness:
        settings = SlackSettings(
            mode="http",
            bot_token=SecretStr(BOT_TOKEN),
            signing_secret=SecretStr(SECRET),
            api_base_url=slack.base_url,
            admin_user_ids=["U0LISTED"],
        )
        bot = SlackBot(
            settings, services.router, services.state, searching_after_s=searching_after_s
        )
        runner = await start_http(bot, "127.0.0.1", 0)
        runners.append(runner)
        port = runner.addresses[0][1]
        return Harness(slack, bot, f"http://127.0.0.1:{port}/slack/events", http)

    yield start
    for runner in runners:
        await runner.cleanup()
    await http.close()


def assert_valid_message(call: Call) -> dict:
    """The message is one Slack accepts and cannot ping anyone; returns its params."""
    params = call.params
    assert call.token == BOT_TOKEN
    assert message_problem(params) is None
    blocks = params.get("blocks") or []
    assert len(blocks) <= 50
    assert len(json.dumps(blocks)) + len(params.get("text", "")) < 12_000
    assert params.get("text"), "a plain-text fallback is always sent"
    for special in ("<!channel>", "<!here>", "<!everyone>"):
        assert special not in json.dumps(params)
    return params


def section_texts(params: dict) -> list[str]:
    return [b["text"]["text"] for b in params.get("blocks", []) if b["type"] == "section"]


def buttons(params: dict) -> list[dict]:
    found = [b["accessory"] for b in params["blocks"] if "accessory" in b]
    for block in params["blocks"]:
        if block["type"] == "actions":
            found += block["elements"]
    return found


async def wait_until(ready: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def mention(text: str, channel: str = "C0PAPERS", ts: str | None = None) -> dict:
    return {
        "type": "app_mention",
        "user": "U0ADA",
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts or f"{time.time():.6f}",
        "channel": channel,
        "event_ts": f"{time.time():.6f}",
    }


async def test_url_verification_and_signatures(start_bot) -> None:
    bot = await start_bot()
    body = json.dumps({"token": "t", "challenge": "chal-123", "type": "url_verification"})
    status, text, _ = await bot.send(body, "application/json")
    assert status == 200 and "chal-123" in text

    status, _, _ = await bot.send(body, "application/json", secret="not-the-secret")
    assert status == 401
    stale = int(time.time()) - 10 * 60
    status, _, _ = await bot.send(body, "application/json", timestamp=stale)
    assert status == 401
    status, _, _ = await bot.event(mention(QUESTION), secret="wrong")
    assert status == 401
    assert bot.slack.of("chat.postMessage") == []


async def test_mention_is_answered_once_in_its_thread(start_bot, services, caplog) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.app")
    bot = await start_bot()
    event = mention(QUESTION)
    status, _, elapsed = await bot.event(event, event_id="Ev0MENTION1")
    assert status == 200 and elapsed < 3.0, "Slack needs the ack within 3 s"
    # Slack retries (same event_id, X-Slack-Retry-Num) while we are still searching, and later
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _, _ = await bot.event(event, event_id="Ev0MENTION1", headers=retry)
    assert status == 200
    [answer] = await bot.slack.wait_for("chat.postMessage")
    retry["X-Slack-Retry-Num"] = "2"
    await bot.event(event, event_id="Ev0MENTION1", headers=retry)
    assert caplog.text.count("Ev0MENTION1 already answered") == 2

    params = assert_valid_message(answer)
    assert params["channel"] == "C0PAPERS"
    assert params["thread_ts"] == event["ts"]
    sections = section_texts(params)
    assert len(sections) == services.settings.search.results_per_page
    assert any("fourier" in s.lower() or "fft" in s.lower() for s in sections)
    assert sections[0].startswith("*1. <https://")
    actions = {b["action_id"]: b["value"] for b in buttons(params)}
    assert actions["paperboy_more"].startswith("pb1:more ")
    assert actions["paperboy_similar"].startswith("pb1:similar ")
    # the answer is remembered so reactions on it count as feedback
    shown = services.state.answer_papers("slack", "C0PAPERS", answer.response["ts"])
    assert shown and len(shown) == len(sections)
    assert len(bot.slack.of("chat.postMessage")) == 1, "one answer per event, however delivered"


async def test_slow_search_shows_searching_then_the_answer(start_bot, services) -> None:
    bot = await start_bot(searching_after_s=0)
    event = mention("state space models with long convolutions", ts="1700000100.000200")
    await bot.event(event)
    [placeholder] = await bot.slack.wait_for("chat.postMessage")
    assert placeholder.params["text"] == SEARCHING_TEXT
    assert placeholder.params["thread_ts"] == "1700000100.000200"
    [update] = await bot.slack.wait_for("chat.update")
    params = assert_valid_message(update)
    placeholder_ts = update.params["ts"]
    assert params["channel"] == "C0PAPERS" and params["blocks"][0]["type"] == "header"
    papers = services.state.answer_papers("slack", "C0PAPERS", placeholder_ts)
    assert papers and len(papers) == len(section_texts(params))


async def test_direct_message_is_answered_in_the_dm(start_bot) -> None:
    bot = await start_bot()
    dm = {"type": "message", "channel_type": "im", "channel": "D0ADA", "user": "U0ADA"}
    await bot.event({**dm, "text": "help", "ts": "1700000200.000100"})
    await bot.event({**dm, "text": "an edit", "subtype": "message_changed", "ts": "1.2"})
    await bot.event({**dm, "text": "I am the bot", "bot_id": BOT_ID, "ts": "1.3"})
    [answer] = await bot.slack.wait_for("chat.postMessage")
    params = assert_valid_message(answer)
    assert params["channel"] == "D0ADA"
    assert "thread_ts" not in params or params["thread_ts"] is None
    assert params["blocks"][0]["text"]["text"] == "Paperboy help"
    # the edit and the bot's own message were not taken for questions: a second DM question
    # gets the second answer
    await bot.event({**dm, "text": QUESTION, "ts": "1700000200.000300"})
    answers = await bot.slack.wait_for("chat.postMessage", 2)
    assert len(answers) == 2 and section_texts(answers[1].params)
    assert "FFT" in answers[1].params["blocks"][0]["text"]["text"]


async def test_slash_commands(start_bot, services) -> None:
    bot = await start_bot()
    status, body, elapsed = await bot.command(QUESTION, "U0ADA", "C0SLASH", "ask")
    assert status == 200 and elapsed < 3.0
    [answer] = await bot.slack.wait_for("response_url:ask")
    assert answer.params["response_type"] == "in_channel"
    assert_valid_message(Call(answer.method, answer.params, BOT_TOKEN))
    assert len(section_texts(answer.params)) == services.settings.search.results_per_page

    paper = read_daily_dir(DATA / "hf_daily_papers", since=HF_DAY, until=HF_DAY).papers[0]
    await bot.command(f"similar https://arxiv.org/abs/{paper.id}", "U0ADA", "C0SLASH", "similar")
    [similar] = await bot.slack.wait_for("response_url:similar")
    assert paper.title[:40] in similar.params["blocks"][0]["text"]["text"]
    assert section_texts(similar.params)

    await bot.command("digest", "U0ADA", "C0SLASH", "digest")
    [digest] = await bot.slack.wait_for("response_url:digest")
    assert digest.params["response_type"] == "ephemeral"

    await bot.command("help", "U0ADA", "C0SLASH", "help")
    [shown] = await bot.slack.wait_for("response_url:help")
    assert shown.params["response_type"] == "ephemeral"
    assert "similar" in json.dumps(shown.params["blocks"])


async def test_only_admins_change_the_channel_digest(start_bot, services) -> None:
    bot = await start_bot()
    channel = "C0DIGESTS"
    await bot.command("subscribe fast transforms", "U0MEMBER", channel, "member")
    [refused] = await bot.slack.wait_for("response_url:member")
    assert refused.params["response_type"] == "ephemeral"
    assert services.digests.plans.plan_for("slack", channel) is None

    await bot.command("subscribe fast transforms", "U0WSADMIN", channel, "admin")
    await bot.slack.wait_for("response_url:admin")
    plan = services.digests.plans.plan_for("slack", channel)
    assert plan is not None and plan.topic == "fast transforms"
    looked_up = {c.params["user"] for c in bot.slack.of("users.info")}
    assert looked_up == {"U0MEMBER", "U0WSADMIN"}

    await bot.command("unsubscribe", "U0LISTED", channel, "listed")
    await bot.slack.wait_for("response_url:listed")
    assert services.digests.plans.plan_for("slack", channel) is None
    assert "U0LISTED" not in {c.params["user"] for c in bot.slack.of("users.info")}


async def test_buttons_and_reactions(start_bot, services) -> None:
    bot = await start_bot()
    event = mention(QUESTION, channel="C0BUTTONS", ts="1700000300.000100")
    await bot.event(event)
    [first] = await bot.slack.wait_for("chat.postMessage")
    first_ts = first.response["ts"]
    posted = {**first.params, "ts": first_ts, "thread_ts": event["ts"]}
    by_id = {b["action_id"]: b for b in buttons(first.params)}

    await bot.press(by_id["paperboy_more"], posted, "C0BUTTONS", "more")
    second = (await bot.slack.wait_for("chat.postMessage", 2))[1]
    params = assert_valid_message(second)
    assert params["thread_ts"] == event["ts"], "the next page goes to the same thread"
    page = services.settings.search.results_per_page
    assert section_texts(params)[0].startswith(f"*{page + 1}. ")

    await bot.press(by_id["paperboy_similar"], posted, "C0BUTTONS", "similar")
    third = assert_valid_message((await bot.slack.wait_for("chat.postMessage", 3))[2])
    assert third["thread_ts"] == event["ts"]
    assert "like" in third["blocks"][0]["text"]["text"], "the Similar button's command was run"

    await bot.press(by_id["paperboy_feedback"], posted, "C0BUTTONS", "thumb")
    [thanks] = await bot.slack.wait_for("response_url:thumb")
    assert thanks.params["response_type"] == "ephemeral"
    assert len(bot.slack.of("chat.postMessage")) == 3, "feedback is not posted to the channel"

    # 👍 on the first answer counts for every paper it showed; other reactions and other
    # messages count for nothing
    shown = services.state.answer_papers("slack", "C0BUTTONS", first_ts)
    assert shown and len(shown) == len(section_texts(first.params))
    before = services.state.feedback_totals()
    reaction = {
        "type": "reaction_added",
        "user": "U0ADA",
        "reaction": "+1::skin-tone-3",
        "item": {"type": "message", "channel": "C0BUTTONS", "ts": first_ts},
        "event_ts": f"{time.time():.6f}",
    }
    await bot.event({**reaction, "reaction": "tada"})
    await bot.event({**reaction, "item": {**reaction["item"], "ts": "1.000001"}})
    await bot.event(reaction)
    await wait_until(lambda: services.state.feedback_totals() != before)
    after = services.state.feedback_totals()
    assert {p: after[p] - before.get(p, 0) for p in after if after[p] != before.get(p, 0)} == {
        p: 1 for p in shown
    }


async def test_socket_mode_acks_and_answers(services, slack: FakeSlackApi) -> None:
    settings = SlackSettings(
        mode="socket",
        bot_token=SecretStr(BOT_TOKEN),
        app_token=SecretStr(APP_TOKEN),
        api_base_url=slack.base_url,
    )
    bot = SlackBot(settings, services.router, services.state, searching_after_s=30)
    connection = SlackConnection(bot)
    assert not (await connection.check()).ok  # not connected yet: not ready
    handler = await connection.connect_socket_mode(APP_TOKEN)
    assert await connection.check() == CheckResult(True, "Socket Mode connected")
    try:
        [opened] = slack.of("apps.connections.open")
        assert opened.token == APP_TOKEN
        event = mention(QUESTION, channel="C0SOCKET", ts="1700000400.000100")
        payload = {
            "team_id": TEAM_ID,
            "api_app_id": "A0PAPERBOY",
            "type": "event_callback",
            "event_id": "Ev0SOCKET1",
            "event_time": int(time.time()),
            "event": event,
        }
        envelope_id = await slack.send_envelope("events_api", payload)
        ack = await slack.wait_for_ack(envelope_id, timeout=3)
        assert ack["envelope_id"] == envelope_id
        [answer] = await slack.wait_for("chat.postMessage")
        params = assert_valid_message(answer)
        assert params["channel"] == "C0SOCKET" and params["thread_ts"] == event["ts"]
        assert section_texts(params)
    finally:
        await handler.close_async()


async def test_http_mode_is_ready_once_slack_accepts_the_token(services, slack) -> None:
    settings = SlackSettings(
        mode="http",
        bot_token=SecretStr(BOT_TOKEN),
        signing_secret=SecretStr(SECRET),
        api_base_url=slack.base_url,
    )
    bot = SlackBot(settings, services.router, services.state)
    connection = SlackConnection(bot, max_wait_s=1.0, recheck_s=0.2)
    slack.fail_once("auth.test", "invalid_auth")  # e.g. a token revoked, then fixed
    checking = asyncio.create_task(connection.verify_auth())
    seen: list[str] = []
    while not (result := await connection.check()).ok:
        seen.append(result.detail)
        await asyncio.sleep(0.05)
    checking.cancel()
    assert "Slack rejected the bot token: invalid_auth" in seen
    assert len(slack.of("auth.test")) == 2
