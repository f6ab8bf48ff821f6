"""Posting digests to Discord channels (the scheduler's :class:`~bot.digest.posting.DigestPoster`).

A digest is sent with one plain ``POST /channels/{id}/messages``, not ``channel.send``: discord.py
retries a 500/502/504 answer on its own, and a message Discord stored before failing would then
be posted twice. Here only a 429 is retried (Discord stored nothing); a 5xx answer or a
connection dropped mid-request raises :class:`~bot.digest.posting.PostOutcomeUnknown`; a 4xx
raises :class:`discord.HTTPException`; a refused connection raises as it comes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import discord
from discord.http import Route, handle_message_parameters, json_or_text

from bot.chat.reply import Reply
from bot.digest.posting import PostOutcomeUnknown
from bot.discord.bot import PLATFORM, PaperboyBot
from bot.discord.components import send_kwargs
from bot.discord.http import make_rebaser
from bot.discord.render import render_reply

log = logging.getLogger(__name__)
RATE_LIMIT_RETRIES = 3
TIMEOUT_S = 30.0


class DiscordPoster:
    """:class:`bot.digest.posting.DigestPoster` for Discord: sends a Reply to a channel by id."""

    platform = PLATFORM

    def __init__(self, bot: PaperboyBot, timeout_s: float = TIMEOUT_S) -> None:
        self.bot = bot
        self.timeout_s = timeout_s

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Send ``reply`` as embeds at most once (429s waited out). Returns the message id."""
        kwargs = send_kwargs(render_reply(reply))
        params = handle_message_parameters(
            content=kwargs["content"],
            embeds=kwargs["embeds"],
            view=kwargs.get("view", discord.utils.MISSING),
            allowed_mentions=kwargs["allowed_mentions"],
        )
        message = await self._send_once(int(channel_id), params.payload or {})
        self.bot.remember(int(channel_id), int(message["id"]), reply)
        return str(message["id"])

    async def post_dm(self, user_id: str, reply: Reply) -> str:
        """DM ``reply`` to ``user_id``: ``POST /users/@me/channels`` for the DM channel, then
        :meth:`post` (a user who does not accept DMs: :class:`discord.Forbidden`)."""
        channel = await self.bot.http.start_private_message(int(user_id))
        return await self.post(str(channel["id"]), reply)

    def _url(self, channel_id: int) -> str:
        route = Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        rebase = make_rebaser(self.bot.settings.api_base_url)
        return (rebase(route) if rebase else route).url

    async def _send_once(self, channel_id: int, payload: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "Authorization": f"Bot {self.bot.http.token}",
            "User-Agent": self.bot.http.user_agent,
        }
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            for attempt in range(RATE_LIMIT_RETRIES + 1):
                try:
                    async with session.post(self._url(channel_id), json=payload) as response:
                        data = await json_or_text(response)
                        if 200 <= response.status < 300:
                            return data
                        limited = response.status == 429 and isinstance(data, dict)
                        if limited and attempt < RATE_LIMIT_RETRIES:
                            wait = float(data.get("retry_after", 1))
                            log.warning(
                                "Discord rate limit on a digest post; retrying in %.1f s", wait
                            )
                            await asyncio.sleep(wait)
                            continue
                        if response.status >= 500:
                            raise PostOutcomeUnknown(f"Discord answered HTTP {response.status}")
                        raise discord.HTTPException(response, data)
                except aiohttp.ClientConnectorError:
                    raise  # never connected: nothing reached Discord
                except (TimeoutError, aiohttp.ClientError) as error:
                    raise PostOutcomeUnknown(f"{type(error).__name__}: {error}") from error
        raise AssertionError("unreachable: the last attempt returns or raises")
