"""Reply -> Discord message parts (content, embeds, button specs), always within Discord's limits.

Pure: no network, no client. Paper text is escaped (markdown and ``@everyone``-style mentions) so a
title can neither break the layout nor ping anyone, and every string is clipped with "…" so the
message is never rejected for size: content 2000, 10 embeds, title 256, description 4096,
25 fields (name 256, value 1024), footer 2048 and 6000 characters over all embeds.

Up to :data:`MAX_CARDS` papers get one embed each (title linked to the paper); longer lists use a
compact layout with one field per paper.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import discord
from discord.utils import escape_mentions

from bot.chat.buttons import encode
from bot.chat.reply import Action, Reply, ReplyItem
from retrieval.text import normalise_space, strip_controls

CONTENT_MAX = 2000
EMBEDS_MAX = 10
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
TOTAL_MAX = 6000
CUSTOM_ID_MAX = 100
LABEL_MAX = 80
BUTTONS_MAX = 25
MAX_CARDS = EMBEDS_MAX - 1  # one embed is the header
ELLIPSIS = "…"

COLOURS = {"results": 0x5865F2, "digest": 0xF1C40F, "help": 0x2ECC71, "info": 0x95A5A6}
ERROR_COLOUR = 0xE74C3C
_INLINE_MARKDOWN = re.compile(r"([\\*_~|`\[\]<])")
_LINE_START_MARKDOWN = re.compile(r"^(\s*)([#>+-])", re.MULTILINE)
_BARE_URL = re.compile(r"(https?://[^\s<>()\[\]]+)")


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """One button: what it says, the router command it dispatches, and its kind (for styling)."""

    label: str
    custom_id: str
    kind: str


@dataclass(slots=True)
class DiscordMessage:
    """Everything needed for one ``send``/``edit``: content (or None), embeds, buttons."""

    content: str | None
    embeds: list[discord.Embed]
    buttons: tuple[ButtonSpec, ...] = ()


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" (at a word break if close)."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return ELLIPSIS[:limit] if limit > 0 else ""
    cut = text[: limit - len(ELLIPSIS)]
    space = cut.rfind(" ")
    if space >= len(cut) * 0.8:
        cut = cut[:space]
    cut = cut.rstrip()
    while cut.endswith("\\"):  # never leave an escape dangling in front of the ellipsis
        cut = cut[:-1]
    return cut + ELLIPSIS


def escape_markdown(text: str) -> str:
    """Backslash-escape every character Discord could read as markdown: emphasis, spoilers,
    code, masked links (``[label](url)``), mentions and timestamps (``<...>``), and headings,
    quotes and lists at the start of a line. Bare http(s) URLs are left as they are. (discord.py's own escaper misses some
    combinations, e.g. spoilers after a masked link.)"""
    pieces = _BARE_URL.split(text)  # URLs (odd pieces) stay as they are, so they still work
    inline = "".join(
        piece if odd else _INLINE_MARKDOWN.sub(r"\\\1", piece)
        for odd, piece in zip(itertools.cycle((False, True)), pieces, strict=False)
    )
    return _LINE_START_MARKDOWN.sub(r"\1\\\2", inline)


def safe(text: str) -> str:
    """Escape markdown and mentions in untrusted text (paper titles, abstracts, user topics)."""
    return escape_mentions(escape_markdown(normalise_space(strip_controls(text))))


def safe_multiline(text: str) -> str:
    """Like :func:`safe` but keeps line breaks (reply text written by the bot itself)."""
    return escape_mentions(strip_controls(text).strip())


def embeds_size(embeds: list[discord.Embed]) -> int:
    """Characters Discord counts toward the 6000 limit over all embeds."""
    return sum(len(embed) for embed in embeds)


def render_reply(reply: Reply) -> DiscordMessage:
    """Render a neutral :class:`Reply` as a Discord message within every limit."""
    colour = COLOURS.get(reply.kind, ERROR_COLOUR)
    title = clip(safe(reply.title) or "Paperboy", TITLE_MAX)
    items = list(reply.items)
    compact = len(items) > MAX_CARDS
    shown = items[:FIELDS_MAX] if compact else items
    footer = strip_controls(reply.footer).strip()
    if len(items) > len(shown):
        footer = f"{footer} · {len(items) - len(shown)} more not shown".lstrip(" ·")
    footer = clip(escape_mentions(footer), FOOTER_MAX)
    budget = TOTAL_MAX - len(title) - len(footer)
    text = safe_multiline(reply.text)
    if shown:
        text = clip(text, min(DESCRIPTION_MAX, budget // (len(shown) + 1)))
    else:
        text = clip(text, min(DESCRIPTION_MAX, budget))
    header = discord.Embed(title=title, description=text or None, colour=colour)
    per_item = (budget - len(text)) // max(len(shown), 1)
    ranks = range(reply.first_rank, reply.first_rank + len(shown))
    if compact:
        for rank, item in zip(ranks, shown, strict=True):
            name = clip(f"{rank}. {safe(item.title)}", min(FIELD_NAME_MAX, per_item // 3))
            value = _body(item, min(FIELD_VALUE_MAX, per_item - len(name)), link=True)
            header.add_field(name=name, value=value or "\u200b", inline=False)
        embeds = [header]
    else:
        embeds = [header] + [
            _card(rank, item, per_item, colour) for rank, item in zip(ranks, shown, strict=True)
        ]
    if footer:
        embeds[-1].set_footer(text=footer)
    _enforce_total(embeds)
    content = clip(f"**{title}**", CONTENT_MAX) if reply.kind == "digest" else None
    return DiscordMessage(content=content, embeds=embeds, buttons=render_buttons(reply.actions))


def fallback_text(reply: Reply) -> str:
    """Plain-text message content for when embeds cannot be sent (at most 2000 chars).

    Paper text is escaped as in the embeds (markdown, masked links, spoilers, mentions), line
    by line so the layout of :meth:`Reply.to_text` stays.
    """
    lines = strip_controls(reply.to_text()).splitlines()
    text = "\n".join(escape_mentions(escape_markdown(line)) for line in lines)
    return clip(text, CONTENT_MAX)


def safe_url(url: str) -> str | None:
    """``url`` as Discord accepts it in an embed: http(s) only, spaces and other unsafe
    characters percent-encoded; None when it cannot be a link."""
    cleaned = strip_controls(url).strip()
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    encoded = quote(cleaned, safe=":/?#[]@!$&'()*+,;=%~")
    return encoded if len(encoded) <= 2048 else None


def render_buttons(actions: tuple[Action, ...]) -> tuple[ButtonSpec, ...]:
    """Buttons for ``actions``: unique custom ids of at most 100 chars, at most 25 buttons."""
    specs: list[ButtonSpec] = []
    seen: set[str] = set()
    for action in actions:
        command = encode(action.command) if action.command.strip() else ""
        if not command or len(command) > CUSTOM_ID_MAX or command in seen:
            continue
        seen.add(command)
        specs.append(ButtonSpec(clip(action.label, LABEL_MAX) or "…", command, action.kind))
    return tuple(specs[:BUTTONS_MAX])


def _card(rank: int, item: ReplyItem, budget: int, colour: int) -> discord.Embed:
    title = clip(f"{rank}. {safe(item.title)}", min(TITLE_MAX, budget // 3))
    url = safe_url(item.url)
    body = _body(item, min(DESCRIPTION_MAX, budget - len(title)), link=False)
    return discord.Embed(title=title, url=url, description=body or None, colour=colour)


def _body(item: ReplyItem, budget: int, *, link: bool) -> str:
    """Meta line (link, authors, date, upvotes), then the matching sentence and why, in budget."""
    meta: list[str] = []
    url = safe_url(item.url) if link else None
    if url:
        meta.append(f"[{escape_markdown(item.paper_id) or 'link'}]({url.replace(')', '%29')})")
    if item.authors:
        names = ", ".join(item.authors[:3]) + (" et al." if len(item.authors) > 3 else "")
        meta.append(safe(names))
    if item.date:
        meta.append(safe(item.date))
    if item.upvotes is not None:
        meta.append(f"▲ {item.upvotes}")
    lines = [" · ".join(meta)] if meta else []
    if lines and len(lines[0]) > budget:  # too little room: drop the link, keep plain meta
        lines = [clip(" · ".join(meta[1:] if link else meta), budget)]
    for prefix, extra in (("> ", item.snippet), ("*why:* ", item.why)):
        room = budget - len("\n".join(lines)) - len(prefix) - 1
        if extra.strip() and room >= 20:
            lines.append(prefix + clip(safe(extra), room))
    return "\n".join(lines)[: max(budget, 0)]


def _enforce_total(embeds: list[discord.Embed]) -> None:
    """Last resort: drop trailing fields/embeds until the 6000-character total holds."""
    while embeds_size(embeds) > TOTAL_MAX:
        last = embeds[-1]
        if last.fields:
            last.remove_field(len(last.fields) - 1)
        elif len(embeds) > 1:
            footer = last.footer.text
            embeds.pop()
            if footer:
                embeds[-1].set_footer(text=footer)
        else:
            excess = embeds_size(embeds) - TOTAL_MAX
            last.description = clip(last.description or "", len(last.description or "") - excess)
