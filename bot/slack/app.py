"""The Slack adapter: bolt ``AsyncApp`` listeners (sending: :mod:`bot.slack.poster`, running:
:mod:`bot.slack.runner`).

A thin translator. Slack events (mentions, DMs, ``/papers``, buttons, reactions) become a neutral
:class:`~bot.chat.reply.ChatRequest` for the command router; its :class:`~bot.chat.reply.Reply` goes back as
Block Kit (:mod:`bot.slack.render`). Every listener acknowledges first and searches after, posting
a "Searching…" placeholder when the answer takes longer than ``searching_after_s``. Each Slack
``event_id`` is answered once, even when Slack retries or several processes share the state file.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.buttons import decode, expired_reply
from bot.chat.reply import ChatRequest, Reply
from bot.chat.workers import AnswerWorkers
from bot.ops.metrics import Metrics
from bot.settings import SlackSettings
from bot.slack.poster import PLATFORM, SlackPoster, make_web_client
from bot.slack.render import ACTION_PREFIX, from_slack_text, render_message
from bot.store.state import BotState

EVENTS_PATH = "/slack/events"
SLASH_COMMAND = "/papers"
SEARCHING_TEXT = "🔎 Searching…"
FEEDBACK_REACTIONS = {"+1": 1, "thumbsup": 1, "-1": -1, "thumbsdown": -1}
EPHEMERAL_KINDS = frozenset({"digest", "help", "error"})
PERSONAL_COMMANDS = frozenset({"alert"})  # answered only to the user who typed them
ADMIN_CACHE_S = 600.0

log = logging.getLogger(__name__)


class Router(Protocol):
    """What the adapter needs from :class:`bot.chat.router.CommandRouter`."""

    def handle(self, request: ChatRequest) -> Reply:
        """Answer one request (synchronous, CPU-bound)."""
        ...


class SlackBot:
    """Paperboy's bolt app: one router, one state file, one Web API client."""

    def __init__(
        self,
        slack: SlackSettings,
        router: Router,
        state: BotState,
        *,
        client: AsyncWebClient | None = None,
        searching_after_s: float = 1.0,
        metrics: Metrics | None = None,
        workers: AnswerWorkers | None = None,
    ) -> None:
        """``workers`` runs the router off the event loop (the process's pool from
        :mod:`bot.services`; a private one of the default size when not given)."""
        if slack.mode == "http" and not slack.signing_secret:
            raise ValueError(
                "Slack HTTP mode needs a signing secret (PAPERBOY_SLACK__SIGNING_SECRET)"
            )
        self.settings = slack
        self.router = router
        self.state = state
        self.client = client or make_web_client(slack)
        if not self.client.token:
            raise ValueError("Slack needs a bot token (PAPERBOY_SLACK__BOT_TOKEN, xoxb-...)")
        self.poster = SlackPoster(self.client, state)
        self.searching_after_s = searching_after_s
        self.metrics = metrics or Metrics()
        self.workers = workers or AnswerWorkers()
        self._admins: dict[str, tuple[bool, float]] = {}
        secret = slack.signing_secret.get_secret_value() if slack.signing_secret else ""
        self.app = AsyncApp(
            name="paperboy",
            client=self.client,
            signing_secret=secret,
            request_verification_enabled=slack.mode == "http",
        )
        self.app.middleware(self._answer_each_event_once)
        self.app.event("app_mention")(self._on_mention)
        self.app.event("message")(self._on_message)
        self.app.event("reaction_added")(self._on_reaction)
        self.app.command(SLASH_COMMAND)(self._on_command)
        self.app.action(re.compile(f"^{ACTION_PREFIX}"))(self._on_action)

    # -- listeners ---------------------------------------------------------------------------

    async def _answer_each_event_once(self, body: dict, next: Callable[[], Awaitable]) -> object:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.state.claim_event(f"{PLATFORM}:{event_id}"):
            log.info("Slack event %s already answered; ignoring the redelivery", event_id)
            return BoltResponse(status=200, body="")
        return await next()

    async def _on_mention(self, event: dict, context: dict) -> None:
        text = from_slack_text(event.get("text") or "", context.get("bot_user_id"))
        thread = event.get("thread_ts") or event["ts"]
        request = await self._request(text, event["channel"], event.get("user") or "", thread)
        await self._deliver(request, event["channel"], thread)

    async def _on_message(self, event: dict, context: dict) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins and bot messages (our own included) are not questions
        text = from_slack_text(event.get("text") or "", context.get("bot_user_id"))
        thread = event.get("thread_ts")
        request = await self._request(text, event["channel"], event.get("user") or "", thread)
        await self._deliver(request, event["channel"], thread)

    async def _on_reaction(self, event: dict) -> None:
        item = event.get("item") or {}
        value = FEEDBACK_REACTIONS.get(event.get("reaction", "").split("::")[0])
        if item.get("type") != "message" or value is None:
            return
        ids = self.state.record_feedback(
            PLATFORM, item["channel"], item["ts"], event.get("user", ""), value
        )
        if ids:
            self.metrics.record_feedback(PLATFORM, value)
            log.info("feedback %+d on %d paper(s) in %s", value, len(ids), item["channel"])

    async def _on_command(self, ack: Callable, command: dict, respond: Callable) -> None:
        await ack()
        text = from_slack_text(command.get("text", ""))
        request = await self._request(text, command["channel_id"], command["user_id"])
        task = asyncio.ensure_future(self._handle(request))
        placeholder = not await self._ready_soon(task)
        if placeholder:
            await respond(text=SEARCHING_TEXT, response_type="ephemeral")
        reply = await task
        personal = request.text.split(" ", 1)[0].lower() in PERSONAL_COMMANDS
        kind = "ephemeral" if reply.kind in EPHEMERAL_KINDS or personal else "in_channel"
        await self._respond(respond, reply, kind, replace=placeholder)

    async def _on_action(self, ack: Callable, body: dict, action: dict, respond: Callable) -> None:
        await ack()
        channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get(
            "channel_id", ""
        )
        user = (body.get("user") or {}).get("id", "")
        command = decode(action.get("value"))
        if command is None:  # garbled, or from another version: never run it as a search
            log.info("expired Slack button value %r", str(action.get("value"))[:100])
            await self._respond(respond, expired_reply(), "ephemeral")
            return
        message = body.get("message")
        in_dm = channel.startswith("D")
        thread_ts = None
        if message:
            thread_ts = message.get("thread_ts") or (None if in_dm else message.get("ts"))
        request = await self._request(command, channel, user, thread_ts)
        private = body.get("container", {}).get("is_ephemeral") or message is None or not channel
        if private or action.get("action_id", "").startswith(f"{ACTION_PREFIX}feedback"):
            await self._respond(respond, await self._handle(request), "ephemeral")
            return
        await self._deliver(request, channel, thread_ts, respond=respond)

    # -- helpers -----------------------------------------------------------------------------

    async def _request(
        self, text: str, channel_id: str, user_id: str, thread_ts: str | None = None
    ) -> ChatRequest:
        return ChatRequest(
            text=text or "help",
            platform=PLATFORM,
            channel_id=channel_id,
            user_id=user_id,
            is_admin=await self.is_admin(user_id),
            thread_id=thread_ts or "",
        )

    async def is_admin(self, user_id: str) -> bool:
        """Allow-listed, or a workspace admin/owner per ``users.info`` (cached for 10 minutes)."""
        if user_id in self.settings.admin_user_ids:
            return True
        cached = self._admins.get(user_id)
        if cached and time.monotonic() - cached[1] < ADMIN_CACHE_S:
            return cached[0]
        try:
            user = (await self.client.users_info(user=user_id))["user"]
            admin = bool(user.get("is_admin") or user.get("is_owner"))
        except SlackApiError as error:
            log.warning("users.info failed (%s); treating %s as a member", error, user_id)
            return False
        self._admins[user_id] = (admin, time.monotonic())
        return admin

    async def _handle(self, request: ChatRequest) -> Reply:
        try:
            return await self.workers.run(self.router.handle, request)
        except Exception:
            log.exception("the router failed on a Slack request")
            return Reply(
                title="Something went wrong",
                text="Sorry, I could not answer that. Please try again in a moment.",
                kind="error",
            )

    async def _ready_soon(self, task: asyncio.Future) -> bool:
        done, _ = await asyncio.wait({task}, timeout=self.searching_after_s)
        return bool(done)

    async def _deliver(
        self,
        request: ChatRequest,
        channel: str,
        thread_ts: str | None,
        respond: Callable | None = None,
    ) -> None:
        """Answer in ``channel`` (thread ``thread_ts``), via a placeholder if the search is slow."""
        task = asyncio.ensure_future(self._handle(request))
        try:
            placeholder = None
            if not await self._ready_soon(task):
                posted = await self.client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, text=SEARCHING_TEXT
                )
                placeholder = posted["ts"]
            reply = await task
            if placeholder:
                await self.poster.update(channel, placeholder, reply)
            else:
                await self.poster.post(channel, reply, thread_ts=thread_ts)
        except SlackApiError as error:
            if respond is None:
                raise
            log.info("cannot post in %s (%s); using the response_url", channel, error)
            await self._respond(respond, await task, "in_channel")

    async def _respond(
        self, respond: Callable, reply: Reply, response_type: str, *, replace: bool = False
    ) -> None:
        """Answer through the ``response_url``; ``replace`` puts it in place of the
        "Searching…" placeholder sent there."""
        sent = await respond(
            response_type=response_type,
            replace_original=replace,
            unfurl_links=False,
            **render_message(reply),
        )
        if getattr(sent, "status_code", 200) >= 400:
            log.warning("response_url answered %s", sent.status_code)
