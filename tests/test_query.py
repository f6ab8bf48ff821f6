"""Question text -> SearchQuery: dates, authors, ordering, similar papers and filler."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import pytest

from retrieval.models import SearchQuery
from retrieval.query import describe_filters, find_arxiv_id, parse_question

WED = date(2026, 8, 19)  # a Wednesday
NEW_YEAR = date(2026, 1, 2)  # a Friday; its ISO week began on 2025-12-29
DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("question", "today", "since", "until"),
    [
        ("robotics papers from today", WED, "2026-08-19", "2026-08-19"),
        ("yesterday's robotics papers", WED, "2026-08-18", "2026-08-18"),
        ("robotics this week", WED, "2026-08-17", "2026-08-19"),
        ("robotics last week", WED, "2026-08-10", "2026-08-16"),
        ("robotics this month", WED, "2026-08-01", "2026-08-19"),
        ("robotics last month", WED, "2026-07-01", "2026-07-31"),
        ("robotics in the past 3 days", WED, "2026-08-16", "2026-08-19"),
        ("robotics over the last two weeks", WED, "2026-08-05", "2026-08-19"),
        ("robotics past 6 months", WED, "2026-02-19", "2026-08-19"),
        ("robotics past week", WED, "2026-08-12", "2026-08-19"),
        ("robotics this year", WED, "2026-01-01", "2026-08-19"),
        ("robotics last year", WED, "2025-01-01", "2025-12-31"),
        # across month and year boundaries
        ("robotics last month", NEW_YEAR, "2025-12-01", "2025-12-31"),
        ("robotics this week", NEW_YEAR, "2025-12-29", "2026-01-02"),
        ("robotics last week", NEW_YEAR, "2025-12-22", "2025-12-28"),
        ("robotics this month", NEW_YEAR, "2026-01-01", "2026-01-02"),
        ("robotics last year", NEW_YEAR, "2025-01-01", "2025-12-31"),
        ("robotics past 1 month", date(2024, 3, 31), "2024-02-29", "2024-03-31"),
        # absolute dates
        ("robotics since 2024", WED, "2024-01-01", None),
        ("robotics since March 2024", WED, "2024-03-01", None),
        ("robotics since 2024-03-05", WED, "2024-03-05", None),
        ("robotics after 2023", WED, "2024-01-01", None),
        ("robotics after 2024-03-05", WED, "2024-03-06", None),
        ("robotics before 2023", WED, None, "2022-12-31"),
        ("robotics in 2025", WED, "2025-01-01", "2025-12-31"),
        ("robotics in March 2025", WED, "2025-03-01", "2025-03-31"),
        ("robotics in Feb 2024", WED, "2024-02-01", "2024-02-29"),
        ("robotics from 2023 to 2024", WED, "2023-01-01", "2024-12-31"),
        ("robotics between 2021 and 2022", WED, "2021-01-01", "2022-12-31"),
        ("robotics between March and May 2025", WED, "2025-03-01", "2025-05-31"),
        ("robotics from November to February 2025", WED, "2024-11-01", "2025-02-28"),
        ("robotics from 2024 to 2021", WED, "2021-01-01", "2024-12-31"),
        ("robotics on March 5, 2024", WED, "2024-03-05", "2024-03-05"),
        ("robotics since March", WED, "2026-03-01", None),
        ("robotics in December", WED, "2025-12-01", "2025-12-31"),
        ("robotics since last month", WED, "2026-07-01", None),
        ("robotics from March 2024 until now", WED, "2024-03-01", "2026-08-19"),
    ],
)
def test_dates_become_filters_and_leave_the_text(question, today, since, until):
    query = parse_question(question, today)
    assert query.since == (d(since) if since else None)
    assert query.until == (d(until) if until else None)
    assert query.text == "robotics"
    assert query.notes == ()


@pytest.mark.parametrize(
    ("question", "author", "text"),
    [
        ("diffusion papers by Yann LeCun since 2023", "Yann LeCun", "diffusion"),
        ("papers by hinton about capsule networks", "hinton", "capsule networks"),
        ("papers by Ludwig van Beethoven on music", "Ludwig van Beethoven", "music"),
        ("sparse attention by J. Smith", "J. Smith", "sparse attention"),
        ("kernel methods by Bernhard Schölkopf", "Bernhard Schölkopf", "kernel methods"),
        ("papers by Hinton et al. on capsules", "Hinton", "capsules"),
        ("written by Kaiming He, resnets", "Kaiming He", "resnets"),
        ("diffusion papers published by hinton", "hinton", "diffusion"),
    ],
)
def test_by_names_an_author(question, author, text):
    query = parse_question(question, WED)
    assert query.author == author
    assert query.text == text


@pytest.mark.parametrize(
    "question",
    [
        "improving RL by using reward models",
        "speedups by reducing memory traffic",
        "graph learning by means of diffusion",
        "ranked by the number of citations",
        "by the way, sparse attention",
        "long context models bottlenecked by quadratic attention complexity",
        "kernels limited by memory bandwidth",
        "Large language models are increasingly deployed for long documents, yet inference "
        "remains bottlenecked by quadratic attention cost in the prefill stage.",
    ],
)
def test_by_in_ordinary_phrases_is_not_an_author(question):
    query = parse_question(question, WED)
    assert query.author is None
    assert "by" in query.text.split()


def test_only_the_first_of_several_authors_is_used_with_a_note():
    query = parse_question("transformers by Vaswani and by Bengio", WED)
    assert query.author == "Vaswani"
    assert any("one author" in note for note in query.notes)


@pytest.mark.parametrize(
    ("question", "order", "text"),
    [
        ("trending papers on robotics", "trending", "robotics"),
        ("popular diffusion papers", "trending", "diffusion"),
        ("most upvoted LLM papers", "trending", "LLM"),
        ("top papers on agents", "trending", "agents"),
        ("what's hot in RL", "trending", "RL"),
        ("trending in 2025", "trending", ""),
        ("latest diffusion papers", "newest", "diffusion"),
        ("newest papers about diffusion", "newest", "diffusion"),
        ("recent work on world models", "relevance", "work world models"),
        ("new papers on speech", "relevance", "speech"),
        ("what's new in speech?", "relevance", "speech"),
        ("diffusion, sorted by date", "newest", "diffusion"),
        ("diffusion models", "relevance", "diffusion models"),
        (
            "one-hot encodings for a new tokenizer",
            "relevance",
            "one-hot encodings for a new tokenizer",
        ),
    ],
)
def test_ordering_words(question, order, text):
    query = parse_question(question, WED)
    assert query.order == order
    assert query.text == text


def test_conflicting_orderings_prefer_trending_and_say_so():
    query = parse_question("latest trending papers", WED)
    assert query.order == "trending"
    assert query.notes


@pytest.mark.parametrize(
    ("question", "paper_id"),
    [
        ("papers like 2105.03824", "2105.03824"),
        ("similar to arxiv.org/abs/2105.03824v2", "2105.03824"),
        ("more like https://huggingface.co/papers/2105.03824", "2105.03824"),
        ("https://arxiv.org/pdf/2105.03824v3.pdf", "2105.03824"),
        ("something like https://www.alphaxiv.org/abs/2105.03824", "2105.03824"),
        ("papers similar to arXiv:2501.12345v1", "2501.12345"),
        ("<https://arxiv.org/abs/2105.03824|arxiv.org/abs/2105.03824>", "2105.03824"),
        ("like cs/9809007", "cs/9809007"),
        ("related to http://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
    ],
)
def test_paper_ids_and_urls_become_similar_to(question, paper_id):
    query = parse_question(question, WED)
    assert query.similar_to == paper_id
    assert query.text == ""
    assert find_arxiv_id(question) == paper_id


def test_similar_to_keeps_other_words_and_filters():
    query = parse_question("papers like 2105.03824 about robotics since 2024", WED)
    assert (query.similar_to, query.text, query.since) == (
        "2105.03824",
        "robotics",
        d("2024-01-01"),
    )


@pytest.mark.parametrize("text", ["no id here", "pi is 3.14159", "2024.12345 is no id", "1999"])
def test_find_arxiv_id_finds_nothing_where_there_is_none(text):
    assert find_arxiv_id(text) is None


def test_find_arxiv_id_reads_recorded_hugging_face_ids():
    entries = json.loads((DATA / "hf_daily_papers" / "2026-08-19.json").read_text())
    ids = [e["paper"]["id"] for e in entries][:5]
    assert ids
    for paper_id in ids:
        assert find_arxiv_id(f"more like https://huggingface.co/papers/{paper_id}v2") == paper_id


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("fast FFT-based attention papers", "fast FFT-based attention"),
        ("show me papers about graph neural networks please?", "graph neural networks"),
        ("what are the papers on speculative decoding?", "speculative decoding"),
        ("give me any articles about on-device LLMs", "on-device LLMs"),
        ("search for state space models", "state space models"),
        ("papers from this week", ""),
    ],
)
def test_filler_is_removed_and_meaningful_words_kept(question, text):
    assert parse_question(question, WED).text == text


def test_example_without_filters_has_no_filters():
    query = parse_question("fast FFT-based attention papers", WED)
    assert query == SearchQuery(text="fast FFT-based attention")
    assert describe_filters(query) == ""


def test_example_with_this_month():
    query = parse_question("linear attention papers from this month", WED, limit=5)
    assert (query.text, query.since, query.until, query.limit) == (
        "linear attention",
        d("2026-08-01"),
        d("2026-08-19"),
        5,
    )


def test_combination_of_every_filter():
    query = parse_question("latest diffusion papers by Yann LeCun since March 2024?", WED)
    assert (query.text, query.author, query.order, query.since, query.until) == (
        "diffusion",
        "Yann LeCun",
        "newest",
        d("2024-03-01"),
        None,
    )
    assert describe_filters(query) == "since 2024-03-01, by Yann LeCun, newest first"


def test_describe_filters_names_ranges_days_and_similar_papers():
    week = parse_question("trending papers this week", WED)
    assert describe_filters(week) == "from 2026-08-17 to 2026-08-19, trending first"
    assert describe_filters(parse_question("papers from yesterday", WED)) == "on 2026-08-18"
    assert describe_filters(parse_question("before 2020", WED)) == "until 2019-12-31"
    assert describe_filters(parse_question("like 2105.03824", WED)) == "similar to 2105.03824"


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        ("robotics since 2099", "since 2099"),
        ("robotics since 2024-13-45", "since 2024-13-45"),
        ("robotics in 2048 dimensions", "in 2048 dimensions"),
    ],
)
def test_unusable_dates_are_noted_not_applied(question, kept):
    query = parse_question(question, WED)
    assert not query.has_date_filter
    assert len(query.notes) == 1
    assert kept in query.text


def test_contradictory_dates_are_noted_and_dropped():
    query = parse_question("robotics since 2025 before 2024", WED)
    assert not query.has_date_filter
    assert any("contradict" in note for note in query.notes)


@pytest.mark.parametrize(
    "junk",
    ["", "   ", "???", "🔥", "🚀🚀 🤖", "\x00\x07\u200b", "by", "since", "papers like", "from to"],
)
def test_junk_input_never_raises(junk):
    query = parse_question(junk, WED)
    assert isinstance(query.text, str)
    assert query.similar_to is None and query.author is None


def test_emoji_around_a_topic_keeps_the_topic():
    assert parse_question("🚀 diffusion models 🤖", WED).text == "diffusion models"


def test_very_long_question_is_cut_quickly_with_a_note():
    started = time.perf_counter()
    query = parse_question("attention by " * 20_000, WED)
    assert time.perf_counter() - started < 2
    assert len(query.text) <= 2000
    assert any("cut" in note for note in query.notes)
