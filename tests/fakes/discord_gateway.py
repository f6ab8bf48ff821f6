"""The fake Discord's WebSocket gateway, and the events a test pushes through it.

It says HELLO, answers IDENTIFY with READY (user + application) and a GUILD_CREATE of the
:class:`~tests.fakes.discord_payloads.FakeWorld` guild, ACKs heartbeats, and pushes
INTERACTION_CREATE, MESSAGE_CREATE and MESSAGE_REACTION_ADD dispatches shaped like Discord's.
RESUME is answered with RESUMED. A test can drop the session (:meth:`FakeGateway.drop`), refuse
new connections for a while (:attr:`FakeGateway.refusing`) or invalidate the session for good
(:meth:`FakeGateway.invalidate_session`, INVALID_SESSION with ``d: false``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import PERM_MEMBER, FakeWorld, public, snowflake, user_payload


class FakeGateway:
    """The gateway of one bot connection (the latest one wins)."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world
        self.identified = asyncio.Event()
        self._ws: web.WebSocketResponse | None = None
        self._seq = itertools.count(1)
        self.refusing = False
        self.connections = 0  # WebSocket connections accepted
        self.identifies = 0
        self.resumes = 0

    def add_routes(self, app: web.Application) -> None:
        """Serve the gateway at ``/gateway``."""
        app.router.add_get("/gateway", self._serve)

    async def close(self) -> None:
        """Close the gateway socket."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()

    # ---- what tests call -------------------------------------------------------------------
    async def drop(self, code: int = 4000) -> None:
        """Close the bot's gateway socket (Discord's "unknown error, reconnect" close code)."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=code)

    async def invalidate_session(self) -> None:
        """Send INVALID_SESSION ``d: false``: the session cannot be resumed, identify anew."""
        assert self._ws is not None, "the bot has not connected to the gateway"
        await self._ws.send_json({"op": 9, "d": False, "s": None, "t": None})

    async def slash(
        self,
        sub: str,
        admin: bool = False,
        role: bool = False,
        user_id: int | None = None,
        **options: str,
    ) -> dict[str, Any]:
        """Push ``/papers <sub> option=value...`` as an INTERACTION_CREATE (from ``user_id``, a
        new user if not given); return its payload."""
        opts = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
        data = {
            "id": str(snowflake()),
            "name": "papers",
            "type": 1,
            "guild_id": str(self.world.guild_id),
            "options": [{"name": sub, "type": 1, "options": opts}],
        }
        return await self._interaction(2, data, admin=admin, role=role, user_id=user_id)

    async def press(self, message: dict[str, Any], custom_id: str) -> dict[str, Any]:
        """Push a button press on ``message`` (a stored message payload)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interaction(3, data, message=message)

    async def mention(self, text: str, user_id: int | None = None) -> dict[str, Any]:
        """Push a MESSAGE_CREATE whose text starts with a mention of the bot."""
        return await self.message(f"<@{self.world.app_id}> {text}", user_id, mentions_bot=True)

    async def message(
        self, content: str, user_id: int | None = None, mentions_bot: bool = False
    ) -> dict[str, Any]:
        """Push a MESSAGE_CREATE of a member's message in the channel."""
        world = self.world
        author = user_id or snowflake()
        data = {
            **world.message_base(world.channel_id, author=user_payload(author, "asker")),
            "content": content,
            "mentions": [world.bot_user] if mentions_bot else [],
            "member": {k: v for k, v in world.member(author).items() if k != "user"},
        }
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def react(self, message: dict[str, Any], emoji: str, user_id: int) -> None:
        """Push a MESSAGE_REACTION_ADD of a unicode ``emoji`` on a stored message."""
        data = {
            "user_id": str(user_id),
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "guild_id": str(self.world.guild_id),
            "member": self.world.member(user_id),
            "emoji": {"id": None, "name": emoji},
            "message_author_id": message["author"]["id"],
            "burst": False,
            "burst_colors": [],
            "type": 0,
        }
        await self.dispatch("MESSAGE_REACTION_ADD", data)

    async def direct_message(self, text: str, user_id: int | None = None) -> dict[str, Any]:
        """Push a MESSAGE_CREATE in a DM channel (no guild, no mention needed)."""
        author = user_payload(user_id or snowflake(), "reader")
        data = {**self.world.message_base(self.world.dm_channel_id, author=author), "content": text}
        del data["guild_id"]
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH (op 0)."""
        assert self._ws is not None, "the bot has not connected to the gateway"
        await self._ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    # ---- the socket ------------------------------------------------------------------------
    async def _serve(self, request: web.Request) -> web.StreamResponse:
        if self.refusing:
            return web.Response(status=503, text="gateway unavailable")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        self.connections += 1
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            if payload["op"] == 1:  # heartbeat
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:  # identify
                self.identifies += 1
                await self._ready(payload["d"])
            elif payload["op"] == 6:  # resume
                self.resumes += 1
                await self.dispatch("RESUMED", {})
        return ws

    async def _ready(self, identify: dict[str, Any]) -> None:
        world = self.world
        ready = {
            "v": 10,
            "user": world.bot_user,
            "guilds": [{"id": str(world.guild_id), "unavailable": True}],
            "session_id": secrets.token_hex(16),
            "resume_gateway_url": world.gateway_url,
            "shard": identify.get("shard", [0, 1]),
            "application": {"id": str(world.app_id), "flags": 0},
            "private_channels": [],
        }
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", world.guild())
        self.identified.set()

    async def _interaction(
        self, kind: int, data: dict, *, admin=False, role=False, message=None, user_id=None
    ) -> dict[str, Any]:
        world = self.world
        payload = {
            "id": str(snowflake()),
            "application_id": str(world.app_id),
            "type": kind,
            "data": data,
            "guild_id": str(world.guild_id),
            "guild": {"id": str(world.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(world.channel_id),
            "channel": world.channel(),
            "member": world.member(user_id or snowflake(), admin=admin, role=role),
            "token": secrets.token_urlsafe(48),
            "version": 1,
            "app_permissions": str(PERM_MEMBER),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(world.guild_id)},
            "context": 0,
            "attachment_size_limit": 10485760,
        }
        if message is not None:
            payload["message"] = public(message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload
