"""The contract between the digest scheduler and the platform adapters.

A post is not idempotent: once the request may have reached the platform, sending it again can
post the digest twice. So a poster sorts failures in two: a clear refusal (HTTP 4xx, a refused
connection: nothing was stored) is raised as any exception and may be retried; an ambiguous one
(HTTP 5xx, a connection dropped or timed out after the request went out) is raised as
:class:`PostOutcomeUnknown` and is never retried.
"""

from __future__ import annotations

from typing import Protocol

from bot.chat.reply import Reply


class PostOutcomeUnknown(Exception):
    """The request may have reached the platform: the message may or may not have been posted.

    The ledger records it as ``unknown`` and nothing re-sends it (at-most-once)."""


class DigestPoster(Protocol):
    """Posts a neutral Reply to one channel of one platform and returns the message id."""

    platform: str

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Send ``reply`` to ``channel_id`` once, never retrying after the request may have
        reached the platform. Raise :class:`PostOutcomeUnknown` when it may have been posted
        (the ledger marks it unknown, never re-sent), any other exception when the platform
        clearly refused it (the ledger marks it failed and retries within the grace window)."""
        ...
