"""Edge cases of the real bolt stack over signed HTTP against the fake Slack: stale buttons,
the "Searching…" placeholder of ``/papers``, digest buttons, malformed requests, hostile paper
text, and readiness when Slack revokes the token."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, datetime, time
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from bot.chat.buttons import EXPIRED_TEXT
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.services import build_services
from bot.settings import ChannelPlan, Settings, SlackSettings
from bot.slack.app import SEARCHING_TEXT, SlackBot
from bot.slack.poster import SlackPoster
from bot.slack.runner import SlackConnection
from retrieval.models import Paper
from retrieval.sources.hf import read_daily_dir
from retrieval.sources.jsonl import read_jsonl
from tests.test_slack_e2e import (  # noqa: F401  (fixtures)
    BOT_TOKEN,
    SECRET,
    buttons,
    mention,
    slack,
    start_bot,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HF_DAY = date(2025, 6, 3)
HOSTILE = Paper(
    id="2601.00001",
    title="Zyxwvut <!channel> \u202eevil\x1b[31m title\x00",
    abstract="Zyxwvut quokka transforms.\x07 A study of \u2066isolated\u2069 quokka attention.",
    url="https://arxiv.org/abs/2601.00001",
    authors=("Ada\u202e Lovelace\x9b",),
    published=date(2026, 1, 2),
)
CONTROLS = ("\x00", "\x07", "\x1b", "\x9b", "\u202e", "\u2066", "\u2069")


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    """Real services over a few real papers, one HF daily list, and one hostile paper."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("slack-edges"), demo_corpus=False)
    built = build_services(settings, embedder=embedder)
    papers = read_jsonl(DATA / "papers_fast_transforms.jsonl").papers[:20]
    papers += read_daily_dir(DATA / "hf_daily_papers", since=HF_DAY, until=HF_DAY).papers
    built.index.ingest([*papers, HOSTILE])
    yield built
    built.close()


async def first_answer(harness, channel: str) -> tuple[dict, dict]:
    """Mention the bot in ``channel``; return the posted answer (as Slack stores it) and its
    buttons by action_id."""
    event = mention("fast Fourier transform attention", channel=channel)
    await harness.event(event)
    [answer] = await harness.slack.wait_for("chat.postMessage")
    posted = {**answer.params, "ts": answer.response["ts"], "thread_ts": event["ts"]}
    return posted, {b["action_id"]: b for b in buttons(answer.params)}


@pytest.mark.parametrize(
    "value",
    ["more 3f9a1c2b4d5e", "pb1:similar ; drop everything", "pb0:more 3f9a1c2b4d5e", ""],
    ids=["before-pb1", "garbled", "other-version", "empty"],
)
async def test_a_stale_or_garbled_button_says_it_has_expired(start_bot, value) -> None:  # noqa: F811
    harness = await start_bot()
    posted, by_id = await first_answer(harness, "C0STALE")
    assert all(b["value"].startswith("pb1:") for b in by_id.values())
    await harness.press({**by_id["paperboy_more"], "value": value}, posted, "C0STALE", "stale")
    [expired] = await harness.slack.wait_for("response_url:stale")
    assert expired.params["response_type"] == "ephemeral"
    assert EXPIRED_TEXT in json.dumps(expired.params)
    await asyncio.sleep(0.3)
    assert len(harness.slack.of("chat.postMessage")) == 1, "nothing was searched or posted"


async def test_slash_command_placeholder_is_replaced_by_the_answer(start_bot) -> None:  # noqa: F811
    harness = await start_bot(searching_after_s=0)
    await harness.command("fast Fourier transform attention", "U0ADA", "C0SLASH", "slow")
    placeholder, answer = await harness.slack.wait_for("response_url:slow", 2)
    assert placeholder.params["text"] == SEARCHING_TEXT
    assert answer.params["replace_original"] is True
    [shown] = harness.slack.shown("slow")
    assert shown["blocks"][0]["type"] == "header" and shown["text"] != SEARCHING_TEXT


