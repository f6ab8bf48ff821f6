"""Which newly listed papers match a user's alert topics.

A paper matches a topic when the cosine of the topic's and the paper's vectors (the index's
``topic_scores``, all-MiniLM-L6-v2) is at least ``threshold``, or when it is at least
``floor`` *and* the paper's title or abstract mentions every content word of the topic. The
second rule catches short topics ("diffusion models", "mixture of experts") whose cosines stay
low even on papers squarely about them; the first catches papers that say the same thing in
other words. How the two numbers were chosen is in the README ("Personal alerts").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from retrieval.models import Paper

STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "by", "for", "from", "in", "into", "is", "it", "of",
    "on", "or", "the", "to", "with", "without", "via", "using", "new", "paper", "papers",
    "about", "based", "towards", "toward",
))  # fmt: skip


class TopicScorer(Protocol):
    """What matching needs from the paper index."""

    def topic_scores(self, topic: str, paper_ids: Sequence[str]) -> dict[str, float]:
        """Cosine (0..1) of ``topic`` to each paper."""
        ...


@dataclass(frozen=True, slots=True)
class AlertMatch:
    """One paper for one user: the topic it matched best and how closely."""

    paper: Paper
    topic: str
    score: float


def topic_words(topic: str) -> list[str]:
    """The content words of a topic, lower-cased, without a plural ``s``."""
    words = re.findall(r"[a-z0-9]+", topic.lower())
    kept = [w for w in words if w not in STOPWORDS and len(w) > 1]
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in kept]


def mentions_all(paper: Paper, words: Iterable[str]) -> bool:
    """Whether the title or abstract contains every word (as a word start, hyphens = spaces)."""
    text = f"{paper.title} {paper.abstract}".lower().replace("-", " ")
    return all(re.search(rf"\b{re.escape(word)}", text) for word in words)


def match_topics(
    index: TopicScorer,
    topics: Sequence[str],
    papers: Sequence[Paper],
    *,
    threshold: float,
    floor: float,
) -> list[AlertMatch]:
    """Every paper that matches one of ``topics``, with its best topic, best first."""
    by_id = {p.id: p for p in papers}
    best: dict[str, AlertMatch] = {}
    for topic in topics:
        words = topic_words(topic)
        for paper_id, score in index.topic_scores(topic, list(by_id)).items():
            paper = by_id[paper_id]
            hit = score >= threshold or (
                score >= floor and bool(words) and mentions_all(paper, words)
            )
            if hit and (paper_id not in best or best[paper_id].score < score):
                best[paper_id] = AlertMatch(paper, topic, score)
    return sorted(best.values(), key=lambda m: (-m.score, m.paper.id))
