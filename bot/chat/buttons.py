"""Button values: the router command a button runs, under a versioned prefix.

A button carries its command as ``pb1:<command>`` (Slack's ``value``, Discord's ``custom_id``).
:func:`decode` gives the command back only when the prefix is this version's and the command is
one a button can run (``more <token>``, ``feedback up|down <token>`` on a whole answer,
``feedback up|down paper <paper id>`` on one paper, ``similar <paper id>``);
anything else (garbled, an older app version's, someone else's) is refused, and the adapter
answers :func:`expired_reply` instead of running it as a search.
"""

from __future__ import annotations

import re

from bot.chat.reply import Reply

BUTTON_PREFIX = "pb1:"
EXPIRED_TEXT = "This button has expired, please ask again."

_COMMAND = re.compile(
    r"more [0-9a-f]{4,32}"
    r"|feedback (?:up|down) [0-9a-f]{4,32}"
    r"|feedback (?:up|down) paper [A-Za-z0-9][\w.\-/:]{0,80}"
    r"|similar [A-Za-z0-9][\w.\-/:]{0,80}"
)


def encode(command: str) -> str:
    """The button value for a router ``command``."""
    return BUTTON_PREFIX + command.strip()


def decode(value: object) -> str | None:
    """The router command in a button ``value``; None when it is not one of this version's."""
    if not isinstance(value, str) or not value.startswith(BUTTON_PREFIX):
        return None
    command = value[len(BUTTON_PREFIX) :]
    return command if _COMMAND.fullmatch(command) else None


def expired_reply() -> Reply:
    """What a press on a button that cannot be run gets."""
    return Reply(title="Button expired", text=EXPIRED_TEXT, kind="info")
