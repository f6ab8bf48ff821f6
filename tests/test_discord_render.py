"""The Discord renderer at Discord's limits: every message it builds would be accepted."""

from __future__ import annotations

import pytest

from bot.chat.reply import Action, Reply, ReplyItem
from bot.discord.render import (
    BUTTONS_MAX,
    CONTENT_MAX,
    DESCRIPTION_MAX,
    EMBEDS_MAX,
    FIELD_VALUE_MAX,
    FIELDS_MAX,
    FOOTER_MAX,
    TITLE_MAX,
    TOTAL_MAX,
    clip,
    embeds_size,
    fallback_text,
    render_reply,
)
from tests.fakes.discord_server import message_limit_errors


def item(n: int, *, title: str | None = None, snippet: str = "", authors=None) -> ReplyItem:
    return ReplyItem(
        paper_id=f"2401.{n:05d}",
        title=title or f"Paper number {n} about fast attention",
        url=f"https://arxiv.org/abs/2401.{n:05d}",
        authors=tuple(authors or ("Ada Lovelace", "Alan Turing")),
        date="2024-01-15",
        upvotes=n,
        snippet=snippet or f"We show that method {n} is fast.",
        why="matches 'attention'",
    )


def payload(reply: Reply) -> dict:
    """The JSON body discord.py would send for the rendered reply."""
    rendered = render_reply(reply)
    return {"content": rendered.content, "embeds": [e.to_dict() for e in rendered.embeds]}


def assert_within_limits(reply: Reply) -> None:
    """Every per-part limit, at most 10 embeds and at most 6000 characters in all of them."""
    assert message_limit_errors(payload(reply)) == []


def test_one_card_per_paper_with_title_link_authors_date_upvotes_and_sentence():
    reply = Reply(
        title="Papers for “fast attention”", items=(item(1), item(2)), footer="Results 1-2"
    )
    rendered = render_reply(reply)
    header, first, second = rendered.embeds
    assert header.title == "Papers for “fast attention”"
    assert first.title.startswith("1. Paper number 1")
    assert first.url == "https://arxiv.org/abs/2401.00001"
    assert "Ada Lovelace, Alan Turing" in first.description
    assert "2024-01-15" in first.description and "▲ 1" in first.description
    assert "> We show that method 1 is fast." in first.description
    assert second.title.startswith("2. ")
    assert second.footer.text == "Results 1-2"
    assert rendered.content is None


def test_ranks_continue_on_later_pages():
    rendered = render_reply(Reply(title="t", items=(item(6), item(7)), first_rank=6))
    assert [e.title.split(".")[0] for e in rendered.embeds[1:]] == ["6", "7"]


def test_very_long_titles_and_abstracts_are_clipped_with_an_ellipsis():
    long_title = "Attention " * 100
    long_snippet = "This sentence keeps going and going. " * 400
    reply = Reply(
        title="Q " * 300,
        items=tuple(item(n, title=long_title, snippet=long_snippet) for n in range(5)),
        text="note " * 2000,
        footer="f " * 3000,
    )
    assert_within_limits(reply)
    embeds = render_reply(reply).embeds
    assert embeds[0].title.endswith("…") and len(embeds[0].title) <= TITLE_MAX
    assert all(e.title.endswith("…") for e in embeds[1:])
    assert all("> This sentence" in e.description for e in embeds[1:]), "snippet kept, clipped"
    assert embeds[-1].footer.text.endswith("…") and len(embeds[-1].footer.text) <= FOOTER_MAX


def test_a_single_huge_help_text_fits_one_embed():
    reply = Reply(title="Paperboy help", text="word " * 3000, footer="x" * 5000, kind="help")
    assert_within_limits(reply)
    (embed,) = render_reply(reply).embeds
    assert len(embed.description) <= DESCRIPTION_MAX and embed.description.endswith("…")


@pytest.mark.parametrize("count", [10, 25, 40])
def test_many_results_switch_to_one_field_per_paper(count: int):
    items = tuple(item(n, title="T" * 300, snippet="s " * 800) for n in range(1, count + 1))
    reply = Reply(title="Lots", items=items, footer="Results")
    assert_within_limits(reply)
    (embed,) = render_reply(reply).embeds
    assert len(embed.fields) == min(count, FIELDS_MAX)
    assert all(len(f.value) <= FIELD_VALUE_MAX for f in embed.fields)
    assert embed.fields[0].name.startswith("1. ")
    assert "(https://arxiv.org/abs/2401.00001)" in embed.fields[0].value, "compact rows link"
    if count > FIELDS_MAX:
        assert f"{count - FIELDS_MAX} more not shown" in embed.footer.text


def test_nine_results_still_get_cards_and_ten_embeds_at_most():
    rendered = render_reply(Reply(title="t", items=tuple(item(n) for n in range(9))))
    assert len(rendered.embeds) == EMBEDS_MAX
    assert embeds_size(rendered.embeds) <= TOTAL_MAX


def test_markdown_and_mentions_in_titles_cannot_ping_or_break_layout():
    nasty = item(
        1, title="@everyone look: **bold** _it_ <@&123456789012345678> @here [x](http://e)"
    )
    reply = Reply(title="Papers for “@everyone”", items=(nasty,), text="hi @here")
    rendered = render_reply(reply)
    texts = [rendered.embeds[0].title, rendered.embeds[0].description, rendered.embeds[1].title]
    for text in texts:
        assert "@everyone" not in text and "@here" not in text
    card = rendered.embeds[1].title
    assert "\\*\\*bold\\*\\*" in card and "\\_it\\_" in card and "\\[x\\](" in card, (
        "link syntax broken"
    )
    assert "<@&123456789012345678>" not in card


def test_digest_gets_a_short_content_line_for_notifications():
    rendered = render_reply(Reply(title="Trending papers " + "x" * 3000, kind="digest"))
    assert rendered.content.startswith("**Trending papers")
    assert len(rendered.content) <= CONTENT_MAX


def test_buttons_keep_router_commands_as_custom_ids_within_limits():
    actions = (
        Action("more", "More results", "more abc123"),
        Action("similar", "Similar to #1", "similar 2401.00001"),
        Action("feedback", "👍", "feedback up abc123"),
        Action("feedback", "👍 again", "feedback up abc123"),  # duplicate id: dropped
        Action("similar", "L" * 200, "similar " + "9" * 200),  # custom_id too long: dropped
    ) + tuple(Action("similar", f"S{n}", f"similar {n}") for n in range(40))
    buttons = render_reply(Reply(title="t", actions=actions)).buttons
    ids = [b.custom_id for b in buttons]
    assert ids[:3] == ["pb1:more abc123", "pb1:similar 2401.00001", "pb1:feedback up abc123"]
    assert len(ids) == len(set(ids)) == BUTTONS_MAX
    assert all(len(b.custom_id) <= 100 and len(b.label) <= 80 for b in buttons)


def test_clip_cuts_at_a_word_break_and_never_leaves_a_dangling_escape():
    assert clip("short", 10) == "short"
    assert clip("alpha beta gamma delta epsilon", 20) == "alpha beta gamma…"
    assert clip("abc\\*def", 5) == "abc…"
    assert len(clip("x" * 500, 256)) == 256


def test_plain_text_fallback_fits_in_content_and_cannot_ping():
    items = tuple(item(n, title="@everyone " + "long " * 100) for n in range(30))
    text = fallback_text(Reply(title="Results", items=items))
    assert len(text) <= CONTENT_MAX and text.endswith("…")
    assert "@everyone" not in text and "1. @\u200beveryone" in text
