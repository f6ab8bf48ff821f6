"""Digest selection on real recorded Hugging Face days (no embedding model needed here)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from retrieval.digest import DigestCriteria, MemoryDigestIndex, one_line_summary, select_digest
from retrieval.models import Paper
from retrieval.sources.hf import read_daily_dir

HF = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hf_daily_papers"
pytestmark = pytest.mark.skipif(not HF.is_dir(), reason="needs ../shared/data")


@pytest.fixture(scope="module")
def august() -> list[Paper]:
    return read_daily_dir(HF, date(2026, 8, 3), date(2026, 8, 21)).papers


@pytest.fixture
def index(august) -> MemoryDigestIndex:
    return MemoryDigestIndex(august)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def file_ids(day: date) -> list[str]:
    return [e["paper"]["id"] for e in json.loads((HF / f"{day}.json").read_text())]


def dominates(a: Paper, b: Paper) -> bool:
    sa, sb = (
        (a.upvotes, a.comments, a.github_stars or 0),
        (b.upvotes, b.comments, b.github_stars or 0),
    )
    return all(x >= y for x, y in zip(sa, sb, strict=True)) and sa != sb


def test_trending_order_on_a_real_day(index):
    day = date(2026, 8, 19)
    digest = select_digest(index, day, at(day), DigestCriteria(count=5))
    assert len(digest.items) == 5
    assert digest.list_day == day and digest.candidates == len(file_ids(day))
    assert {i.paper.id for i in digest.items} <= set(file_ids(day))
    scores = [i.trending.score for i in digest.items]
    assert scores == sorted(scores, reverse=True)
    chosen = {i.paper.id for i in digest.items}
    others = [p for p in index.papers_between(day, day) if p.id not in chosen]
    for item in digest.items:
        assert not any(dominates(o, item.paper) for o in others), item.paper.id
    top = digest.items[0]
    assert f"{top.paper.upvotes} upvotes" in top.why and "listed today" in top.why


def test_weekend_digest_uses_fridays_list_and_monday_its_own(index):
    saturday, friday, monday = date(2026, 8, 15), date(2026, 8, 14), date(2026, 8, 17)
    sat = select_digest(index, saturday, at(saturday), DigestCriteria())
    assert sat.list_day == friday and sat.items
    assert {i.paper.id for i in sat.items} <= set(file_ids(friday))
    mon = select_digest(index, monday, at(monday), DigestCriteria())
    assert mon.list_day == monday


def test_already_sent_papers_are_never_selected_again(index):
    day = date(2026, 8, 18)
    first = select_digest(index, day, at(day), DigestCriteria(count=5))
    sent = {i.paper.id for i in first.items}
    second = select_digest(index, day, at(day), DigestCriteria(count=5), already_sent=sent)
    assert second.items and not sent & {i.paper.id for i in second.items}
    assert second.already_sent == 5


def test_exclude_keywords_and_min_upvotes(index):
    day = date(2026, 8, 19)
    starts_agent = re.compile(r"(?<!\w)agent", re.IGNORECASE)
    base = select_digest(index, day, at(day), DigestCriteria(count=10))
    assert any(starts_agent.search(i.paper.text) for i in base.items)
    keyword_only = DigestCriteria(count=10, exclude_keywords=("Agent",))
    assert any(i.paper.upvotes < 8 for i in select_digest(index, day, at(day), keyword_only).items)
    criteria = DigestCriteria(count=10, exclude_keywords=("Agent",), min_upvotes=8)
    filtered = select_digest(index, day, at(day), criteria)
    assert filtered.items
    for item in filtered.items:
        assert not starts_agent.search(item.paper.text), "agent, agents, agentic are all out"
        assert item.paper.upvotes >= 8


def test_a_day_without_data_is_a_quiet_digest_not_an_error(index):
    far = date(2026, 11, 23)
    digest = select_digest(index, far, at(far), DigestCriteria())
    assert digest.quiet and digest.list_day is None
    empty = MemoryDigestIndex()
    assert select_digest(empty, far, at(far), DigestCriteria(topic="anything")).quiet


def test_a_wider_window_lets_yesterdays_40_beat_last_weeks_60():
    def p(pid, day, up):
        return Paper(id=pid, title=pid, abstract="x", upvotes=up, comments=0, list_date=day)

    today = date(2026, 8, 19)
    index = MemoryDigestIndex(
        [p("old", today - timedelta(days=7), 60), p("new", today - timedelta(days=1), 40)]
    )
    digest = select_digest(index, today, at(today), DigestCriteria(window_days=7, count=2))
    assert [i.paper.id for i in digest.items] == ["new", "old"]


class FixedTopics(MemoryDigestIndex):
    """Topic scores from a table (selection logic only; the real model is tested elsewhere)."""

    def __init__(self, papers, scores):
        super().__init__(papers)
        self.scores = scores

    def topic_scores(self, topic, paper_ids):
        return {i: self.scores.get(i, 0.0) for i in paper_ids}


def test_arxiv_only_papers_rank_by_relevance_and_recency(august):
    day = date(2026, 8, 20)
    bare = [
        dataclasses.replace(p, upvotes=None, comments=None, github_stars=None)
        for p in august
        if p.list_date in (day, day - timedelta(days=1))
    ]
    todays = [p.id for p in bare if p.list_date == day]
    scores = {pid: 0.9 - 0.02 * n for n, pid in enumerate(todays)}
    index = FixedTopics(bare, scores)
    digest = select_digest(index, day, at(day), DigestCriteria(topic="robots", count=3))
    assert [i.paper.id for i in digest.items] == todays[:3]
    assert digest.ranked_by_relevance
    assert all(i.why.startswith("no popularity signal") for i in digest.items)


def test_topic_threshold_filters_out_unrelated_papers(index):
    day = date(2026, 8, 19)
    ids = file_ids(day)
    scores = {ids[-1]: 0.6, ids[-2]: 0.35, ids[0]: 0.1}
    topical = FixedTopics(index.papers_between(day, day), scores)
    digest = select_digest(topical, day, at(day), DigestCriteria(topic="t", min_relevance=0.3))
    assert {i.paper.id for i in digest.items} == {ids[-1], ids[-2]}
    assert all("topic match" in i.why for i in digest.items)


def test_one_line_summary_prefers_ai_summary_else_first_sentence(august):
    with_ai = next(p for p in august if 0 < len(p.ai_summary) <= 280)
    assert one_line_summary(with_ai) == with_ai.ai_summary
    without = dataclasses.replace(with_ai, ai_summary="")
    first = one_line_summary(without)
    assert without.abstract.startswith(first.rstrip("…")) and len(first) < len(without.abstract)
    assert first.endswith((".", "!", "?", "…"))
