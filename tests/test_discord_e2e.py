"""End to end: the real discord.py client, over a real socket, against a local fake Discord,
answering with the real router over a small real corpus."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest

from bot.chat.reply import Reply, ReplyItem
from bot.discord.bot import PaperboyBot
from bot.discord.poster import DiscordPoster
from bot.ops.server import CheckResult
from bot.settings import ChannelPlan, DiscordSettings
from retrieval.sources.hf import read_daily_dir
from retrieval.sources.jsonl import read_jsonl
from tests.fakes.discord_server import FakeDiscord, message_limit_errors
from tests.real_services import real_services

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NOW = datetime(2026, 8, 21, 10, 0, tzinfo=UTC)
QUESTION = "fast FFT-based attention papers"
SUBCOMMANDS = {
    "search", "similar", "digest", "subscribe", "unsubscribe", "settings", "recommend", "help", "alert"
}  # fmt: skip


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    """The real services over 119 fast-transform papers plus one recorded HF daily list."""
    listing = read_jsonl(DATA / "papers_fast_transforms.jsonl").papers
    daily = read_daily_dir(DATA / "hf_daily_papers", since=NOW.date(), until=NOW.date())
    yield from real_services(
        tmp_path_factory.mktemp("discord"), embedder, NOW, listing, daily.papers
    )


@pytest.fixture
async def fake():
    server = await FakeDiscord().start()
    yield server
    await server.close()


async def start_bot(services, fake: FakeDiscord) -> tuple[PaperboyBot, asyncio.Task]:
    settings = DiscordSettings(
        token="fake-token",
        guild_ids=[fake.guild_id],
        admin_role="Paper Admin",
        api_base_url=fake.api_base_url,
    )
    bot = PaperboyBot(services.router, services.state, settings, guild_ready_timeout=0.05)
    runner = asyncio.create_task(bot.start("fake-token"))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({runner, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
    if runner in done:
        runner.result()  # raises what stopped the bot
    assert ready in done, "the bot never became ready"
    return bot, runner


async def stop_bot(bot: PaperboyBot, runner: asyncio.Task) -> None:
    await bot.close()
    await asyncio.wait_for(runner, 10)


@pytest.fixture
async def bot(services, fake):
    started, runner = await start_bot(services, fake)
    yield started
    await stop_bot(started, runner)


async def eventually(check, timeout: float = 5.0):
    """Poll ``check`` until it returns something truthy; return that."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition never became true"
        await asyncio.sleep(0.05)
    return result


def original(fake: FakeDiscord, interaction: dict) -> str:
    """The path of an interaction's original response."""
    return rf"/webhooks/{fake.app_id}/{re.escape(interaction['token'])}/messages/@original"


def callback(interaction: dict) -> str:
    return rf"/interactions/{interaction['id']}/{re.escape(interaction['token'])}/callback"


def custom_ids(message: dict) -> list[str]:
    return [c["custom_id"] for row in message["components"] for c in row["components"]]


async def test_startup_uses_the_fake_for_rest_and_gateway_and_syncs_papers_to_the_guild(bot, fake):
    assert fake.calls("GET", "/gateway/bot"), "gateway URL must come from the API"
    (sync,) = fake.calls("PUT", rf"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands")
    (group,) = sync.body
    assert group["name"] == "papers"
    assert {option["name"] for option in group["options"]} == SUBCOMMANDS
    assert discord.http.Route.BASE == "https://discord.com/api/v10", "no process-wide change"


async def test_slash_search_is_deferred_then_edited_with_results_within_limits(bot, fake):
    pushed = time.monotonic()
    interaction = await fake.slash("search", question=QUESTION)
    (edit,) = await fake.wait_for("PATCH", original(fake, interaction))
    (ack,) = fake.calls("POST", callback(interaction))
    assert ack.body["type"] == 5, "deferred (thinking) first"
    assert ack.at - pushed < 3 and ack.at <= edit.at
    assert message_limit_errors(edit.body) == []
    assert edit.body["allowed_mentions"]["parse"] == []
    header, *cards = edit.body["embeds"]
    assert "fast FFT-based attention" in header["title"]
    assert len(cards) == bot.router.page_size
    assert cards[0]["title"].startswith("1. ")
    titles = " ".join(card["title"].lower() for card in cards)
    assert "fourier" in titles or "fft" in titles, titles
    assert any(cid.startswith("pb1:more ") for cid in custom_ids(edit.body))


