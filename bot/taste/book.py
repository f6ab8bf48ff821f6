"""Each channel's taste model, fitted from its votes and cached until they change.

Background negatives (arxiv-sanity style) are a fixed-seed sample of the papers listed in the
last ``background_days``; papers the channel rated are left out of it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Protocol

import numpy as np

from bot.taste.votes import TasteVotes, VoteSummary
from retrieval.models import Paper
from retrieval.taste import DEFAULT_METHOD, ChannelTaste, Method, TasteModel, fit_taste

Vectors = Callable[[Sequence[str]], Mapping[str, np.ndarray]]


class RecentPapers(Protocol):
    """What the book needs from the paper index (``PaperIndex`` and ``MemoryDigestIndex``)."""

    def papers_between(self, since: date, until: date) -> list[Paper]: ...


class TasteBook:
    """Builds and caches :class:`~retrieval.taste.ChannelTaste` per (platform, channel).

    ``vectors`` fetches stored paper vectors (``index.store.vectors``); ``today`` is the clock.
    """

    def __init__(
        self,
        votes: TasteVotes,
        papers: RecentPapers,
        vectors: Vectors,
        today: Callable[[], date],
        *,
        method: Method = DEFAULT_METHOD,
        background_days: int = 30,
        background_size: int = 200,
    ) -> None:
        self.votes = votes
        self.papers = papers
        self.vectors = vectors
        self.today = today
        self.method: Method = method
        self.background_days = background_days
        self.background_size = background_size
        self._cache: dict[tuple[str, str], tuple[tuple, TasteModel, VoteSummary]] = {}

    def model(self, platform: str, channel_id: str) -> tuple[TasteModel, VoteSummary]:
        """The channel's fitted model and the votes it rests on (refitted when they change)."""
        key = (platform, channel_id)
        revision = (*self.votes.revision(platform, channel_id), self.today().isoformat())
        cached = self._cache.get(key)
        if cached is not None and cached[0] == revision:
            return cached[1], cached[2]
        ratings, summary = self.votes.ratings(platform, channel_id)
        rated = sorted({r.paper_id for r in ratings})
        vectors = dict(self.vectors(rated)) if rated else {}
        background = self._background(set(rated), f"{platform}:{channel_id}") if rated else None
        model = fit_taste(ratings, vectors, background, self.method)
        self._cache[key] = (revision, model, summary)
        return model, summary

    def for_channel(self, platform: str, channel_id: str) -> ChannelTaste:
        """What digest selection re-ranks this channel's candidates with."""
        return ChannelTaste(self.model(platform, channel_id)[0], self.vectors)

    def _background(self, rated: set[str], seed: str) -> np.ndarray | None:
        today = self.today()
        recent = self.papers.papers_between(today - timedelta(days=self.background_days), today)
        ids = sorted(p.id for p in recent if p.id not in rated)
        if not ids:
            return None
        sample = random.Random(seed).sample(ids, min(self.background_size, len(ids)))
        vectors = self.vectors(sample)
        return np.stack(list(vectors.values())) if vectors else None
