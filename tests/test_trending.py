"""Trending score: popularity against age, explanations, and the no-popularity fallback."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from retrieval.models import Paper
from retrieval.trending import (
    TrendingWeights,
    age_hours,
    explain,
    short_count,
    trending_score,
)

NOW = datetime(2026, 8, 19, 9, 0, tzinfo=UTC)


def paper(pid: str, day: date | None, upvotes=None, comments=None, stars=None) -> Paper:
    return Paper(
        id=pid,
        title=f"Paper {pid}",
        abstract="An abstract.",
        upvotes=upvotes,
        comments=comments,
        github_stars=stars,
        list_date=day,
    )


def test_yesterday_with_40_upvotes_beats_last_week_with_60():
    yesterday = paper("a", date(2026, 8, 18), upvotes=40)
    last_week = paper("b", date(2026, 8, 12), upvotes=60)
    assert trending_score(yesterday, NOW).score > trending_score(last_week, NOW).score


def test_same_day_more_signal_scores_higher():
    day = date(2026, 8, 19)
    base = trending_score(paper("a", day, upvotes=10), NOW).score
    assert trending_score(paper("b", day, upvotes=11), NOW).score > base
    assert trending_score(paper("c", day, upvotes=10, comments=2), NOW).score > base
    assert trending_score(paper("d", day, upvotes=10, stars=500), NOW).score > base


def test_stars_are_log_scaled_so_a_huge_repo_does_not_drown_upvotes():
    day = date(2026, 8, 19)
    starry = trending_score(paper("a", day, upvotes=5, stars=50_000), NOW).score
    upvoted = trending_score(paper("b", day, upvotes=60), NOW).score
    assert upvoted > starry


def test_score_decays_with_age_and_gravity_controls_how_fast():
    p = paper("a", date(2026, 8, 18), upvotes=30)
    later = datetime(2026, 8, 21, 9, 0, tzinfo=UTC)
    assert trending_score(p, later).score < trending_score(p, NOW).score
    soft, hard = TrendingWeights(gravity=0.5), TrendingWeights(gravity=2.0)
    soft_ratio = (
        trending_score(p, later, weights=soft).score / trending_score(p, NOW, weights=soft).score
    )
    hard_ratio = (
        trending_score(p, later, weights=hard).score / trending_score(p, NOW, weights=hard).score
    )
    assert hard_ratio < soft_ratio


def test_age_counts_from_the_list_day_and_falls_back_to_published():
    assert age_hours(paper("a", date(2026, 8, 19)), NOW) == pytest.approx(9.0)
    published_only = Paper(id="b", title="B", abstract="", published=date(2026, 8, 18))
    assert age_hours(published_only, NOW) == pytest.approx(33.0)
    assert age_hours(paper("c", None), NOW) == 0.0


def test_components_explain_the_score():
    p = paper("a", date(2026, 8, 18), upvotes=40, comments=3, stars=1234)
    result = trending_score(p, NOW, relevance=0.42)
    c = result.components
    assert (c["upvotes"], c["comments"], c["stars"]) == (40, 3, 1234)
    assert c["age_hours"] == pytest.approx(33.0)
    assert c["relevance"] == pytest.approx(0.42)
    assert result.basis == "popularity"
    assert explain(p, result, NOW.date()) == (
        "40 upvotes, 3 comments, 1.2k stars, listed 1 day ago, topic match 0.42"
    )


def test_explain_leaves_out_zero_comments_and_stars():
    p = paper("a", date(2026, 8, 19), upvotes=1, comments=0)
    assert explain(p, trending_score(p, NOW), NOW.date()) == "1 upvote, listed today"


def test_without_popularity_relevance_and_recency_rank_and_the_why_says_so():
    day = date(2026, 8, 19)
    on_topic = trending_score(paper("a", day), NOW, relevance=0.8)
    off_topic = trending_score(paper("b", day), NOW, relevance=0.3)
    old_on_topic = trending_score(paper("c", date(2026, 8, 12)), NOW, relevance=0.8)
    assert on_topic.basis == "relevance"
    assert on_topic.score > off_topic.score
    assert on_topic.score > old_on_topic.score
    assert explain(paper("a", day), on_topic, day).startswith("no popularity signal, listed today")


def test_short_counts():
    assert [short_count(v) for v in (0, 999, 1000, 1234, 25_300)] == [
        "0",
        "999",
        "1k",
        "1.2k",
        "25k",
    ]