async def test_admin_commands_need_manage_channels_or_the_admin_role(bot, fake, services):
    plain = await fake.slash("subscribe", topic="fast attention")
    (refused,) = await fake.wait_for("PATCH", original(fake, plain))
    assert "admin" in refused.body["embeds"][0]["description"].lower()
    assert services.digests.plans.plan_for("discord", str(fake.channel_id)) is None

    by_role = await fake.slash("subscribe", role=True, topic="fast attention @everyone")
    (done,) = await fake.wait_for("PATCH", original(fake, by_role))
    assert done.body["embeds"][0]["title"] == "Subscribed"
    assert "@everyone" not in done.body["embeds"][0]["description"]
    assert services.digests.plans.plan_for("discord", str(fake.channel_id)).topic.startswith("fast")

    by_permission = await fake.slash("unsubscribe", admin=True)
    (gone,) = await fake.wait_for("PATCH", original(fake, by_permission))
    assert gone.body["embeds"][0]["title"] == "Unsubscribed"


async def test_help_is_private(bot, fake):
    interaction = await fake.slash("help")
    (edit,) = await fake.wait_for("PATCH", original(fake, interaction))
    (ack,) = fake.calls("POST", callback(interaction))
    assert ack.body["data"]["flags"] & 64, "ephemeral"
    assert "similar" in edit.body["embeds"][0]["description"]


async def test_a_mention_gets_exactly_one_reply_even_if_delivered_twice(bot, fake):
    mention = await fake.mention(QUESTION)
    await fake.dispatch("MESSAGE_CREATE", mention)  # a redelivery (e.g. after a resume)
    messages = rf"/channels/{fake.channel_id}/messages"
    (reply,) = await fake.wait_for("POST", messages)
    await asyncio.sleep(0.5)
    assert len(fake.calls("POST", messages)) == 1
    assert str(reply.body["message_reference"]["message_id"]) == mention["id"]
    assert reply.body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert message_limit_errors(reply.body) == [] and len(reply.body["embeds"]) > 1
    assert "fast FFT-based attention" in reply.body["embeds"][0]["title"]


async def test_a_direct_message_needs_no_mention(bot, fake):
    listed = json.loads((DATA / "hf_daily_papers" / f"{NOW.date()}.json").read_text())
    paper = listed[0]["paper"]
    await fake.direct_message(f"similar https://huggingface.co/papers/{paper['id']}")
    (reply,) = await fake.wait_for("POST", rf"/channels/{fake.dm_channel_id}/messages")
    assert reply.body["allowed_mentions"]["parse"] == []
    header, *cards = reply.body["embeds"]
    assert header["title"].startswith("Papers like") and cards
    assert paper["id"] not in " ".join(card.get("url", "") for card in cards)


async def test_thumbs_down_reaction_on_an_answer_is_recorded_as_feedback(bot, fake, services):
    await fake.mention(QUESTION)
    (reply,) = await fake.wait_for("POST", rf"/channels/{fake.channel_id}/messages")
    (answer,) = [m for m in fake.messages.values() if m["channel_id"] == str(fake.channel_id)]
    shown = await eventually(
        lambda: services.state.answer_papers("discord", str(fake.channel_id), answer["id"])
    )
    assert len(shown) == len(reply.body["embeds"]) - 1
    before = services.state.feedback_totals()
    await fake.react(answer, "🎉", user_id=4243)  # not feedback
    await fake.react(answer, "👎", user_id=4242)
    after = await eventually(lambda: (t := services.state.feedback_totals()) != before and t)
    assert {pid for pid in shown if after.get(pid, 0) == before.get(pid, 0) - 1} == set(shown)
    assert sum(after.values()) == sum(before.values()) - len(shown), "🎉 counted for nothing"


async def test_other_messages_are_ignored(bot, fake):
    posts = rf"/channels/{fake.channel_id}/messages"
    await fake.message("no mention here, just chatting about fast FFT-based attention")
    await asyncio.sleep(1.5)
    assert fake.calls("POST", posts) == []
    await fake.mention(QUESTION)  # the bot is listening: a mention right after is answered
    await fake.wait_for("POST", posts)
    assert len(fake.calls("POST", posts)) == 1


