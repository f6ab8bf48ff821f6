"""Logging a :class:`~bot.discord.bot.PaperboyBot` in at start-up: a revoked token becomes
:class:`~bot.ops.signin.TokenRejected`; Discord being unreachable (no connection, a timeout, a
5xx on ``GET /users/@me``) is retried with back-off (:func:`bot.ops.signin.with_backoff`)."""

from __future__ import annotations

import aiohttp
import discord

from bot.ops.metrics import Metrics
from bot.ops.signin import TokenRejected, with_backoff

UNREACHABLE = (aiohttp.ClientConnectionError, TimeoutError, discord.DiscordServerError)
REJECTED = (
    "Discord rejected the bot token (401 Unauthorized): it was reset or revoked; set a valid "
    "PAPERBOY_DISCORD__TOKEN (Developer Portal > Bot > Reset Token); see docs/discord.md."
)


async def login(
    bot: discord.Client, token: str, metrics: Metrics | None = None, max_wait_s: float = 60.0
) -> None:
    """Log ``bot`` in (REST only, no gateway), waiting for Discord while it is unreachable."""

    async def attempt() -> None:
        try:
            await bot.login(token)
        except discord.LoginFailure as error:
            raise TokenRejected(REJECTED) from error
        except UNREACHABLE:
            await _fresh_http_session(bot)
            raise

    await with_backoff(
        attempt, what="Discord", unreachable=UNREACHABLE, metrics=metrics, max_wait_s=max_wait_s
    )


async def _fresh_http_session(bot: discord.Client) -> None:
    """Close the HTTP session a failed login opened, so the next try starts a clean one."""
    await bot.http.close()
    bot.http.connector = discord.utils.MISSING
