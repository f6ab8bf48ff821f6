"""Edge cases of the real discord.py stack against the fake Discord: stale buttons, stale
sub-commands, hostile paper text, URLs Discord refuses, and readiness when the gateway goes."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.chat.buttons import EXPIRED_TEXT
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer
from bot.services import build_services
from bot.settings import Settings
from retrieval.models import Paper
from retrieval.sources.jsonl import read_jsonl
from tests.test_discord_e2e import (  # noqa: F401  (fixtures)
    bot,
    callback,
    custom_ids,
    eventually,
    fake,
    original,
    start_bot,
    stop_bot,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NOW = datetime(2026, 8, 21, 10, 0, tzinfo=UTC)
HOSTILE = Paper(
    id="2601.00001",
    title="Zyxwvut **bold** [free nitro](https://evil.example/x) ||spoiler|| \u202eevil\x1b[31m",
    abstract="Zyxwvut quokka transforms.\x00 A study of \u2066isolated\u2069 quokka attention.",
    url="https://arxiv.org/abs/2601.00001 v2",
    authors=("Ada\u202e Lovelace", "@everyone"),
    published=date(2026, 1, 2),
)
CONTROLS = ("\x00", "\x1b", "\u202e", "\u2066", "\u2069")
MESSAGES = r"/channels/{}/messages"


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    """Real services over a few real papers plus one with hostile text and a bad URL."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("discord-edges"), demo_corpus=False)
    built = build_services(settings, embedder=embedder, clock=lambda: NOW)
    built.index.ingest(read_jsonl(DATA / "papers_fast_transforms.jsonl").papers[:20] + [HOSTILE])
    yield built
    built.close()


async def answered(bot, fake) -> dict:  # noqa: F811
    """A search answer (with buttons) to press on."""
    search = await fake.slash("search", question="fast Fourier transform attention")
    await fake.wait_for("PATCH", original(fake, search))
    (answer,) = fake.interaction_messages(search)
    return answer


@pytest.mark.parametrize(
    "custom_id",
    ["more 3f9a1c2b4d5e", "pb1:similar ; drop everything", "pb0:more 3f9a1c2b4d5e", "pb1:"],
    ids=["before-pb1", "garbled", "other-version", "empty"],
)
async def test_a_stale_or_garbled_button_says_it_has_expired(bot, fake, custom_id):  # noqa: F811
    answer = await answered(bot, fake)
    button = {"type": 2, "style": 1, "label": "More results", "custom_id": custom_id}
    old = {**answer, "components": [{"type": 1, "components": [button]}]}  # an older message
    press = await fake.press(old, custom_id)
    (reply,) = await fake.wait_for("POST", callback(press))
    assert reply.body["type"] == 4, "answered at once, not deferred into a search"
    assert reply.body["data"]["flags"] & 64, "privately"
    assert reply.body["data"]["embeds"][0]["description"] == EXPIRED_TEXT
    await asyncio.sleep(0.3)
    assert fake.calls("PATCH", original(fake, press)) == [], "nothing was searched"


async def test_current_buttons_carry_the_versioned_prefix(bot, fake):  # noqa: F811
    answer = await answered(bot, fake)
    assert custom_ids(answer) and all(cid.startswith("pb1:") for cid in custom_ids(answer))


async def test_an_unknown_sub_command_is_answered_with_help(bot, fake):  # noqa: F811
    interaction = await fake.slash("top")  # a client that still shows an old command list
    (edit,) = await fake.wait_for("PATCH", original(fake, interaction))
    (ack,) = fake.calls("POST", callback(interaction))
    assert ack.body["data"]["flags"] & 64
    assert edit.body["embeds"][0]["title"] == "Paperboy help"


async def test_a_paper_url_with_a_space_is_encoded_and_the_answer_lands(bot, fake):  # noqa: F811
    await fake.mention("zyxwvut quokka")
    path = MESSAGES.format(fake.channel_id)
    (reply,) = await fake.wait_for("POST", path)
    assert [c.status for c in fake.calls("POST", path)] == [200], "Discord took it first time"
    (card,) = [e for e in reply.body["embeds"] if "Zyxwvut" in e.get("title", "")]
    assert card["url"] == "https://arxiv.org/abs/2601.00001%20v2"
    text = json.dumps(reply.body, ensure_ascii=False)
    assert not any(c in text for c in CONTROLS), "control and bidi characters are stripped"
    assert "\\[free nitro\\]" in card["title"] and "\\|\\|spoiler" in card["title"]


async def test_a_refused_reply_falls_back_to_escaped_plain_text(bot, fake):  # noqa: F811
    path = MESSAGES.format(fake.channel_id)
    fake.reject_once("POST", path)  # Discord refuses the embeds (as for a bad URL)
    await fake.mention("zyxwvut quokka")
    (reply,) = await fake.wait_for("POST", path)
    assert [c.status for c in fake.calls("POST", path)] == [400, 200]
    content = reply.body["content"]
    assert not reply.body.get("embeds")
    assert "Zyxwvut" in content and "\\[free nitro\\](" in content and "\\*\\*bold\\*\\*" in content
    assert "||spoiler||" not in content and "\\|\\|spoiler" in content
    assert not any(c in content for c in CONTROLS)
    assert reply.body["allowed_mentions"]["parse"] == []


async def healthz(port: int) -> tuple[int, dict]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        return response.status, await response.json()


async def wait_health(port: int, status: int, timeout: float = 30.0) -> dict:
    """Poll /healthz until it answers ``status``; return its body."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got, body = await healthz(port)
        if got == status:
            return body
        assert loop.time() < deadline, f"/healthz stayed {got}: {body}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("how", ["dropped", "invalidated"])
async def test_readiness_follows_the_gateway_session(services, fake, how):  # noqa: F811
    paperboy, runner = await start_bot(services, fake)
    ops = OpsServer(Metrics())
    ops.set_check("discord", paperboy.connection_check)
    port = await ops.start()
    try:
        await wait_health(port, 200)
        connections = fake.gateway.connections
        fake.gateway.refusing = True  # Discord's gateway is away for a while
        if how == "dropped":
            await fake.gateway.drop()
        else:
            await fake.gateway.invalidate_session()  # INVALID_SESSION d=false: identify anew
        body = await wait_health(port, 503)
        assert body["checks"]["discord"] == {
            "ok": False,
            "detail": "Discord gateway session lost; reconnecting",
        }
        fake.gateway.refusing = False
        await wait_health(port, 200)  # back by itself, on the configured gateway
        assert fake.gateway.connections > connections
        if how == "invalidated":
            assert fake.gateway.identifies == 2
    finally:
        await ops.stop()
        await stop_bot(paperboy, runner)
