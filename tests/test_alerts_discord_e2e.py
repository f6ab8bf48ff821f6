"""End to end on Discord: ``/papers alert`` through the real discord.py client against the local
fake Discord, the daily alert DM (``POST /users/@me/channels``, then one message) after the
scheduler's real refresh from recorded Hugging Face lists, and 👍/👎 votes in the metrics."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime

import pytest

from bot.digest.scheduler import DigestScheduler
from bot.discord.bot import PaperboyBot
from bot.discord.poster import DiscordPoster
from bot.settings import DiscordSettings, SchedulerSettings
from retrieval.sources.hf import read_daily_dir
from tests.fakes.discord_server import FakeDiscord, message_limit_errors
from tests.real_services import real_services
from tests.test_discord_e2e import callback, eventually, fake, original, stop_bot  # noqa: F401
from tests.test_scheduler_refresh import HF, FakeHF, hf_client, serving

NOW = datetime(2026, 8, 21, 10, 0, tzinfo=UTC)  # the list of Fri 21 Aug is not ingested yet
TODAYS = {e["paper"]["id"] for e in json.loads((HF / "2026-08-21.json").read_text())}
ADA, BOB = 4242, 4343


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    """Real services over the recorded lists of 19-20 Aug 2026, with the clock on 21 Aug."""
    papers = read_daily_dir(HF, date(2026, 8, 19), date(2026, 8, 20)).papers
    yield from real_services(tmp_path_factory.mktemp("alerts-discord"), embedder, NOW, papers)


@pytest.fixture
async def bot(services, fake):  # noqa: F811
    settings = DiscordSettings(
        token="fake-token", guild_ids=[fake.guild_id], api_base_url=fake.api_base_url
    )
    started = PaperboyBot(
        services.router, services.state, settings, services.metrics, guild_ready_timeout=0.05
    )
    runner = asyncio.create_task(started.start("fake-token"))
    await asyncio.wait_for(started.wait_until_ready(), 30)
    yield started
    await stop_bot(started, runner)


async def slash_alert(fake: FakeDiscord, what: str, user_id: int = ADA) -> dict:  # noqa: F811
    """``/papers alert what:<what>``; returns the (private) answer's embed."""
    interaction = await fake.slash("alert", user_id=user_id, what=what)
    (edit,) = await fake.wait_for("PATCH", original(fake, interaction))
    (ack,) = fake.calls("POST", callback(interaction))
    assert ack.body["data"]["flags"] & 64, "personal: answered privately"
    return edit.body["embeds"][0]


async def test_alert_commands_then_one_dm_a_day_with_the_new_matching_papers(bot, fake, services):  # noqa: F811
    added = await slash_alert(fake, "graph neural networks")
    assert added["title"] == "Alert added" and "graph neural networks" in added["description"]
    await slash_alert(fake, "efficient attention and long context")
    listed = await slash_alert(fake, "list")
    assert "1. graph neural networks" in listed["description"]
    assert "2. efficient attention and long context" in listed["description"]
    removed = await slash_alert(fake, "remove 1")
    assert "graph neural networks" in removed["description"]
    too_long = await slash_alert(fake, "x" * 300)
    assert "keep it under 200" in too_long["description"]
    await slash_alert(fake, "video generation", user_id=BOB)

    FakeHF.status, FakeHF.requests = 200, []
    with serving(FakeHF) as server:
        scheduler = DigestScheduler(
            services.digests,
            {"discord": DiscordPoster(bot)},
            SchedulerSettings(),
            index=services.index,
            source_factory=hf_client(server),
            alerts=services.alerts,
        )
        assert await scheduler.refresh_sources()  # ingests 21 Aug, then runs the alerts
        opened = [r.body["recipient_id"] for r in fake.calls("POST", "/users/@me/channels")]
        assert sorted(map(int, opened)) == [ADA, BOB]
        dm = fake.dm_channels[ADA]
        (alert,) = fake.calls("POST", rf"/channels/{dm}/messages")
        assert message_limit_errors(alert.body) == [] and alert.body["allowed_mentions"]
        header, *cards = alert.body["embeds"]
        assert header["title"].startswith("Your paper alerts")
        assert any("FlashPrefill V2" in card["title"] for card in cards)
        assert all("efficient attention" in json.dumps(card) for card in cards)
        (message,) = [m for m in fake.messages.values() if m["channel_id"] == str(dm)]
        shown = services.state.answer_papers("discord", str(dm), message["id"])
        assert shown and set(shown) <= TODAYS and len(shown) == len(cards), "👍 on it counts"

        assert await scheduler.refresh_sources()  # a second run the same day
        assert len(fake.calls("POST", rf"/channels/{dm}/messages")) == 1, "no second DM today"
    metrics = services.metrics.render()[0].decode()
    assert 'paperboy_alerts_total{platform="discord",status="sent"} 2.0' in metrics


async def test_votes_are_counted_in_the_metrics(bot, fake, services):  # noqa: F811
    await fake.mention("benchmarks for LLM agents")
    await fake.wait_for("POST", rf"/channels/{fake.channel_id}/messages")
    (answer,) = [m for m in fake.messages.values() if m["channel_id"] == str(fake.channel_id)]
    await eventually(
        lambda: services.state.answer_papers("discord", str(fake.channel_id), answer["id"])
    )
    await fake.react(answer, "👍", user_id=5001)
    await fake.react(answer, "👎", user_id=5002)
    await fake.react(answer, "🎉", user_id=5003)

    def counted() -> str | None:
        text = services.metrics.render()[0].decode()
        return text if 'vote="down"} 1.0' in text else None

    text = await eventually(counted)
    assert 'paperboy_feedback_total{platform="discord",vote="up"} 1.0' in text
    votes = {(p, c): (up, down) for p, c, up, down in services.state.feedback_counts()}
    assert votes[("discord", str(fake.channel_id))] == (1, 1)
