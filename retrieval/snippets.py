"""Pick the abstract sentence that best explains why a paper matched a question.

The sentence vectors come from the store (computed once at ingest, see
:mod:`retrieval.sentences`), so picking a snippet costs no model call."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from retrieval.text import first_sentence, shorten

_WORD = re.compile(r"[a-z0-9]+")
MAX_SNIPPET = 300
WORD_BONUS = 0.15  # added per fraction of the question's words a sentence shares


def pick_sentence(
    query_text: str, query_vector: np.ndarray, sentences: Sequence[str], vectors: np.ndarray
) -> str:
    """The sentence closest to the query: dense similarity plus a small bonus for the share of
    the question's words it contains. ``""`` when there is no sentence."""
    if not sentences:
        return ""
    dense = np.asarray(vectors, np.float32) @ query_vector
    query_words = set(_WORD.findall(query_text.lower()))
    best_score, best = -1e9, sentences[0]
    for i, sentence in enumerate(sentences):
        words = set(_WORD.findall(sentence.lower()))
        overlap = len(query_words & words) / (len(query_words) or 1)
        score = float(dense[i]) + WORD_BONUS * overlap
        if score > best_score:
            best_score, best = score, sentence
    return best


def snippet(
    query_text: str,
    query_vector: np.ndarray,
    abstract: str,
    stored: tuple[list[str], np.ndarray] | None,
) -> str:
    """The snippet for one paper from its stored sentence vectors (row 0 is the title, never
    shown as a snippet); the abstract's first sentence when none are stored."""
    if stored is None or len(stored[0]) < 2:
        return first_sentence(abstract, MAX_SNIPPET)
    sentences, vectors = stored
    return shorten(pick_sentence(query_text, query_vector, sentences[1:], vectors[1:]), MAX_SNIPPET)
