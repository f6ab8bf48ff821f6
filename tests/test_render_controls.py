"""Control characters and bidi overrides never reach Slack or Discord, whatever the store holds
(papers ingested before ingest cleaned them, or text from elsewhere)."""

from __future__ import annotations

import json

import pytest

from bot.chat.reply import Reply, ReplyItem
from bot.discord.render import fallback_text, render_reply, safe_url
from bot.slack.render import render_message
from retrieval.ingest import clean
from retrieval.models import Paper
from retrieval.text import strip_controls

NASTY = "\x00\x07\x1b\x7f\x85\x9b\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ITEM = ReplyItem(
    paper_id="2601.00001",
    title=f"Evil{NASTY} title",
    url="https://arxiv.org/abs/2601.00001",
    authors=(f"Ada{NASTY} Lovelace",),
    snippet=f"A snippet{NASTY} here.",
    why=f"because{NASTY}",
)
REPLY = Reply(title=f"Papers{NASTY}", items=(ITEM,), text=f"Intro{NASTY}", footer=f"Foot{NASTY}")


def test_strip_controls_keeps_text_tabs_and_line_breaks() -> None:
    assert strip_controls(f"a{NASTY}b\tc\nd\r\n") == "ab\tc\nd\r\n"
    assert strip_controls(None) == ""
    assert strip_controls("ünïcödé — “quotes” 😀") == "ünïcödé — “quotes” 😀"


def test_slack_message_has_no_controls() -> None:
    text = json.dumps(render_message(REPLY), ensure_ascii=False)
    assert "Evil title" in text and "Ada Lovelace" in text
    assert not set(NASTY) & set(text)


def test_discord_message_and_fallback_have_no_controls() -> None:
    rendered = render_reply(REPLY)
    text = json.dumps([e.to_dict() for e in rendered.embeds], ensure_ascii=False)
    assert "Evil title" in text and not set(NASTY) & set(text)
    assert not set(NASTY) & set(fallback_text(REPLY))


def test_ingest_cleans_paper_text() -> None:
    paper = clean(Paper(id="x", title=f"T{NASTY}", abstract=f"A{NASTY}", authors=(f"B{NASTY}",)))
    assert (paper.title, paper.abstract, paper.authors) == ("T", "A", ("B",))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://arxiv.org/abs/2601.00001 v2", "https://arxiv.org/abs/2601.00001%20v2"),
        ("https://example.org/a?b=c&d=%20e#f", "https://example.org/a?b=c&d=%20e#f"),
        ("javascript:alert(1)", None),
        ("ftp://example.org/x", None),
        ("https://", None),
        ("arxiv.org/abs/1", None),
    ],
)
def test_discord_urls_are_encoded_or_dropped(url: str, expected: str | None) -> None:
    assert safe_url(url) == expected
