"""Channel taste end to end on Slack: the real bolt app over signed HTTP, the fake Slack Web API,
the real services over two recorded Hugging Face days. 👍/👎 buttons and reactions on one day's
digest change the order of the channel's next digest (and no other channel's), and
``recommend`` answers with its reason and the feedback it rests on."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.services import build_services
from bot.settings import ChannelPlan, Settings
from bot.slack.poster import SlackPoster
from bot.taste.votes import TasteVotes
from retrieval.digest import LIKED_WHY
from retrieval.sources.hf import read_daily_dir
from tests.test_slack_e2e import (  # noqa: F401  (fixtures)
    assert_valid_message,
    buttons,
    mention,
    section_texts,
    slack,
    start_bot,
    wait_until,
)

HF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hf_daily_papers"
pytestmark = pytest.mark.skipif(not HF.is_dir(), reason="needs ../shared/data")
DAY1, DAY2 = date(2026, 8, 18), date(2026, 8, 19)
NOW = datetime(2026, 8, 19, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def services(tmp_path_factory, embedder):
    """The real services over the lists of DAY1 and DAY2."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("taste-slack"), demo_corpus=False)
    built = build_services(settings, embedder=embedder, clock=lambda: NOW)
    built.index.ingest(read_daily_dir(HF, DAY1, DAY2).papers)
    yield built
    built.close()


def _order(services, plan: ChannelPlan, day: date) -> list[str]:
    digest, _reply = services.digests.compose(plan, day)
    return [item.paper.id for item in digest.items]


async def test_votes_on_a_digest_reorder_that_channels_next_digest_only(start_bot, services):  # noqa: F811
    harness = await start_bot()
    voted = ChannelPlan(name="voted", platform="slack", channel_id="C0TASTE", count=5)
    other = ChannelPlan(name="other", platform="slack", channel_id="C0OTHER", count=5)
    trending = _order(services, voted, DAY2)
    assert trending == _order(services, other, DAY2), "no votes yet: both get trending"

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
    assert _order(services, other, DAY2) == trending, "another channel's digest is unchanged"


async def test_recommend_answers_with_its_reason_and_the_feedback_it_rests_on(
    start_bot,  # noqa: F811
    services,
):
    harness = await start_bot()
    state = services.state
    for paper_id in _order(
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
