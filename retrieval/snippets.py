"""Pick the abstract sentence that best explains why a paper matched a question."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from retrieval.embed import Embedder

# A sentence ends at . ! ? followed by space and an upper-case letter, digit or quote;
# abbreviations like "e.g." / "et al." / "Fig." do not end a sentence.
_SENTENCE_END = re.compile(
    r"(?<!\be\.g)(?<!\bi\.e)(?<!\bet al)(?<!\bFig)(?<!\bvs)[.!?](?=\s+[A-Z0-9\"'(\[])"
)
_WORD = re.compile(r"[a-z0-9]+")
MAX_SNIPPET = 300


def split_sentences(text: str) -> list[str]:
    """Split an abstract into sentences (simple rules, good enough for abstracts)."""
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()].strip())
        start = match.end()
    parts.append(text[start:].strip())
    return [p for p in parts if len(p) > 1]


def first_sentence(text: str) -> str:
    """The first sentence of ``text``, shortened to a readable length."""
    sentences = split_sentences(text)
    return shorten(sentences[0] if sentences else text)


def shorten(sentence: str, limit: int = MAX_SNIPPET) -> str:
    """Cut a long sentence at a word boundary with an ellipsis."""
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def best_sentences(
    embedder: Embedder, query_text: str, query_vector: np.ndarray, abstracts: Sequence[str]
) -> list[str]:
    """For each abstract, the sentence closest to the query (dense similarity plus a small bonus
    for shared words). All sentences are embedded in one batch."""
    split = [split_sentences(a) or [a] for a in abstracts]
    flat = [s for sentences in split for s in sentences]
    if not flat:
        return ["" for _ in abstracts]
    vectors = embedder.encode(flat)
    dense = vectors @ query_vector
    query_words = set(_WORD.findall(query_text.lower()))
    picked: list[str] = []
    offset = 0
    for sentences in split:
        best_score, best = -1e9, sentences[0]
        for i, sentence in enumerate(sentences):
            words = set(_WORD.findall(sentence.lower()))
            overlap = len(query_words & words) / (len(query_words) or 1)
            score = float(dense[offset + i]) + 0.15 * overlap
            if score > best_score:
                best_score, best = score, sentence
        picked.append(shorten(best))
        offset += len(sentences)
    return picked
