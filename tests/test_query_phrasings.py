"""Question phrasings read by the parser: explicit orderings only, result counts (issue 12)."""

from __future__ import annotations

from datetime import date

import pytest

from retrieval.query import parse_question
from retrieval.titles import match_title, normalise_title

WED = date(2026, 8, 19)


@pytest.mark.parametrize(
    ("question", "order", "text"),
    [
        ("what's new in diffusion language models?", "relevance", "diffusion language models"),
        ("What is new in speech recognition", "relevance", "speech recognition"),
        ("Recent work on world models has shown", "relevance", "work world models has shown"),
        (
            "recently proposed state space models",
            "relevance",
            "recently proposed state space models",
        ),
        ("new papers on speech", "relevance", "speech"),
        ("latest papers on diffusion", "newest", "diffusion"),
        ("diffusion, newest first", "newest", "diffusion"),
        ("most recent papers on agents", "newest", "agents"),
        ("diffusion sorted by date", "newest", "diffusion"),
        ("trending agents", "trending", "agents"),
    ],
)
def test_only_explicit_words_reorder(question, order, text):
    query = parse_question(question, WED)
    assert (query.order, query.text) == (order, text)


@pytest.mark.parametrize(
    ("question", "limit", "text"),
    [
        ("top 3 papers on token mixing", 3, "token mixing"),
        ("top five trending papers", 5, ""),
        ("10 papers on linear attention", 10, "linear attention"),
        ("give me 7 recent papers about RL", 7, "RL"),
        ("top 50 papers on agents", 10, "agents"),
        ("papers on 3D reconstruction", 5, "3D reconstruction"),
        ("papers from 2024 on agents", 5, "agents"),
    ],
)
def test_counts(question, limit, text):
    query = parse_question(question, WED, limit=5)
    assert (query.limit, query.text) == (limit, text)


def test_a_count_beyond_the_page_limit_is_said():
    assert parse_question("top 50 papers on agents", WED).notes


def test_titles_match_exactly_or_nearly():
    titles = [normalise_title(t) for t in ("FNet: Mixing Tokens with Fourier Transforms", "Hyena")]
    assert match_title("fnet mixing tokens with fourier transforms", titles) == 0
    assert match_title("FNet - Mixing Tokens With Fourier Transform", titles) == 0
    assert match_title("Mixing tokens", titles) is None
