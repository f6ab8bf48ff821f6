"""Typed ``@Paperboy more`` over the real discord.py stack: it pages the latest answer in that
channel or DM for that user, and the footer names what works on Discord."""

from __future__ import annotations

from tests import test_discord_e2e as base
from tests.fakes.discord_server import FakeDiscord

bot, fake, services = base.bot, base.fake, base.services  # the fixtures

TOPIC = "Fourier transforms"
USER = 4242


def card_titles(body: dict) -> list[str]:
    return [embed["title"] for embed in body["embeds"][1:]]


async def test_mention_more_pages_the_last_answer_in_the_channel(bot, fake: FakeDiscord) -> None:
    posts = rf"/channels/{fake.channel_id}/messages"
    await fake.mention(TOPIC, user_id=USER)
    (first,) = await fake.wait_for("POST", posts)
    footer = first.body["embeds"][-1]["footer"]["text"]
    assert "More" in footer and "@Paperboy more" in footer and "`" not in footer, footer
    assert card_titles(first.body)[0].startswith("1. ")

    await fake.mention("more", user_id=USER)
    second = (await fake.wait_for("POST", posts, 2))[1]
    assert card_titles(second.body)[0].startswith("6. "), second.body
    assert TOPIC in second.body["embeds"][0]["title"]

    await fake.mention("more", user_id=USER + 1)  # another member: nothing of theirs to page
    third = (await fake.wait_for("POST", posts, 3))[2]
    assert "no earlier answer" in third.body["embeds"][0]["description"]


async def test_more_in_a_dm(bot, fake: FakeDiscord) -> None:
    posts = rf"/channels/{fake.dm_channel_id}/messages"
    await fake.direct_message(TOPIC, user_id=USER)
    await fake.wait_for("POST", posts)
    await fake.direct_message("more", user_id=USER)
    second = (await fake.wait_for("POST", posts, 2))[1]
    assert card_titles(second.body)[0].startswith("6. ")
