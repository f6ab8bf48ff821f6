"""The shared command router: what every platform's users get, through the real core."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.chat.reply import ChatRequest
from bot.services import build_services
from bot.settings import Settings


@pytest.fixture
def services(demo_index_dir, embedder, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(demo_index_dir, data)
    built = build_services(
        Settings(data_dir=data, search={"fetch_missing_papers": False}),
        embedder=embedder,
        clock=lambda: datetime(2026, 8, 21, 9, tzinfo=UTC),
    )
    yield built
    built.close()


def ask(services, text: str, admin: bool = False):
    return services.router.handle(
        ChatRequest(text=text, platform="slack", channel_id="C1", user_id="U1", is_admin=admin)
    )


def test_question_gets_ranked_items_with_links_and_snippets(services):
    reply = ask(services, "fast FFT-based attention papers")
    assert reply.kind == "results" and len(reply.items) == 5
    assert all(item.url.startswith("https://") and item.snippet for item in reply.items)
    assert {a.kind for a in reply.actions} == {"more", "similar", "feedback"}
    assert all(len(a.command) <= 100 for a in reply.actions)


def test_more_button_pages_and_similar_button_works_without_arxiv_id(services):
    first = ask(services, "Fourier transforms")
    more = next(a for a in first.actions if a.kind == "more")
    second = ask(services, more.command)
    assert second.first_rank == 6
    assert not {i.paper_id for i in first.items} & {i.paper_id for i in second.items}
    similar = next(a for a in first.actions if a.kind == "similar")
    assert similar.command.startswith("similar title:")  # the listing has no arXiv ids
    like = ask(services, similar.command)
    assert like.title.startswith("Papers like “") and like.items
    assert first.items[0].paper_id not in {i.paper_id for i in like.items}
    page2 = ask(services, next(a for a in like.actions if a.kind == "more").command)
    assert page2.title == like.title and page2.first_rank == 6


def test_feedback_button_records_paper_ids(services):
    reply = ask(services, "state space models")
    up = next(a for a in reply.actions if a.command.startswith("feedback up"))
    assert ask(services, up.command).kind == "info"
    totals = services.state.feedback_totals()
    assert all(totals.get(pid) == 1 for pid in reply.paper_ids)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "Paperboy help"),
        ("help", "Paperboy help"),
        ("similar", "Tell me which paper"),
        ("similar banana", "doesn't look like an arXiv id"),
        ("similar 2101.99999", "don't have 2101.99999"),
        ("more deadbeef", "expired"),
        ("x" * 6000, "I can read up to 5,000"),
        ("papers", "What topic?"),
    ],
)
def test_bad_or_empty_input_gets_a_friendly_answer(services, text, expected):
    reply = ask(services, text)
    assert expected in reply.title + reply.text


def test_only_admins_change_the_digest_plan(services):
    refused = ask(services, "subscribe efficient attention")
    assert refused.kind == "error" and "admins" in refused.text
    accepted = ask(services, "subscribe efficient attention", admin=True)
    assert accepted.kind != "error"
    assert "efficient attention" in ask(services, "settings").to_text()


def test_digest_preview_lists_trending_papers(services):
    reply = ask(services, "digest")  # clock: 2026-08-21, the last recorded HF day in the corpus
    assert reply.kind == "digest"
    assert reply.items and all(item.why for item in reply.items)
    upvotes = [item.upvotes for item in reply.items]
    assert upvotes == sorted(upvotes, reverse=True)  # same list day: more upvotes ranks higher
