"""Sentence vectors: one unit vector for a paper's title and for each abstract sentence.

Computed once at ingest, in the same encode call as the whole-paper vector: each sentence is
encoded as a text of its own (exactly the vectors snippets were picked with when they were made
at question time). An embedder built with ``pool_sentences=True`` instead mean-pools the token
embeddings of the one forward pass of ``"<title>. <abstract>"`` over each sentence's character
span, L2-normalised (sentences past the model's length limit encoded on their own): no extra
model work, but contextual vectors that pick another snippet for about one question in five.
``bench/sentence_embed.py`` compares both (figures in bench/README.md).

Stored compactly (int8 with one scale per row, base64) by :mod:`retrieval.sentence_store`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence

import numpy as np

from retrieval.embed import Embedder
from retrieval.models import Paper
from retrieval.text import normalise_space, split_sentences


def paper_sentences(title: str, abstract: str) -> list[str]:
    """The title (white space collapsed) then each abstract sentence, as
    :func:`retrieval.text.split_sentences` splits them; the title row is always there."""
    return [normalise_space(title), *split_sentences(abstract)]


def sentence_spans(text: str, sentences: Sequence[str]) -> list[tuple[int, int]]:
    """The ``(start, end)`` characters of each sentence in ``text`` (found in order, white space
    runs matched loosely); ``(0, 0)`` for one that cannot be found."""
    spans: list[tuple[int, int]] = []
    position = 0
    for sentence in sentences:
        words = sentence.split()
        if not words:
            spans.append((0, 0))
            continue
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        found = pattern.search(text, position)
        if found is None:
            spans.append((0, 0))
            continue
        spans.append(found.span())
        position = found.end()
    return spans


def embed_papers(
    embedder: Embedder, papers: Sequence[Paper]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Whole-paper vectors (exactly what ``embedder.encode(paper.text)`` gives) and each paper's
    sentence vectors (rows as :func:`paper_sentences`)."""
    if not papers:
        return np.zeros((0, embedder.dim), np.float32), []
    split = [paper_sentences(p.title, p.abstract) for p in papers]
    encode_spans = getattr(embedder, "encode_spans", None)
    if encode_spans is None or not getattr(embedder, "pools_spans", False):
        both = encode_separately(embedder, [[p.text] for p in papers] + split)  # one call
        return np.concatenate(both[: len(papers)]), both[len(papers) :]
    texts = [p.text for p in papers]
    whole, pooled = encode_spans(
        texts, [sentence_spans(t, s) for t, s in zip(texts, split, strict=True)]
    )
    missing = [
        (i, j) for i, rows in enumerate(pooled) for j in range(len(rows)) if not rows[j].any()
    ]
    if missing:  # beyond the model's length limit: encode those sentences on their own
        extra = embedder.encode([split[i][j] for i, j in missing])
        for (i, j), vector in zip(missing, extra, strict=True):
            pooled[i][j] = vector
    return whole, pooled


def encode_separately(embedder: Embedder, split: Sequence[Sequence[str]]) -> list[np.ndarray]:
    """Each sentence encoded as a text of its own, in one batch; one array per paper."""
    flat = [s for sentences in split for s in sentences]
    vectors = embedder.encode(flat) if flat else np.zeros((0, embedder.dim), np.float32)
    out, start = [], 0
    for sentences in split:
        out.append(np.asarray(vectors[start : start + len(sentences)], np.float32))
        start += len(sentences)
    return out


# ----- compact form: int8 rows with a float32 scale each, base64 ----------------------------
def pack(vectors: np.ndarray) -> str:
    """``(n, dim)`` float vectors -> base64 text: ``n`` float32 scales, then int8 rows."""
    vectors = np.asarray(vectors, np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    rows = np.round(vectors / scale[:, None]).astype(np.int8)
    return base64.b64encode(scale.tobytes() + rows.tobytes()).decode("ascii")


def unpack(blob: str, rows: int) -> np.ndarray:
    """The ``(rows, dim)`` float32 unit vectors :func:`pack` stored (renormalised)."""
    raw = base64.b64decode(blob)
    scale = np.frombuffer(raw[: 4 * rows], np.float32)
    values = np.frombuffer(raw[4 * rows :], np.int8).reshape(rows, -1)
    vectors = values.astype(np.float32) * scale[:, None]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
