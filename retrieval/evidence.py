"""Whether a search found anything real: a calibrated floor on the dense cosine, with the
question's own words as a second opinion.

On the bundled demo corpus (all-MiniLM-L6-v2) every question of
``bench/quality/fast_transforms_queries.json`` has a best cosine of 0.29 or more except the
one-word "Hyena" (0.17, but the word is in the top paper), while nonsense ("asdkjh qwpoeiru")
and far-off questions ("how do I fix my car's transmission", "knitting patterns for winter
sweaters") stay under 0.25 with most of their words absent from the top paper.
"""

from __future__ import annotations

import re

from retrieval.models import Paper

DENSE_FLOOR = 0.25
_WORD = re.compile(r"[a-z0-9][a-z0-9-]{2,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "what",
        "how",
        "are",
        "was",
        "were",
        "that",
        "this",
        "from",
        "into",
        "about",
        "can",
        "you",
        "does",
        "did",
        "why",
        "who",
        "which",
        "when",
        "where",
        "best",
        "good",
        "new",
        "using",
        "use",
    ]
)


def content_words(text: str) -> list[str]:
    """The question's words that carry meaning (3+ letters, not filler), lower-cased."""
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def word_coverage(text: str, paper: Paper) -> float:
    """Share of ``text``'s content words found (by their first five letters) in the paper."""
    words = content_words(text)
    if not words:
        return 0.0
    haystack = f"{paper.title} {paper.abstract}".lower()
    return sum(w[:5] in haystack for w in words) / len(words)


def nothing_matches(text: str, best_similarity: float | None, top: Paper | None) -> bool:
    """True when the best paper is too far from ``text`` to be worth showing: its cosine is
    under :data:`DENSE_FLOOR` and it does not contain every content word of the question."""
    if top is None:
        return True
    if best_similarity is None or best_similarity >= DENSE_FLOOR:
        return False
    return word_coverage(text, top) < 1.0
