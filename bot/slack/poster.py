"""Sending to Slack: the Web API client (waits out 429s) and the poster that sends or replaces a
rendered Reply and remembers which papers it showed (for 👍/👎). Also the scheduler's
:class:`~bot.digest.posting.DigestPoster` for Slack.

A post is never retried once the request may have reached Slack (:mod:`bot.slack.retry`): a
5xx answer or a connection dropped mid-request raises
:class:`~bot.digest.posting.PostOutcomeUnknown`.
"""

from __future__ import annotations

import asyncio

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.reply import Reply
from bot.digest.posting import PostOutcomeUnknown
from bot.settings import SlackSettings
from bot.slack.render import render_message
from bot.slack.retry import NOT_SENT, retry_handlers
from bot.store.state import BotState

PLATFORM = "slack"


def make_web_client(slack: SlackSettings) -> AsyncWebClient:
    """A Web API client for ``slack.api_base_url`` that waits out 429s (``Retry-After``) and
    never repeats a message post that may have reached Slack (see :mod:`bot.slack.retry`)."""
    token = slack.bot_token.get_secret_value() if slack.bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=slack.api_base_url,
        retry_handlers=retry_handlers(),
    )


AMBIGUOUS = (aiohttp.ClientError, asyncio.TimeoutError)  # other transport errors, once sent


def outcome_unknown(error: Exception) -> bool:
    """Whether ``error`` leaves open if Slack stored the message (a 5xx, a dropped connection
    or a timeout after the request went out), as opposed to a clear refusal."""
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status >= 500
    return isinstance(error, AMBIGUOUS) and not isinstance(error, NOT_SENT)


class SlackPoster:
    """Posts replies with ``chat.postMessage`` (a :class:`bot.digest.posting.DigestPoster`)."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, state: BotState | None = None) -> None:
        self.client = client
        self.state = state

    async def post(self, channel_id: str, reply: Reply, thread_ts: str | None = None) -> str:
        """Post ``reply`` to ``channel_id`` (in a thread if given); returns the message ``ts``.

        Raises :class:`PostOutcomeUnknown` when Slack may have stored it anyway (5xx, dropped
        connection), :class:`SlackApiError` or a connection error when it clearly did not."""
        try:
            response = await self.client.chat_postMessage(
                channel=channel_id,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
                **render_message(reply),
            )
        except Exception as error:
            if outcome_unknown(error):
                raise PostOutcomeUnknown(f"chat.postMessage: {_describe(error)}") from error
            raise
        return self._remember(response.get("channel") or channel_id, response["ts"], reply)

    async def post_dm(self, user_id: str, reply: Reply) -> str:
        """DM ``reply`` to ``user_id``: ``conversations.open`` for the DM channel, then
        :meth:`post` (same errors; a user Slack won't let us DM raises SlackApiError)."""
        opened = await self.client.conversations_open(users=user_id)
        return await self.post(opened["channel"]["id"], reply)

    async def update(self, channel_id: str, ts: str, reply: Reply) -> str:
        """Replace the message at ``ts`` (e.g. a "Searching…" placeholder) with ``reply``."""
        response = await self.client.chat_update(channel=channel_id, ts=ts, **render_message(reply))
        return self._remember(
            response.get("channel") or channel_id, response.get("ts") or ts, reply
        )

    def _remember(self, channel_id: str, ts: str, reply: Reply) -> str:
        paper_ids = list(reply.paper_ids or (item.paper_id for item in reply.items))
        if self.state is not None and paper_ids:
            self.state.record_answer(PLATFORM, channel_id, ts, paper_ids)
        return ts


def _describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"HTTP {getattr(error.response, 'status_code', '?')} from Slack"
    return f"{type(error).__name__}: {error}".rstrip(": ")
