"""Running a :class:`~bot.slack.app.SlackBot`: HTTP mode (Events API) or Socket Mode, and its
readiness for ``/healthz``.

HTTP mode is ready while ``auth.test`` accepts the bot token, asked again every ``recheck_s``
(15 s by default), so a revoked token turns readiness off within that time; Socket Mode is ready while its
WebSocket is connected (slack-sdk reconnects by itself). Neither exits when Slack is unreachable:
they retry with back-off and report "not ready" meanwhile.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from bot.ops.server import CheckResult
from bot.slack.app import EVENTS_PATH, SlackBot
from bot.slack.guard import guard

NETWORK_ERRORS = (aiohttp.ClientError, OSError, TimeoutError)

log = logging.getLogger(__name__)


class SlackConnection:
    """Keeps a bot connected and answers "is Slack reachable?" for the health check."""

    def __init__(self, bot: SlackBot, max_wait_s: float = 60.0, recheck_s: float = 15.0) -> None:
        self.bot = bot
        self.max_wait_s = max_wait_s
        self.recheck_s = recheck_s
        self.socket: AsyncSocketModeHandler | None = None
        self._auth = CheckResult(False, "starting: auth.test not answered yet")

    async def check(self) -> CheckResult:
        """Readiness of the platform side (see the module docstring)."""
        if self.bot.settings.mode == "http":
            return self._auth
        if self.socket is None:
            return CheckResult(False, "starting: Socket Mode not connected yet")
        if await self.socket.client.is_connected():
            return CheckResult(True, "Socket Mode connected")
        return CheckResult(False, "Socket Mode connection lost; reconnecting")

    async def verify_auth(self) -> None:
        """Call ``auth.test`` now and then every ``recheck_s`` (network errors: back-off up to
        ``max_wait_s``), keeping the result for :meth:`check`. Runs until cancelled; a
        revoked token turns readiness off, a fixed one turns it back on."""
        wait = 1.0
        while True:
            was_ok = self._auth.ok
            try:
                who = await self.bot.client.auth_test()
                self._auth = CheckResult(
                    True, f"signed in to {who.get('team')} as {who.get('user')}"
                )
                if not was_ok:
                    log.info("Slack auth.test ok: %s", self._auth.detail)
                wait = 1.0
                pause = self.recheck_s
            except SlackApiError as error:
                reason = error.response.get("error", "error")
                self._auth = CheckResult(False, f"Slack rejected the bot token: {reason}")
                log.error("Slack auth.test failed: %s; check PAPERBOY_SLACK__BOT_TOKEN", reason)
                pause = self.recheck_s
            except NETWORK_ERRORS as error:
                self._auth = CheckResult(False, f"Slack unreachable: {error}")
                log.warning("Slack unreachable (%s); retrying in %.0f s", error, wait)
                pause = min(wait, self.recheck_s)
                wait = min(self.max_wait_s, wait * 2)
            await asyncio.sleep(pause)

    async def connect_socket_mode(self, app_token: str) -> AsyncSocketModeHandler:
        """Open Socket Mode (``apps.connections.open`` + WebSocket), retrying network errors."""
        handler = AsyncSocketModeHandler(self.bot.app, app_token, web_client=self.bot.client)
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(NETWORK_ERRORS),
            wait=wait_exponential(multiplier=1, max=self.max_wait_s),
            before_sleep=lambda state: log.warning(
                "Socket Mode connect failed (%s); retrying", state.outcome.exception()
            ),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                await handler.connect_async()
        self.socket = handler
        return handler


async def start_http(bot: SlackBot, host: str, port: int) -> web.AppRunner:
    """Serve the Events API, interactivity and ``/papers`` on ``host:port`` at ``/slack/events``.

    :mod:`bot.slack.guard` refuses unsigned or malformed requests before bolt. Returns the started runner (``cleanup()`` stops it);
    ``runner.addresses`` holds the bound port when ``port`` is 0.
    """
    web_app = bot.app.web_app(path=EVENTS_PATH, port=port)
    secret = bot.settings.signing_secret
    web_app.middlewares.append(guard(secret.get_secret_value() if secret else "", EVENTS_PATH))
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def run_forever(bot: SlackBot, connection: SlackConnection | None = None) -> None:
    """Run ``bot`` in the mode its settings choose until cancelled."""
    connection = connection or SlackConnection(bot)
    slack = bot.settings
    if slack.mode == "http":
        runner = await start_http(bot, slack.http_host, slack.http_port)
        log.info("Slack HTTP mode on %s:%s%s", slack.http_host, slack.http_port, EVENTS_PATH)
        auth = asyncio.create_task(connection.verify_auth())
        try:
            await asyncio.Event().wait()
        finally:
            auth.cancel()
            await runner.cleanup()
        return
    if not slack.app_token:
        raise ValueError(
            "Slack Socket Mode needs an app token (PAPERBOY_SLACK__APP_TOKEN, xapp-...)"
        )
    handler = await connection.connect_socket_mode(slack.app_token.get_secret_value())
    log.info("Slack Socket Mode connected")
    try:
        await asyncio.Event().wait()
    finally:
        await handler.close_async()
