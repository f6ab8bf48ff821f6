"""Checking the Slack tokens at start-up: ``auth.test`` with the bot token and, for Socket Mode,
``apps.connections.open`` with the app token, until Slack answers (back-off while unreachable,
:func:`bot.ops.signin.with_backoff`); a rejected token becomes
:class:`~bot.ops.signin.TokenRejected`, a one-line settings error. (slack-sdk's Socket Mode
client itself retries a rejected app token forever, logging a traceback each time.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ops.metrics import Metrics
from bot.ops.signin import TokenRejected, with_backoff

AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


class SlackUnavailable(Exception):
    """Slack answered with a server error (5xx): try again later."""


UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError, SlackUnavailable)


def rejected_token(error: SlackApiError, setting: str) -> TokenRejected | None:
    """A :class:`TokenRejected` naming ``setting`` when ``error`` says the token is bad."""
    reason = error.response.get("error") if error.response is not None else None
    if reason not in AUTH_ERRORS:
        return None
    return TokenRejected(
        f"Slack rejected the token in {setting} ({reason}): it is wrong, revoked or the app was "
        "uninstalled; set a valid token (see docs/slack.md)."
    )


async def verify_bot_token(
    client: AsyncWebClient, metrics: Metrics | None = None, max_wait_s: float = 60.0
) -> dict:
    """``auth.test`` until Slack answers; returns its answer, raises :class:`TokenRejected`."""
    return await _verify(
        client.auth_test, "PAPERBOY_SLACK__BOT_TOKEN", metrics=metrics, max_wait_s=max_wait_s
    )


async def verify_app_token(
    client: AsyncWebClient, app_token: str, metrics: Metrics | None = None, max_wait_s=60.0
) -> dict:
    """``apps.connections.open`` with the app token (Socket Mode) until Slack answers."""

    async def open_connection() -> object:
        return await client.apps_connections_open(app_token=app_token)

    return await _verify(
        open_connection, "PAPERBOY_SLACK__APP_TOKEN", metrics=metrics, max_wait_s=max_wait_s
    )


async def _verify(
    call: Callable[[], Awaitable[Any]], setting: str, *, metrics: Metrics | None, max_wait_s: float
) -> dict:
    async def attempt() -> dict:
        try:
            return dict((await call()).data)
        except SlackApiError as error:
            problem = rejected_token(error, setting)
            if problem is not None:
                raise problem from error
            if getattr(error.response, "status_code", 200) >= 500:
                raise SlackUnavailable(f"HTTP {error.response.status_code}") from error
            raise

    return await with_backoff(
        attempt, what="Slack", unreachable=UNREACHABLE, metrics=metrics, max_wait_s=max_wait_s
    )
