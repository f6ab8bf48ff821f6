"""Reply -> Slack Block Kit (blocks + plain ``text`` fallback), and Slack text -> plain text.

Pure functions: no network, no client. Every piece of paper text is escaped (``&``, ``<``, ``>``)
so a title or abstract can never ping ``<!channel>`` or a user nor forge a link, and every
message stays within Slack's limits: at most 50 blocks, 3000 characters per section, 150 per
header, 75 per button label, and (by dropping trailing papers with a note) well under the
~12k characters Slack accepts for a whole message.
"""

from __future__ import annotations

import re

from bot.chat.buttons import encode
from bot.chat.reply import Action, Reply, ReplyItem
from retrieval.text import normalise_space, shorten, strip_controls

MAX_BLOCKS = 50
SECTION_MAX = 3000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTONS_PER_BLOCK = 25
MESSAGE_BUDGET = 9000  # characters of text over all blocks: well under Slack's ~12k
FALLBACK_MAX = 3000
SNIPPET_MAX = 400
TITLE_MAX = 300
AUTHORS_SHOWN = 3
ACTION_PREFIX = "paperboy_"
ELLIPSIS = "…"

_SLACK_TOKEN = re.compile(r"<([^<>]*)>")


def escape(text: str) -> str:
    """Escape Slack's control characters so ``text`` is shown literally in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of ``&``, ``<`` and ``>`` in text it delivers."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clip(text: str, limit: int) -> str:
    """``text`` without control characters, white space collapsed, cut at a word to at most
    ``limit`` characters ending in "…"."""
    return shorten(strip_controls(text), limit)


def link(url: str, label: str) -> str:
    """A mrkdwn link ``<url|label>`` whose label and url cannot break out of the link."""
    safe_url = escape(strip_controls(url).strip()).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def authors_line(authors: tuple[str, ...], shown: int = AUTHORS_SHOWN) -> str:
    """First ``shown`` authors, then "et al." when there are more."""
    names = [clip(a, 60) for a in authors if a.strip()]
    if len(names) > shown:
        return ", ".join(names[:shown]) + " et al."
    return ", ".join(names)


def _item_text(item: ReplyItem, number: int) -> str:
    title = clip(item.title, TITLE_MAX) or item.paper_id
    heading = link(item.url, title) if item.url else escape(title)
    meta = [escape(authors_line(item.authors))] if item.authors else []
    if item.date:
        meta.append(escape(clip(item.date, 40)))
    if item.upvotes is not None:
        meta.append(f"▲ {item.upvotes} upvote" + ("" if item.upvotes == 1 else "s"))
    lines = [f"*{number}. {heading}*"]
    if meta:
        lines.append(" · ".join(meta))
    if item.snippet:
        lines.append("> " + escape(clip(item.snippet, SNIPPET_MAX)))
    if item.why:
        lines.append("_why: " + escape(clip(item.why, 300)) + "_")
    return "\n".join(lines)[:SECTION_MAX]


def _button(action: Action, action_id: str) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(action.label, BUTTON_TEXT_MAX), "emoji": True},
        "action_id": action_id,
        "value": encode(action.command)[:BUTTON_VALUE_MAX],
    }
    if action.kind == "more":
        button["style"] = "primary"
    return button


def _item_action(item: ReplyItem, actions: list[Action]) -> Action | None:
    """The "Similar" action that belongs to this paper, taken out of ``actions``."""
    for action in actions:
        if action.kind == "similar" and action.command.split()[-1:] == [item.paper_id]:
            actions.remove(action)
            return action
    return None


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_MAX]}}


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_MAX]}]}


def _action_id(action: Action, seen: dict[str, int]) -> str:
    """``paperboy_<kind>``, then ``paperboy_<kind>_2``, ``_3`` ...: Slack rejects a message
    that repeats an ``action_id``, and the listener matches the ``paperboy_`` prefix."""
    count = seen[action.kind] = seen.get(action.kind, 0) + 1
    return f"{ACTION_PREFIX}{action.kind}" + ("" if count == 1 else f"_{count}")


def _action_blocks(actions: list[Action], seen: dict[str, int]) -> list[dict]:
    blocks: list[dict] = []
    for start in range(0, len(actions), BUTTONS_PER_BLOCK):
        elements = [
            _button(action, _action_id(action, seen))
            for action in actions[start : start + BUTTONS_PER_BLOCK]
        ]
        blocks.append({"type": "actions", "elements": elements})
    return blocks


def render_blocks(reply: Reply) -> list[dict]:
    """Block Kit blocks for ``reply``: header, text, one section per paper, footer, buttons."""
    head = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": clip(reply.title, HEADER_MAX) or "Paperboy"},
        }
    ]
    if reply.text:
        head.append(_section(escape(clip(reply.text, SECTION_MAX - 100))))
    remaining = list(reply.actions)
    seen: dict[str, int] = {}
    items: list[dict] = []
    for offset, item in enumerate(reply.items):
        block = _section(_item_text(item, reply.first_rank + offset))
        action = _item_action(item, remaining)
        if action is not None:
            block["accessory"] = _button(action, _action_id(action, seen))
        items.append(block)
    tail = [_context(escape(clip(reply.footer, SECTION_MAX - 100)))] if reply.footer else []
    tail += _action_blocks(remaining, seen)
    return head + _fit(items, len(head) + len(tail), _size(head + tail)) + tail


def _size(blocks: list[dict]) -> int:
    return len(str(blocks))


def _fit(items: list[dict], fixed_blocks: int, fixed_chars: int) -> list[dict]:
    """As many item blocks as fit the block and character budgets, plus a note if some don't."""
    room = MAX_BLOCKS - fixed_blocks - 1  # one block kept for the "not shown" note
    budget = MESSAGE_BUDGET - fixed_chars - 200
    kept: list[dict] = []
    for block in items:
        if len(kept) >= room or budget - _size([block]) < 0:
            break
        budget -= _size([block])
        kept.append(block)
    left_out = len(items) - len(kept)
    if left_out:
        note = f"{left_out} more result{'s' if left_out > 1 else ''} not shown here."
        kept.append(_context(note))
    return kept


def render_text(reply: Reply) -> str:
    """The plain ``text`` fallback (notifications, screen readers), escaped and clipped."""
    out: list[str] = []
    size = 0
    for char in strip_controls(reply.to_text()):
        piece = escape(char)
        if size + len(piece) > FALLBACK_MAX - 1:
            return "".join(out).rstrip() + ELLIPSIS
        out.append(piece)
        size += len(piece)
    return "".join(out)


def render_message(reply: Reply) -> dict:
    """Keyword arguments for ``chat.postMessage`` / ``chat.update`` / ``respond``."""
    return {"text": render_text(reply), "blocks": render_blocks(reply)}


def from_slack_text(text: str, bot_user_id: str | None = None) -> str:
    """What a user typed, as plain text: the bot's mention removed, links and mentions unwrapped.

    ``<@UBOT> similar <https://arxiv.org/abs/2105.03824>`` -> ``similar https://arxiv.org/abs/2105.03824``
    """

    def plain(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "" if target[1:] == bot_user_id else "@" + (label or target[1:])
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):
            return label or ""
        return target  # a link: keep the URL itself (the router understands arXiv URLs)

    return normalise_space(unescape(_SLACK_TOKEN.sub(plain, text)))
