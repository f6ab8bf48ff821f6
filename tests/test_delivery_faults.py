"""An ambiguous digest post is never repeated: the real scheduler, ledger and platform clients
(slack-sdk, Paperboy's Discord poster on discord.py's login) against the local fakes, which store
the message and then answer 503 or drop the connection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import SecretStr

from bot.chat.reply import Reply, ReplyItem
from bot.discord.bot import PaperboyBot
from bot.discord.poster import DiscordPoster
from bot.settings import ChannelPlan, DiscordSettings, SlackSettings
from bot.slack.poster import SlackPoster, make_web_client
from bot.store.state import BotState
from retrieval.sources.hf import read_daily_dir
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.slack_api import FakeSlackApi
from tests.test_scheduler import HF, Clock, at_berlin, build

DAY = date(2026, 8, 19)
SLACK_PLAN = ChannelPlan(name="ml", platform="slack", channel_id="C1", timezone="Europe/Berlin")


@pytest.fixture(scope="module")
def papers():
    if not HF.is_dir():
        pytest.skip("needs ../shared/data")
    return read_daily_dir(HF, date(2026, 8, 10), date(2026, 8, 21)).papers


@pytest.fixture
async def slack():
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
async def discord_fake():
    server = await FakeDiscord().start()
    yield server
    await server.close()


def slack_scheduler(tmp_path, papers, slack: FakeSlackApi, clock: Clock):
    sched = build(tmp_path / "state.sqlite3", papers, clock, plans=(SLACK_PLAN,))
    settings = SlackSettings(bot_token=SecretStr("xoxb-fake"), api_base_url=slack.base_url)
    state = BotState(tmp_path / "state.sqlite3")
    sched.posters["slack"] = SlackPoster(make_web_client(settings), state)
    return sched


@pytest.mark.parametrize("how", ["503", "drop"])
async def test_slack_stored_then_failed_is_unknown_and_never_reposted(tmp_path, papers, slack, how):
    clock = Clock(at_berlin(19, 9))
    sched = slack_scheduler(tmp_path, papers, slack, clock)
    slack.store_then_fail_once("chat.postMessage", how)
    first = await sched.run_due(SLACK_PLAN)
    assert first.status == "unknown"
    assert len(slack.posted) == 1 and len(slack.of("chat.postMessage")) == 1, "not retried"
    entry = sched.digests.ledger.entry("slack", "C1", DAY)
    assert entry.status == "unknown" and "outcome unknown" in entry.note
    for minutes in (10, 60, 300):  # later sweeps, also after the pending timeout
        clock.now = at_berlin(19, 9) + timedelta(minutes=minutes)
        assert await sched.catch_up() == []
    assert len(slack.posted) == 1
    assert sched.digests.ledger.entry("slack", "C1", DAY).status == "unknown"
    clock.now = at_berlin(20, 9)  # the next day posts, without the papers that may have gone out
    (next_day,) = await sched.catch_up()
    assert next_day.status == "sent" and len(slack.posted) == 2
    assert not set(entry.paper_ids) & set(next_day.reply.paper_ids)


async def test_slack_clear_refusal_is_failed_and_retried_once(tmp_path, papers, slack):
    clock = Clock(at_berlin(19, 9))
    sched = slack_scheduler(tmp_path, papers, slack, clock)
    slack.fail_once("chat.postMessage", "channel_not_found")
    assert (await sched.run_due(SLACK_PLAN)).status == "failed"
    assert slack.posted == []
    clock.now += timedelta(minutes=10)
    assert [d.status for d in await sched.catch_up()] == ["sent"]
    assert len(slack.posted) == 1 and await sched.catch_up() == []


async def test_slack_rate_limit_is_waited_out_and_posted_once(tmp_path, papers, slack):
    sched = slack_scheduler(tmp_path, papers, slack, Clock(at_berlin(19, 9)))
    slack.rate_limit_once("chat.postMessage", retry_after=1)
    assert (await sched.run_due(SLACK_PLAN)).status == "sent"
    assert [c.status for c in slack.of("chat.postMessage")] == [429, 200]
    assert len(slack.posted) == 1


async def discord_scheduler(tmp_path, papers, fake: FakeDiscord, clock: Clock):
    plan = ChannelPlan(name="d", platform="discord", channel_id=str(fake.channel_id))
    plan = plan.model_copy(update={"timezone": "Europe/Berlin"})
    sched = build(tmp_path / "state.sqlite3", papers, clock, plans=(plan,))
    settings = DiscordSettings(token="fake-token", api_base_url=fake.api_base_url)
    bot = PaperboyBot(None, BotState(tmp_path / "state.sqlite3"), settings)
    await bot.login("fake-token")  # REST only, as `paperboy scheduler` does
    sched.posters["discord"] = DiscordPoster(bot)
    return sched, plan, bot


@pytest.mark.parametrize("how", ["500", "503", "drop"])
async def test_discord_stored_then_failed_is_unknown_and_never_reposted(
    tmp_path, papers, discord_fake, how
):
    fake, clock = discord_fake, Clock(at_berlin(19, 9))
    sched, plan, bot = await discord_scheduler(tmp_path, papers, fake, clock)
    path = rf"/channels/{fake.channel_id}/messages"
    try:
        fake.store_then_fail_once("POST", path, how)
        assert (await sched.run_due(plan)).status == "unknown"
        for minutes in (10, 60, 300):
            clock.now = at_berlin(19, 9) + timedelta(minutes=minutes)
            assert await sched.catch_up() == []
    finally:
        await bot.close()
    assert len(fake.messages) == 1 and len(fake.calls("POST", path)) == 1, "not retried"
    entry = sched.digests.ledger.entry("discord", str(fake.channel_id), DAY)
    assert entry.status == "unknown" and "outcome unknown" in entry.note


async def test_discord_clear_refusal_is_failed_and_retried_once(tmp_path, papers, discord_fake):
    fake, clock = discord_fake, Clock(at_berlin(19, 9))
    sched, plan, bot = await discord_scheduler(tmp_path, papers, fake, clock)
    path = rf"/channels/{fake.channel_id}/messages"
    try:
        fake.refuse_once("POST", path, 403)
        assert (await sched.run_due(plan)).status == "failed"
        assert fake.messages == {}
        clock.now += timedelta(minutes=10)
        assert [d.status for d in await sched.catch_up()] == ["sent"]
        assert await sched.catch_up() == []
    finally:
        await bot.close()
    assert len(fake.messages) == 1 and len(fake.calls("POST", path)) == 2


async def test_slack_idempotent_calls_are_still_retried_after_a_503(slack):
    settings = SlackSettings(bot_token=SecretStr("xoxb-fake"), api_base_url=slack.base_url)
    poster = SlackPoster(make_web_client(settings))
    slack.store_then_fail_once("chat.update", "503")  # replacing a message twice is harmless
    reply = Reply("Answer", (ReplyItem("2401.00001", "A paper", "https://arxiv.org/a"),))
    assert await poster.update("C1", "1700000000.000001", reply) == "1700000000.000001"
    assert [c.status for c in slack.of("chat.update")] == [503, 200]
    slack.store_then_fail_once("auth.test", "drop")
    assert (await poster.client.auth_test())["ok"]
    assert [c.status for c in slack.of("auth.test")] == [0, 200]
