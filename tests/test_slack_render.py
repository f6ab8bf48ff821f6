"""Block Kit rendering: escaping, Slack's limits, buttons, and reading Slack's text back."""

from __future__ import annotations

import json

from bot.chat.reply import Action, Reply, ReplyItem
from bot.slack.render import (
    MAX_BLOCKS,
    SECTION_MAX,
    from_slack_text,
    render_blocks,
    render_message,
)
from tests.fakes.slack_api import message_problem

HOSTILE = "<!channel> Attention & <@U123> is <https://evil.example|all you need>"


def _item(n: int, **changes) -> ReplyItem:
    fields = dict(
        paper_id=f"2401.{n:05d}",
        title=f"Paper number {n}",
        url=f"https://arxiv.org/abs/2401.{n:05d}",
        authors=("Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"),
        date="2024-01-15",
        upvotes=n,
        snippet="We compute attention in O(n log n) with the fast Fourier transform.",
    )
    fields.update(changes)
    return ReplyItem(**fields)


def _all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_paper_text_cannot_ping_or_forge_links() -> None:
    item = _item(1, title=HOSTILE, snippet=HOSTILE, authors=("<!here>",))
    reply = Reply(title=HOSTILE, items=(item,), text=HOSTILE, footer=HOSTILE)
    message = render_message(reply)
    mrkdwn = [
        t["text"]
        for b in message["blocks"]
        for t in [b.get("text") or {}, *b.get("elements", [])]
        if t.get("type") == "mrkdwn"
    ] + [message["text"]]
    for text in mrkdwn:
        assert "<!channel>" not in text and "<!here>" not in text and "<@U123>" not in text
        assert "&lt;!channel&gt;" in text or "&lt;!here&gt;" in text
    section = message["blocks"][2]["text"]["text"]
    # the only real link is the paper's own, with its title escaped inside the label
    assert section.count("<") == 1
    assert "<https://arxiv.org/abs/2401.00001|&lt;!channel&gt; Attention &amp; " in section


def test_item_shows_link_authors_date_upvotes_and_sentence() -> None:
    block = render_blocks(Reply(title="Papers", items=(_item(7),), first_rank=6))[1]
    text = block["text"]["text"]
    assert text.startswith("*6. <https://arxiv.org/abs/2401.00007|Paper number 7>*")
    assert "Ada Lovelace, Alan Turing, Grace Hopper et al." in text
    assert "Edsger" not in text
    assert "2024-01-15" in text and "7 upvotes" in text
    assert "> We compute attention in O(n log n)" in text


def test_link_with_query_string_is_escaped() -> None:
    url = "https://arxiv.org/search/?searchtype=title&query=A|B"
    text = render_blocks(Reply(title="t", items=(_item(1, url=url),)))[1]["text"]["text"]
    assert "<https://arxiv.org/search/?searchtype=title&amp;query=A%7CB|Paper number 1>" in text


def test_big_reply_stays_within_slack_limits() -> None:
    long = "word " * 2000
    items = tuple(_item(n, title=long, snippet=long, authors=(long,) * 9) for n in range(60))
    actions = tuple(Action("similar", f"Similar {n}", f"similar 2401.{n:05d}") for n in range(30))
    reply = Reply(title=long, items=items, text=long, footer=long, actions=actions)
    message = render_message(reply)
    blocks = message["blocks"]
    assert len(blocks) <= MAX_BLOCKS
    assert len(json.dumps(blocks)) + len(message["text"]) < 12_000
    assert message_problem(message) is None
    for block in blocks:
        assert len((block.get("text") or {}).get("text", "")) <= SECTION_MAX
        for element in block.get("elements", []):
            text = element["text"] if block["type"] == "context" else element["text"]["text"]
            assert len(text) <= SECTION_MAX
    assert len(blocks[0]["text"]["text"]) <= 150
    assert "not shown here" in _all_text(blocks)
    assert len(message["text"]) <= 3000


def test_buttons_carry_router_commands() -> None:
    items = (_item(1), _item(2))
    actions = (
        Action("more", "More results", "more abc123"),
        Action("similar", "Similar to #1", "similar 2401.00001"),
        Action("feedback", "👍", "feedback up abc123"),
        Action("feedback", "👎", "feedback down abc123"),
    )
    blocks = render_blocks(Reply(title="Papers", items=items, actions=actions))
    first = blocks[1]
    assert first["accessory"]["value"] == "pb1:similar 2401.00001"
    assert first["accessory"]["action_id"] == "paperboy_similar"
    assert "accessory" not in blocks[2]
    buttons = blocks[-1]["elements"]
    assert [b["value"] for b in buttons] == [
        "pb1:more abc123",
        "pb1:feedback up abc123",
        "pb1:feedback down abc123",
    ]
    ids = [b["action_id"] for b in buttons]
    assert ids[0] == "paperboy_more" and len(set(ids)) == len(ids)
    assert all(i.startswith("paperboy_") for i in ids)


def test_plain_fallback_is_always_there() -> None:
    message = render_message(Reply(title="Paperboy help", text="Ask me", kind="help"))
    assert message["text"].startswith("Paperboy help")
    assert message["blocks"][0]["type"] == "header"


def test_from_slack_text_strips_the_bot_and_unwraps_links() -> None:
    raw = "<@UBOT> similar <https://arxiv.org/abs/2105.03824|arxiv.org/abs/2105.03824>"
    assert from_slack_text(raw, "UBOT") == "similar https://arxiv.org/abs/2105.03824"
    assert from_slack_text("<@UBOT>   fast &amp; cheap &lt;FFT&gt;", "UBOT") == "fast & cheap <FFT>"
    assert from_slack_text("by <@U42|ada> in <#C1|ml>", "UBOT") == "by @ada in #ml"
