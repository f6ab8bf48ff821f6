"""Channel taste end to end on Discord: the real discord.py client against the local fake Discord
(REST + gateway), the real services over two recorded Hugging Face days. Per-paper 👍/👎 buttons
and a 👍 reaction on a posted digest reorder the channel's next digest (no other channel's);
``/papers recommend`` and ``@Paperboy recommend`` answer with the reason."""

from __future__ import annotations

import pytest

from bot.discord.poster import DiscordPoster
from bot.settings import ChannelPlan
from bot.taste.votes import TasteVotes
from retrieval.digest import LIKED_WHY
from tests.fakes.discord_server import message_limit_errors
from tests.taste_days import DAY1, DAY2, HF, NOW, digest_order, two_day_services
from tests.test_discord_e2e import (  # noqa: F401  (fixtures)
    bot,
    custom_ids,
    eventually,
    fake,
    original,
)

pytestmark = pytest.mark.skipif(not HF.is_dir(), reason="needs ../shared/data")


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    """The real services over the lists of DAY1 and DAY2."""
    yield from two_day_services(tmp_path_factory.mktemp("taste-discord"), embedder)


def _texts(body: dict) -> str:
    return " ".join(
        f"{e.get('title', '')} {e.get('description', '')} "
        + " ".join(f"{f['name']} {f['value']}" for f in e.get("fields", []))
        for e in body["embeds"]
    )


async def test_votes_on_a_digest_reorder_that_channels_next_digest_only(bot, fake, services):  # noqa: F811
    channel = str(fake.channel_id)
    voted = ChannelPlan(name="voted", platform="discord", channel_id=channel, count=5)
    other = ChannelPlan(name="other", platform="discord", channel_id="9999", count=5)
    trending = digest_order(services, voted, DAY2)
    assert trending == digest_order(services, other, DAY2), "no votes yet: both get trending"

    delivery = await services.digests.deliver(voted, DiscordPoster(bot), DAY1, NOW.replace(day=18))
    assert delivery.status == "sent"
    (post,) = await fake.wait_for("POST", rf"/channels/{channel}/messages")
    assert message_limit_errors(post.body) == []
    message = fake.messages[int(delivery.message_id)]
    shown = delivery.reply.paper_ids
    wanted = [f"pb1:feedback up paper {shown[3]}", f"pb1:feedback up paper {shown[4]}",
              f"pb1:feedback down paper {shown[0]}", f"pb1:feedback down paper {shown[1]}"]  # fmt: skip
    assert set(wanted) <= set(custom_ids(message))
    for custom_id in wanted:
        press = await fake.press(message, custom_id)
        (thanks,) = await fake.wait_for("PATCH", original(fake, press))
        assert thanks.body["embeds"][0]["title"].startswith("Thanks")
    await fake.react(message, "👍", user_id=4242)
    votes = TasteVotes(services.state.db)
    summary = await eventually(lambda: (s := votes.ratings("discord", channel)[1]).up == 3 and s)
    assert (summary.up, summary.down) == (3, 2)

    tuned, reply = services.digests.compose(voted, DAY2)
    assert [i.paper.id for i in tuned.items] != trending, "the votes changed the order"
    assert any(LIKED_WHY in item.why for item in reply.items)
    assert digest_order(services, other, DAY2) == trending, "another channel's digest is unchanged"

    slash = await fake.slash("recommend")
    (answer,) = await fake.wait_for("PATCH", original(fake, slash))
    assert message_limit_errors(answer.body) == []
    text = _texts(answer.body)
    assert "Based on 3 👍 and 2 👎 in this channel" in text
    assert LIKED_WHY in text


async def test_mention_recommend_without_feedback_explains_and_shows_trending(bot, fake):  # noqa: F811
    await fake.mention("recommend")
    (reply,) = await fake.wait_for("POST", rf"/channels/{fake.channel_id}/messages")
    text = _texts(reply.body)
    assert "don't know this channel's taste yet" in text
    assert len(reply.body["embeds"]) > 1, "the trending papers meanwhile"
