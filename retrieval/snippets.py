"""Pick the abstract sentence that best explains why a paper matched a question."""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence

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
    embedder: Embedder,
    query_text: str,
    query_vector: np.ndarray,
    abstracts: Sequence[str],
    keys: Sequence[str] | None = None,
    cache: MutableMapping[str, tuple[list[str], np.ndarray]] | None = None,
) -> list[str]:
    """For each abstract, the sentence closest to the query (dense similarity plus a small bonus
    for shared words). Sentences not in ``cache`` (keyed by ``keys``, e.g. paper ids) are
    embedded in one batch and cached, so paging and follow-ups embed nothing new."""
    keys = list(keys) if keys is not None else [str(i) for i in range(len(abstracts))]
    cache = cache if cache is not None else {}
    todo = [(k, a) for k, a in zip(keys, abstracts, strict=True) if k not in cache]
    split = [split_sentences(a) or [a] for _, a in todo]
    flat = [sentence for sentences in split for sentence in sentences]
    if flat:
        vectors = embedder.encode(flat)
        offset = 0
        for (key, _), sentences in zip(todo, split, strict=True):
            cache[key] = (sentences, vectors[offset : offset + len(sentences)])
            offset += len(sentences)
    query_words = set(_WORD.findall(query_text.lower()))
    picked: list[str] = []
    for key in keys:
        sentences, vectors = cache[key]
        dense = vectors @ query_vector
        best_score, best = -1e9, sentences[0]
        for i, sentence in enumerate(sentences):
            words = set(_WORD.findall(sentence.lower()))
            overlap = len(query_words & words) / (len(query_words) or 1)
            score = float(dense[i]) + 0.15 * overlap
            if score > best_score:
                best_score, best = score, sentence
        picked.append(shorten(best))
    return picked