async def test_more_button_pages_and_still_works_after_a_restart(fake, services):
    bot, runner = await start_bot(services, fake)
    try:
        first = await fake.slash("search", question=QUESTION)
        await fake.wait_for("PATCH", original(fake, first))
    finally:
        await stop_bot(bot, runner)
    (page_one,) = fake.interaction_messages(first)
    more = next(cid for cid in custom_ids(page_one) if cid.startswith("pb1:more "))

    bot, runner = await start_bot(services, fake)  # a restart: a new bot, the same state
    try:
        press = await fake.press(page_one, more)
        (edit,) = await fake.wait_for("PATCH", original(fake, press))
    finally:
        await stop_bot(bot, runner)
    cards = edit.body["embeds"][1:]
    size = bot.router.page_size
    assert [c["title"].split(".")[0] for c in cards] == [
        str(n) for n in range(size + 1, 2 * size + 1)
    ]
    assert {c["title"] for c in cards}.isdisjoint(e["title"] for e in page_one["embeds"])
    assert message_limit_errors(edit.body) == []


async def test_thumbs_up_button_records_feedback_on_the_answers_papers(bot, fake, services):
    search = await fake.slash("search", question=QUESTION)
    await fake.wait_for("PATCH", original(fake, search))
    (answer,) = fake.interaction_messages(search)
    before = services.state.feedback_totals()
    press = await fake.press(
        answer, next(c for c in custom_ids(answer) if c.startswith("pb1:feedback up"))
    )
    (thanks,) = await fake.wait_for("PATCH", original(fake, press))
    (ack,) = fake.calls("POST", callback(press))
    assert ack.body["data"]["flags"] & 64, "the thank-you is private"
    assert thanks.body["embeds"][0]["title"].startswith("Thanks")
    after = services.state.feedback_totals()
    raised = {pid for pid, total in after.items() if total > before.get(pid, 0)}
    assert len(raised) == bot.router.page_size


async def test_a_digest_posts_once_through_the_ledger(bot, fake, services):
    plan = ChannelPlan(name="papers", platform="discord", channel_id=str(fake.channel_id))
    poster = DiscordPoster(bot)
    deliveries = await asyncio.gather(
        services.digests.deliver(plan, poster, NOW.date(), NOW),
        services.digests.deliver(plan, poster, NOW.date(), NOW),
    )
    again = await services.digests.deliver(plan, poster, NOW.date(), NOW)
    assert sorted(d.status for d in deliveries) == ["already", "sent"]
    assert again.status == "already"
    (post,) = fake.calls("POST", rf"/channels/{fake.channel_id}/messages")
    assert message_limit_errors(post.body) == []
    assert post.body["allowed_mentions"]["parse"] == []
    assert post.body["content"].startswith("**Trending papers")
    sent = next(d for d in deliveries if d.status == "sent")
    assert sent.message_id in {str(m) for m in fake.messages}


async def test_a_429_is_waited_out_and_the_message_lands_once(bot, fake):
    path = rf"/channels/{fake.channel_id}/messages"
    fake.rate_limit_once("POST", path, retry_after=0.6)
    item = ReplyItem("2401.00001", "A paper", "https://arxiv.org/abs/2401.00001")
    message_id = await DiscordPoster(bot).post(str(fake.channel_id), Reply("Digest", (item,)))
    limited, landed = fake.calls("POST", path)
    assert (limited.status, landed.status) == (429, 200)
    assert landed.at - limited.at >= 0.6
    assert [str(m) for m in fake.messages] == [message_id]


async def test_readiness_follows_the_gateway_session(services, fake):
    settings = DiscordSettings(token="fake-token", api_base_url=fake.api_base_url)
    unstarted = PaperboyBot(services.router, services.state, settings)
    assert (await unstarted.connection_check()).ok is False  # not connected yet
    bot, runner = await start_bot(services, fake)
    try:
        ready = await bot.connection_check()
    finally:
        await stop_bot(bot, runner)
    assert ready.ok and "gateway connected" in ready.detail
    closed = await bot.connection_check()
    assert closed == CheckResult(False, "Discord client closed")
