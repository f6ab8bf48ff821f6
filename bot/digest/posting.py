"""The contract between the digest scheduler and the platform adapters."""

from __future__ import annotations

from typing import Protocol

from bot.chat.reply import Reply


class DigestPoster(Protocol):
    """Posts a neutral Reply to one channel of one platform and returns the message id."""

    platform: str

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Send ``reply`` to ``channel_id``; raise on failure (the ledger marks it failed and retries
        within the grace window)."""
        ...
