"""A local fake of Discord for end-to-end tests: REST API + WebSocket gateway on 127.0.0.1.

Point the bot's ``settings.discord.api_base_url`` at :attr:`FakeDiscord.api_base_url`; discord.py
then asks ``GET /gateway/bot`` for the gateway URL and connects to this server's ``/gateway``.
The gateway (:mod:`tests.fakes.discord_gateway`) lets the test push interactions, messages and
reactions; the REST API (:mod:`tests.fakes.discord_rest`) records every request, stores the
messages it creates, rejects messages beyond Discord's size limits with a 400 and can answer the
next matching request with a 429. Both serve one :class:`~tests.fakes.discord_payloads.FakeWorld`.
"""

from __future__ import annotations

from aiohttp import web

from tests.fakes.discord_gateway import FakeGateway
from tests.fakes.discord_payloads import API_PREFIX, FakeWorld
from tests.fakes.discord_rest import FakeRestApi, Recorded, message_limit_errors

__all__ = ["FakeDiscord", "Recorded", "message_limit_errors"]


class FakeDiscord(FakeWorld):
    """One fake guild with one text channel, one bot application, a gateway and a REST API.

    The ids (``app_id``, ``guild_id``, ``channel_id``, ``dm_channel_id`` ...) come from
    :class:`FakeWorld`; the gateway's and the REST API's test methods are offered here too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.gateway = FakeGateway(self)
        self.rest = FakeRestApi(self)
        self._runner: web.AppRunner | None = None
        # what tests push through the gateway
        self.identified = self.gateway.identified
        self.slash = self.gateway.slash
        self.press = self.gateway.press
        self.mention = self.gateway.mention
        self.message = self.gateway.message
        self.react = self.gateway.react
        self.direct_message = self.gateway.direct_message
        self.dispatch = self.gateway.dispatch
        # what the bot sent over REST
        self.requests = self.rest.requests
        self.messages = self.rest.messages
        self.calls = self.rest.calls
        self.wait_for = self.rest.wait_for
        self.rate_limit_once = self.rest.rate_limit_once
        self.store_then_fail_once = self.rest.store_then_fail_once
        self.refuse_once = self.rest.refuse_once
        self.reject_once = self.rest.reject_once
        self.interaction_messages = self.rest.interaction_messages

    async def start(self, port: int = 0) -> FakeDiscord:
        """Listen on ``port`` of 127.0.0.1 (0: a free one)."""
        app = web.Application(middlewares=[self.rest.record])
        self.gateway.add_routes(app)
        self.rest.add_routes(app)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Close the gateway socket and stop serving."""
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def revoke_token(self) -> None:
        """Answer every REST request with 401 Unauthorized, as Discord does for a reset token."""
        self.rest.token_revoked = True

    @property
    def api_base_url(self) -> str:
        """What ``settings.discord.api_base_url`` should be."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"
