"""Trending score: popularity weighed against age, and a one-line explanation of it.

With a popularity signal (Hugging Face upvotes, comments, GitHub stars)::

    points = upvotes + w_c * comments + w_s * log1p(stars)
    score  = points / (age_hours + offset_hours) ** gravity

``age_hours`` is counted from 00:00 UTC of the paper's list day (``Paper.list_date``, else
``Paper.published``). This is Hacker News' "gravity" ranking: a paper listed yesterday with 40
upvotes beats one listed last week with 60.

Without any popularity signal (arXiv-only sources) a paper is ranked by relevance to the
channel topic (1.0 when there is no topic) decayed by age with a half-life::

    score = relevance * 0.5 ** (age_days / half_life_days)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Literal

from retrieval.models import Paper, listing_day

Basis = Literal["popularity", "relevance"]


@dataclass(frozen=True, slots=True)
class TrendingWeights:
    """Knobs of the trending formula (see the module docstring)."""

    comments: float = 2.0
    stars: float = 3.0
    gravity: float = 1.5
    offset_hours: float = 2.0
    half_life_days: float = 2.0


DEFAULT_WEIGHTS = TrendingWeights()


@dataclass(frozen=True, slots=True)
class TrendingScore:
    """A score and the numbers it was computed from (for "why is this trending?")."""

    score: float
    components: dict[str, float] = field(default_factory=dict)
    basis: Basis = "popularity"


# The old name of :func:`retrieval.models.listing_day` (list day wins), kept for importers.
paper_day = listing_day


def age_hours(paper: Paper, now: datetime) -> float:
    """Hours from 00:00 UTC of the paper's day to ``now`` (0 if unknown or in the future)."""
    day = listing_day(paper)
    if day is None:
        return 0.0
    start = datetime.combine(day, time(0), tzinfo=UTC)
    moment = now if now.tzinfo else now.replace(tzinfo=UTC)
    return max(0.0, (moment - start).total_seconds() / 3600)


def popularity_points(paper: Paper, weights: TrendingWeights = DEFAULT_WEIGHTS) -> float:
    """The numerator: upvotes plus weighted comments and log-scaled GitHub stars."""
    return (
        (paper.upvotes or 0)
        + weights.comments * (paper.comments or 0)
        + weights.stars * math.log1p(paper.github_stars or 0)
    )


def trending_score(
    paper: Paper,
    now: datetime,
    relevance: float | None = None,
    weights: TrendingWeights = DEFAULT_WEIGHTS,
) -> TrendingScore:
    """Score ``paper`` as of ``now``: gravity ranking when it has a popularity signal, else
    topic relevance (``None`` = no topic = 1.0) decayed by age."""
    hours = age_hours(paper, now)
    components: dict[str, float] = {"age_hours": round(hours, 2)}
    if relevance is not None:
        components["relevance"] = round(relevance, 4)
    if paper.has_popularity:
        points = popularity_points(paper, weights)
        score = points / (hours + weights.offset_hours) ** weights.gravity
        components.update(
            upvotes=paper.upvotes or 0,
            comments=paper.comments or 0,
            stars=paper.github_stars or 0,
            points=round(points, 3),
        )
        return TrendingScore(score, components, "popularity")
    recency = 0.5 ** (hours / 24 / weights.half_life_days)
    components["recency"] = round(recency, 4)
    return TrendingScore(
        (1.0 if relevance is None else relevance) * recency, components, "relevance"
    )


def short_count(value: float) -> str:
    """``950`` -> ``"950"``, ``1234`` -> ``"1.2k"``, ``25300`` -> ``"25k"``."""
    if value < 1000:
        return str(int(value))
    thousands = value / 1000
    return f"{thousands:.1f}k".replace(".0k", "k") if thousands < 10 else f"{thousands:.0f}k"


def _plural(count: float, word: str) -> str:
    return f"{short_count(count)} {word}" + ("" if count == 1 else "s")


def age_phrase(paper: Paper, today: date) -> str:
    """``"listed today"``, ``"listed 1 day ago"``, ``"published 3 days ago"``."""
    day = listing_day(paper)
    if day is None:
        return "date unknown"
    verb = "listed" if paper.list_date else "published"
    days = (today - day).days
    if days <= 0:
        return f"{verb} today"
    return f"{verb} {_plural(days, 'day')} ago"


def explain(paper: Paper, trending: TrendingScore, today: date) -> str:
    """One line saying why a paper is in the digest, e.g.
    ``"40 upvotes, 3 comments, 1.2k stars, listed 1 day ago"``."""
    parts: list[str] = []
    comp = trending.components
    if trending.basis == "popularity":
        parts.append(_plural(comp.get("upvotes", 0), "upvote"))
        if comp.get("comments"):
            parts.append(_plural(comp["comments"], "comment"))
        if comp.get("stars"):
            parts.append(_plural(comp["stars"], "star"))
    else:
        parts.append("no popularity signal")
    parts.append(age_phrase(paper, today))
    if "relevance" in comp:
        parts.append(f"topic match {comp['relevance']:.2f}")
    return ", ".join(parts)
