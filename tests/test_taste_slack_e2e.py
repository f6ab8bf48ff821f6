"""Channel taste end to end on Slack: the real bolt app over signed HTTP, the fake Slack Web API,
the real services over two recorded Hugging Face days. 👍/👎 buttons and reactions on one day's
digest change the order of the channel's next digest (and no other channel's), and
``recommend`` answers with its reason and the feedback it rests on."""

from __future__ import annotations

import time

import pytest

from bot.settings import ChannelPlan
from bot.slack.poster import SlackPoster
from bot.taste.votes import TasteVotes
from retrieval.digest import LIKED_WHY
from tests.taste_days import DAY1, DAY2, HF, NOW, digest_order, two_day_services
from tests.test_slack_e2e import (  # noqa: F401  (fixtures)
    assert_valid_message,
    buttons,
    mention,
    section_texts,
    slack,
    start_bot,
    wait_until,
)

pytestmark = pytest.mark.skipif(not HF.is_dir(), reason="needs ../shared/data")


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    """The real services over the lists of DAY1 and DAY2."""
    yield from two_day_services(tmp_path_factory.mktemp("taste-slack"), embedder)


async def test_votes_on_a_digest_reorder_that_channels_next_digest_only(start_bot, services):  # noqa: F811
    harness = await start_bot()
    voted = ChannelPlan(name="voted", platform="slack", channel_id="C0TASTE", count=5)
    other = ChannelPlan(name="other", platform="slack", channel_id="C0OTHER", count=5)
    trending = digest_order(services, voted, DAY2)
    assert trending == digest_order(services, other, DAY2), "no votes yet: both get trending"

    poster = SlackPoster(harness.bot.client, services.state)
    delivery = await services.digests.deliver(voted, poster, DAY1, NOW.replace(day=18))
    assert delivery.status == "sent"
    [posted] = await harness.slack.wait_for("chat.postMessage")
    message = {**assert_valid_message(posted), "ts": posted.response["ts"]}
    by_label = {b["text"]["text"]: b for b in buttons(posted.params)}
    for n, label in enumerate(["👍 #4", "👍 #5", "👎 #1", "👎 #2"], start=1):
        await harness.press(by_label[label], message, "C0TASTE", f"vote{n}")
        [thanks] = await harness.slack.wait_for(f"response_url:vote{n}")
        assert thanks.params["response_type"] == "ephemeral"
    await harness.press(by_label["Similar to #3"], message, "C0TASTE", "similar")
    await harness.event(
        {
            "type": "reaction_added",
            "user": "U0BOB",
            "reaction": "+1",
            "item": {"type": "message", "channel": "C0TASTE", "ts": message["ts"]},
            "event_ts": f"{time.time():.6f}",
        }
    )
    votes = TasteVotes(services.state.db)
    await wait_until(lambda: votes.ratings("slack", "C0TASTE")[1].up == 3)
    summary = votes.ratings("slack", "C0TASTE")[1]
    assert (summary.up, summary.down, summary.similar) == (3, 2, 1)

    tuned, tuned_reply = services.digests.compose(voted, DAY2)
    assert [i.paper.id for i in tuned.items] != trending, "the votes changed the order"
    assert any(LIKED_WHY in item.why for item in tuned_reply.items)
    assert digest_order(services, other, DAY2) == trending, "another channel's digest is unchanged"


async def test_recommend_answers_with_its_reason_and_the_feedback_it_rests_on(
    start_bot,  # noqa: F811
    services,
):
    harness = await start_bot()
    state = services.state
    for paper_id in digest_order(
        services, ChannelPlan(name="x", platform="slack", channel_id="C0REC"), DAY1
    )[:3]:
        state.record_feedback("slack", "C0REC", f"paper:{paper_id}", "U0ADA", 1, [paper_id])
    await harness.event(mention("recommend", channel="C0REC"))
    [answer] = await harness.slack.wait_for("chat.postMessage")
    params = assert_valid_message(answer)
    assert params["blocks"][0]["text"]["text"] == "Recommended for this channel"
    texts = section_texts(params)
    assert "Based on 3 👍 and 0 👎 in this channel" in texts[0]
    assert any(LIKED_WHY in text for text in texts[1:]), texts

    await harness.command("recommend", "U0ADA", "C0NEW", "cold")
    [cold] = await harness.slack.wait_for("response_url:cold")
    shown = harness.slack.shown("cold")[-1]
    assert "don't know this channel's taste yet" in section_texts(shown)[0]
    assert len(section_texts(shown)) > 1, "the trending papers meanwhile"
    assert cold.params["response_type"] == "in_channel"
