"""Paging through an answer: which conversation a typed ``more`` belongs to, and what to say.

Every answer's paging token is remembered per conversation (platform + channel + thread +
user) in the state database, so a bare ``more`` typed in a thread, a DM or a channel pages the
latest answer that user got there; ``more <token>`` (a button) pages that exact answer.
"""

from __future__ import annotations

import re

from bot.chat.reply import ChatRequest

TOKEN_RE = re.compile(
    r"[0-9a-f]{6,32}"
)  # ours are 12 hex digits; a garbled one still reads as a token


def conversation_keys(request: ChatRequest) -> list[str]:
    """Keys of the conversations ``request`` is in, most specific first: its thread (when it
    has one), then its channel or DM, each for this user only."""
    base = [request.platform, request.channel_id]
    keys = [":".join([*base, request.thread_id, request.user_id])] if request.thread_id else []
    keys.append(":".join([*base, "", request.user_id]))
    return keys


def is_paging(rest: str) -> bool:
    """Whether the words after a leading ``more`` mean "next page": nothing, or one token.

    "more like arXiv:2507.07136" or "more papers on diffusion" are questions, not paging."""
    return not rest or bool(TOKEN_RE.fullmatch(rest))


def footer_hints(platform: str, has_more: bool) -> str:
    """What to type next on ``platform``, for an answer's footer (Discord footers show no
    markdown, so no backticks there)."""
    if platform == "discord":
        more, similar = "press More or send @Paperboy more", "@Paperboy similar <id>"
    elif platform == "slack":
        more = "`@Paperboy more` in the thread (`more` in a DM, `/papers more`)"
        similar = "`similar <id>`"
    else:
        more, similar = "`more`", "`similar <id>`"
    paging = f"{more} for the next page · " if has_more else ""
    return f"{paging}{similar} for related work"
