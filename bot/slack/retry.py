"""slack-sdk retry handlers that never repeat a message post once it may have reached Slack.

A 429 is always retried (Slack stored nothing), and so is a connection that could not be opened.
A 5xx answer or a connection dropped after the request went out is retried only for methods that
do not post a message (``auth.test``, ``users.info``, ``chat.update`` ...): Slack may have stored
the post before failing, and sending it again would post it twice.
"""

from __future__ import annotations

import aiohttp
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

POSTING_METHODS = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.upload",
        "files.completeUploadExternal",
    }
)
NOT_SENT = aiohttp.ClientConnectorError  # the connection was never opened: nothing reached Slack


def posts_a_message(request: HttpRequest) -> bool:
    """Whether ``request`` calls a Web API method that creates a message."""
    return request.url.rstrip("/").rsplit("/", 1)[-1] in POSTING_METHODS


class ServerErrorRetry(AsyncServerErrorRetryHandler):
    """Retries a 500/503 answer, except for methods that post a message."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if posts_a_message(request):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class ConnectionErrorRetry(AsyncConnectionErrorRetryHandler):
    """Retries a connection that could not be opened; one dropped mid-request only for methods
    that do not post a message."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if isinstance(error, NOT_SENT):
            return True
        if posts_a_message(request):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


def retry_handlers() -> list[AsyncRetryHandler]:
    """The handlers for Paperboy's Web API client (see the module docstring)."""
    return [
        ConnectionErrorRetry(max_retry_count=2, error_types=[aiohttp.ClientConnectionError]),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetry(),
    ]
