"""Digest selection: the trending papers of the latest list day for one channel's topic.

Pure logic over a small :class:`DigestIndex` protocol (the retrieval core's ``PaperIndex``
satisfies it; :class:`MemoryDigestIndex` does too, for replays and tests). No settings, no
chat platforms: the caller passes the criteria, the clock reading and the ids the channel
already received.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

import numpy as np

from retrieval.models import Paper, listing_day
from retrieval.taste import ChannelTaste
from retrieval.text import first_sentence, shorten
from retrieval.trending import (
    DEFAULT_WEIGHTS,
    TrendingScore,
    TrendingWeights,
    explain,
    trending_score,
)

LIKED_WHY = "close to papers this channel liked"


class DigestIndex(Protocol):
    """What selection needs from the paper index."""

    def papers_between(self, since: date, until: date) -> list[Paper]:
        """Papers whose list day (else publication day) lies in ``since..until`` inclusive."""
        ...

    def topic_scores(self, topic: str, paper_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity (0..1) of ``topic`` to each paper."""
        ...


@dataclass(frozen=True, slots=True)
class DigestCriteria:
    """What one channel wants. ``window_days`` = how many of the most recent list days count
    (1: the latest list day only); ``lookback_days`` = how far back to look for that day."""

    count: int = 5
    topic: str = ""
    min_upvotes: int = 0
    exclude_keywords: tuple[str, ...] = ()
    min_relevance: float = 0.3
    window_days: int = 1
    lookback_days: int = 7
    weights: TrendingWeights = DEFAULT_WEIGHTS


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One selected paper with its score, its "why" line and a one-line summary."""

    paper: Paper
    trending: TrendingScore
    why: str
    summary: str


@dataclass(frozen=True, slots=True)
class Digest:
    """The selection for one channel and day, with counts that explain an empty result."""

    day: date
    list_days: tuple[date, ...]
    items: tuple[DigestItem, ...]
    candidates: int = 0
    matched: int = 0
    already_sent: int = 0

    @property
    def list_day(self) -> date | None:
        """The most recent list day the papers come from (None: no data at all)."""
        return self.list_days[0] if self.list_days else None

    @property
    def quiet(self) -> bool:
        """Nothing qualified."""
        return not self.items

    @property
    def ranked_by_relevance(self) -> bool:
        """True when some item had no popularity signal and was ranked by relevance/recency."""
        return any(item.trending.basis == "relevance" for item in self.items)


def one_line_summary(paper: Paper, max_chars: int = 280) -> str:
    """HF's ``ai_summary`` when present, else the abstract's first sentence, cut to size at a
    word (see :func:`retrieval.text.shorten`)."""
    if paper.ai_summary:
        return shorten(paper.ai_summary, max_chars)
    return first_sentence(paper.abstract, max_chars)


def mentions_any(paper: Paper, keywords: Iterable[str]) -> bool:
    """Whether the title or abstract has a word starting with any keyword (case-insensitive):
    ``benchmark`` also matches "Benchmarks" and "benchmarking", not "RoboBenchmark"."""
    text = f"{paper.title} {paper.abstract}"
    return any(
        re.search(rf"(?<!\w){re.escape(k.strip())}", text, re.IGNORECASE)
        for k in keywords
        if k.strip()
    )


def select_digest(
    index: DigestIndex,
    day: date,
    now: datetime,
    criteria: DigestCriteria,
    already_sent: Collection[str] = (),
    taste: ChannelTaste | None = None,
) -> Digest:
    """The top ``criteria.count`` papers of the latest list day(s) at or before ``day``.

    Filters: not already sent, not mentioning an excluded keyword, at least ``min_upvotes``
    (papers without upvotes are not judged by it), topic relevance >= ``min_relevance`` when a
    topic is set. Papers with a popularity signal come first by trending score, then the
    others by relevance x recency. With a channel ``taste`` the order is blended with it (by
    as much as its evidence allows) and papers near ones the channel liked say so in their "why".
    Never raises for an empty day: returns an empty digest.
    """
    pool = index.papers_between(day - timedelta(days=criteria.lookback_days), day)
    days = sorted({d for p in pool if (d := listing_day(p)) and d <= day}, reverse=True)
    list_days = tuple(days[: max(1, criteria.window_days)])
    candidates = {p.id: p for p in pool if listing_day(p) in list_days}
    fresh = [p for p in candidates.values() if p.id not in already_sent]
    kept = [
        p
        for p in fresh
        if not mentions_any(p, criteria.exclude_keywords)
        and (p.upvotes is None or p.upvotes >= criteria.min_upvotes)
    ]
    relevance: dict[str, float] = {}
    if criteria.topic.strip() and kept:
        relevance = index.topic_scores(criteria.topic, [p.id for p in kept])
        kept = [p for p in kept if relevance.get(p.id, 0.0) >= criteria.min_relevance]
    scored = [
        (p, trending_score(p, now, relevance.get(p.id) if relevance else None, criteria.weights))
        for p in kept
    ]
    scored.sort(key=lambda ps: (ps[1].basis == "popularity", ps[1].score, ps[0].id), reverse=True)
    liked: dict[str, str] = {}
    if taste is not None:
        by_id = {p.id: (p, s) for p, s in scored}
        order, liked = taste.rerank(list(by_id))
        scored = [by_id[pid] for pid in order]
    items = tuple(
        DigestItem(p, s, _why(explain(p, s, day), p.id in liked), one_line_summary(p))
        for p, s in scored[: criteria.count]
    )
    return Digest(
        day=day,
        list_days=list_days,
        items=items,
        candidates=len(candidates),
        matched=len(kept),
        already_sent=len(candidates) - len(fresh),
    )


def _why(trending: str, liked: bool) -> str:
    return f"{LIKED_WHY}; {trending}" if liked else trending


class MemoryDigestIndex:
    """An in-memory :class:`DigestIndex` for replays and tests.

    ``add`` upserts by id (a later list day replaces an earlier one, as an ingest would).
    ``embed`` turns texts into unit vectors; it is needed only for topic scores, and paper
    vectors are cached.
    """

    def __init__(
        self,
        papers: Iterable[Paper] = (),
        embed: Callable[[list[str]], np.ndarray] | None = None,
    ) -> None:
        self._papers: dict[str, Paper] = {}
        self._embed = embed
        self._vectors: dict[str, np.ndarray] = {}
        self._topics: dict[str, np.ndarray] = {}
        self.add(papers)

    def add(self, papers: Iterable[Paper]) -> None:
        """Insert or replace papers by id."""
        for paper in papers:
            old = self._papers.get(paper.id)
            if old is not None and old.text_hash != paper.text_hash:
                self._vectors.pop(paper.id, None)
            self._papers[paper.id] = paper

    def papers_between(self, since: date, until: date) -> list[Paper]:
        """Papers whose day lies in ``since..until`` inclusive."""
        return [p for p in self._papers.values() if (d := listing_day(p)) and since <= d <= until]

    def latest_list_date(self) -> date | None:
        """The most recent paper day held."""
        return max((d for p in self._papers.values() if (d := listing_day(p))), default=None)

    def vectors(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Unit vectors of the known papers among ``paper_ids`` (embedded once, cached)."""
        if self._embed is None:
            raise RuntimeError("MemoryDigestIndex needs an embed function for vectors")
        known = [i for i in paper_ids if i in self._papers]
        missing = [i for i in known if i not in self._vectors]
        if missing:
            vectors = self._embed([self._papers[i].text for i in missing])
            self._vectors.update(zip(missing, vectors, strict=True))
        return {i: self._vectors[i] for i in known}

    def topic_scores(self, topic: str, paper_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of ``topic`` to each known paper (clipped to 0..1)."""
        if self._embed is None:
            raise RuntimeError("MemoryDigestIndex needs an embed function for topic scores")
        known = list(self.vectors(paper_ids))
        if topic not in self._topics:
            self._topics[topic] = self._embed([topic])[0]
        query = self._topics[topic]
        return {i: float(np.clip(self._vectors[i] @ query, 0.0, 1.0)) for i in known}