async def test_digest_similar_buttons_have_unique_action_ids_and_work(start_bot, services) -> None:  # noqa: F811
    harness = await start_bot()
    plan = ChannelPlan(name="papers", platform="slack", channel_id="C0DIGEST", count=5)
    now = datetime.combine(HF_DAY, time(10, 0))
    delivery = await services.digests.deliver(plan, SlackPoster(harness.bot.client), HF_DAY, now)
    assert delivery.status == "sent"
    [digest] = await harness.slack.wait_for("chat.postMessage")  # the fake refuses duplicates
    ids = [b["action_id"] for b in buttons(digest.params)]
    similar = [i for i in ids if i.startswith("paperboy_similar")]
    assert len(similar) == 5 and len(set(ids)) == len(ids)
    by_id = {b["action_id"]: b for b in buttons(digest.params)}
    posted = {**digest.params, "ts": digest.response["ts"]}
    await harness.press(by_id[similar[2]], posted, "C0DIGEST", "third")
    [answer] = (await harness.slack.wait_for("chat.postMessage", 2))[1:]
    assert "like" in answer.params["blocks"][0]["text"]["text"], "the third paper's Similar ran"


async def test_hostile_paper_text_reaches_slack_without_controls(start_bot) -> None:  # noqa: F811
    harness = await start_bot()
    await harness.event(mention("zyxwvut quokka", channel="C0CTRL"))
    [answer] = await harness.slack.wait_for("chat.postMessage")
    text = json.dumps(answer.params, ensure_ascii=False)
    assert "Zyxwvut" in text and "Lovelace" in text
    assert not any(c in text for c in CONTROLS)
    assert "<!channel>" not in text


async def raw_post(url: str, body: bytes, headers: dict) -> tuple[int, str]:
    """POST without Slack's signature headers."""
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status, await r.text()


async def test_malformed_requests_get_4xx_or_200_and_no_traceback(start_bot, caplog) -> None:  # noqa: F811
    caplog.set_level(logging.DEBUG)
    harness = await start_bot()
    json_type = "application/json"
    callback = {"type": "event_callback", "team_id": "T0FAKE", "event_id": "Ev0NULL"}
    action = {"type": "block_actions", "actions": [{"value": "pb1:more abcdef12"}]}
    cases = [
        (await harness.send('{"type": "x"}', json_type, timestamp="soon"), 401),
        (await raw_post(harness.url, b"\x00garbage{", {"Content-Type": "text/plain"}), 401),
        (await harness.send("\x00garbage{", json_type), 400),
        (await harness.send("a=%zz&&=", "application/x-www-form-urlencoded"), 400),
        (await harness.send("[1, 2]", json_type), 400),
        (await harness.send(json.dumps({**callback, "event": None}), json_type), 200),
        (await harness.send(json.dumps({**callback, "event": {"type": None}}), json_type), 200),
        (
            await harness.send(
                "payload=" + json.dumps(action), "application/x-www-form-urlencoded"
            ),
            200,
        ),
    ]
    null_text = {**mention("x", channel="C0NULL"), "text": None}
    cases.append((await harness.event(null_text), 200))
    assert [(got[0], want) for got, want in cases] == [(want, want) for _, want in cases]
    [answer] = await harness.slack.wait_for("chat.postMessage")  # "text": null is a help request
    assert answer.params["channel"] == "C0NULL"
    assert "Paperboy help" in json.dumps(answer.params)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


async def test_readiness_follows_a_revoked_token(services, slack) -> None:  # noqa: F811
    settings = SlackSettings(
        mode="http",
        bot_token=SecretStr(BOT_TOKEN),
        signing_secret=SecretStr(SECRET),
        api_base_url=slack.base_url,
    )
    bot = SlackBot(settings, services.router, services.state)
    connection = SlackConnection(bot, recheck_s=0.1)
    ops = OpsServer(Metrics())
    ops.set_check("slack", connection.check)
    port = await ops.start()
    checking = asyncio.create_task(connection.verify_auth())
    try:
        await wait_health(port, 200)
        slack.revoke_auth()  # Slack now answers invalid_auth to every call
        body = await wait_health(port, 503)
        assert body["checks"]["slack"] == {
            "ok": False,
            "detail": "Slack rejected the bot token: invalid_auth",
        }
        slack.restore_auth()
        await wait_health(port, 200)  # back by itself
    finally:
        checking.cancel()
        await ops.stop()


async def wait_health(port: int, status: int, timeout: float = 30.0) -> dict:
    """Poll /healthz until it answers ``status``; return its body."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            got, body = response.status, await response.json()
        if got == status:
            return body
        assert loop.time() < deadline, f"/healthz stayed {got}: {body}"
        await asyncio.sleep(0.05)
