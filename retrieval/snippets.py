"""Pick the abstract sentence that best explains why a paper matched a question."""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence

import numpy as np

from retrieval.embed import Embedder
from retrieval.text import shorten, split_sentences

_WORD = re.compile(r"[a-z0-9]+")
MAX_SNIPPET = 300


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
        picked.append(shorten(best, MAX_SNIPPET))
    return picked
