"""Sending to Slack: the Web API client (waits out 429s) and the poster that sends or replaces a
rendered Reply and remembers which papers it showed (for 👍/👎). Also the scheduler's
:class:`~bot.digest.posting.DigestPoster` for Slack."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.reply import Reply
from bot.settings import SlackSettings
from bot.slack.render import render_message
from bot.store.state import BotState

PLATFORM = "slack"


def make_web_client(slack: SlackSettings) -> AsyncWebClient:
    """A Web API client for ``slack.api_base_url`` that waits out 429s (``Retry-After``)."""
    token = slack.bot_token.get_secret_value() if slack.bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=slack.api_base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(),
        ],
    )


class SlackPoster:
    """Posts replies with ``chat.postMessage`` (a :class:`bot.digest.posting.DigestPoster`)."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, state: BotState | None = None) -> None:
        self.client = client
        self.state = state

    async def post(self, channel_id: str, reply: Reply, thread_ts: str | None = None) -> str:
        """Post ``reply`` to ``channel_id`` (in a thread if given); returns the message ``ts``."""
        response = await self.client.chat_postMessage(
            channel=channel_id,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
            **render_message(reply),
        )
        return self._remember(response.get("channel") or channel_id, response["ts"], reply)

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
