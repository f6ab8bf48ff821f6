"""The channel-taste learner (retrieval/taste.py) and its bot side (votes, book), over small
synthetic unit vectors: no model, no network."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest

from bot.chat.feedback import record_button_feedback
from bot.chat.reply import ChatRequest
from bot.store.state import BotState
from bot.taste.book import TasteBook
from bot.taste.votes import TasteVotes
from retrieval.digest import LIKED_WHY, DigestCriteria, MemoryDigestIndex, select_digest
from retrieval.models import Paper
from retrieval.taste import Rating, blend, blend_weight, fit_taste

DAY = date(2026, 8, 19)
TOPICS = ("robots", "video", "proteins", "compilers")


def _vec(topic: int, jitter: int) -> np.ndarray:
    rng = np.random.default_rng(1000 * topic + jitter)
    vector = np.zeros(16)
    vector[topic] = 1.0
    vector += rng.normal(0, 0.15, 16)
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def _papers() -> tuple[list[Paper], dict[str, np.ndarray]]:
    """Eight papers a day for twenty days, two per topic; popularity unrelated to topic."""
    papers, vectors = [], {}
    for d in range(20):
        day = date(2026, 7, 31 + d) if d < 1 else date(2026, 8, d)
        for k in range(8):
            topic = k % 4
            pid = f"2608.{d:02d}{k:03d}"
            papers.append(
                Paper(
                    id=pid,
                    title=f"{TOPICS[topic]} paper {d}-{k}",
                    abstract=f"About {TOPICS[topic]}.",
                    list_date=day,
                    upvotes=100 - 7 * k,  # later k = fewer upvotes: topic 3 ranks last
                )
            )
            vectors[pid] = _vec(topic, d * 8 + k)
    return papers, vectors


@pytest.fixture()
def world():
    papers, vectors = _papers()
    index = MemoryDigestIndex(papers)
    index.vectors = lambda ids: {i: vectors[i] for i in ids if i in vectors}  # type: ignore[method-assign]
    return papers, vectors, index


def _topic(paper_id: str) -> int:
    return int(paper_id[-3:]) % 4


def test_a_channel_that_likes_topic_a_gets_a_first(world):
    papers, vectors, _index = world
    liked = [p.id for p in papers if _topic(p.id) == 3][:6]
    disliked = [p.id for p in papers if _topic(p.id) == 0][:4]
    ratings = [Rating(i, 1.0) for i in liked] + [Rating(i, -1.0) for i in disliked]
    model = fit_taste(ratings, vectors, np.stack(list(vectors.values())[:80]))
    assert not model.cold and model.likes == 6 and model.dislikes == 4
    today = [p.id for p in papers if p.list_date == date(2026, 8, 19)]
    order = blend(today, model.score({i: vectors[i] for i in today}), model.weight)
    assert _topic(order[0]) == 3
    topics = [_topic(pid) for pid in order]
    assert max(i for i, t in enumerate(topics) if t == 3) < min(
        i for i, t in enumerate(topics) if t == 0
    ), "every liked-topic paper before every disliked-topic one"
    assert _topic(today[0]) != 3  # trending alone would not put them first


@pytest.mark.parametrize("method", ["rocchio", "logistic"])
def test_both_learners_rank_the_liked_topic_highest(world, method):
    papers, vectors, _index = world
    liked = [Rating(p.id, 1.0) for p in papers if _topic(p.id) == 1][:5]
    model = fit_taste(liked, vectors, np.stack(list(vectors.values())[:80]), method)
    scores = model.score(vectors)
    best = sorted(scores, key=scores.get, reverse=True)[:20]
    assert all(_topic(pid) == 1 for pid in best)


def test_cold_start_is_exactly_the_trending_order(world):
    papers, vectors, index = world
    assert fit_taste([], vectors).cold
    assert fit_taste([Rating(papers[0].id, -1.0)], vectors).cold  # dislikes alone: no taste
    assert blend(["a", "b", "c"], {"c": 1.0, "b": 0.5, "a": 0.0}, 0.0) == ["a", "b", "c"]
    assert blend_weight(0) == 0.0 and blend_weight(1) < blend_weight(10) < 0.9


def test_one_vote_does_not_override_trending(world):
    papers, vectors, _index = world
    today = [p.id for p in papers if p.list_date == date(2026, 8, 19)]
    model = fit_taste([Rating(today[-1], 1.0)], vectors)
    order = blend(today, model.score({i: vectors[i] for i in today}), model.weight)
    assert order[0] == today[0]  # the most trending paper keeps the lead on one vote


def _book(tmp_path, index, vectors) -> tuple[BotState, TasteBook]:
    state = BotState(tmp_path / "state.sqlite3")
    book = TasteBook(TasteVotes(state.db), index, index.vectors, lambda: DAY)
    return state, book


def test_votes_in_one_channel_never_change_another_channels_digest(world, tmp_path):
    papers, vectors, index = world
    state, book = _book(tmp_path, index, vectors)
    now = datetime(2026, 8, 19, 9, tzinfo=UTC)

    def digest(channel: str) -> list[str]:
        taste = book.for_channel("slack", channel)
        chosen = select_digest(index, DAY, now, DigestCriteria(count=5), taste=taste)
        return [i.paper.id for i in chosen.items]

    before_c2 = digest("C2")
    untuned = select_digest(index, DAY, now, DigestCriteria(count=5))
    assert before_c2 == [i.paper.id for i in untuned.items], "cold start: exactly trending"
    for paper in [p for p in papers if _topic(p.id) == 3][:12]:
        request = ChatRequest("", platform="slack", channel_id="C1", user_id="U1")
        record_button_feedback(state, request, f"up paper {paper.id}")
    c1 = digest("C1")
    assert _topic(c1[0]) == 3 and c1 != before_c2
    assert digest("C2") == before_c2  # the other channel: untouched
    assert book.model("discord", "C1")[0].cold  # same channel id on another platform too


def test_liked_neighbours_say_why(world, tmp_path):
    papers, vectors, index = world
    state, book = _book(tmp_path, index, vectors)
    for paper in [p for p in papers if _topic(p.id) == 2][:10]:
        state.record_feedback("slack", "C1", f"paper:{paper.id}", "U1", 1, [paper.id])
    now = datetime(2026, 8, 19, 9, tzinfo=UTC)
    chosen = select_digest(
        index, DAY, now, DigestCriteria(count=8), taste=book.for_channel("slack", "C1")
    )
    for item in chosen.items:
        assert (LIKED_WHY in item.why) == (_topic(item.paper.id) == 2), item.why


def test_message_votes_spread_and_similar_clicks_are_weak_positives(tmp_path):
    state = BotState(tmp_path / "state.sqlite3")
    state.record_answer("slack", "C1", "1.1", ["a", "b", "c", "d"])
    state.record_feedback("slack", "C1", "1.1", "U1", 1)
    state.record_feedback("slack", "C1", "1.1", "U2", -1)
    state.record_feedback("slack", "C1", "paper:e", "U1", -1, ["e"])
    state.record_similar("slack", "C1", "U1", "f")
    state.record_similar("slack", "C1", "U1", "f")  # once per user and paper
    state.record_feedback("slack", "C9", "paper:z", "U1", 1, ["z"])  # another channel
    ratings, summary = TasteVotes(state.db).ratings("slack", "C1")
    weights: dict[str, float] = {}
    for rating in ratings:
        weights[rating.paper_id] = weights.get(rating.paper_id, 0) + rating.weight
    assert weights == {"a": 0.0, "b": 0.0, "c": 0.0, "d": 0.0, "e": -1.0, "f": 0.5}
    assert (summary.up, summary.down, summary.similar) == (1, 2, 1)
    assert summary.describe().startswith("1 👍 and 2 👎 in this channel")
