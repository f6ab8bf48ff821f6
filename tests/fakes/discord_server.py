"""A local fake of Discord for end-to-end tests: REST API + WebSocket gateway on 127.0.0.1.

Point the bot's ``settings.discord.api_base_url`` at :attr:`FakeDiscord.api_base_url`; discord.py
then asks ``GET /gateway/bot`` for the gateway URL and connects to this server's ``/gateway``.
The gateway says HELLO, answers IDENTIFY with READY (user + application) and a GUILD_CREATE with
one text channel and an admin role, ACKs heartbeats, and lets the test push INTERACTION_CREATE and
MESSAGE_CREATE dispatches shaped like Discord's. The REST side records every request
(:attr:`FakeDiscord.requests`), stores the messages it creates (:attr:`FakeDiscord.messages`),
rejects messages beyond Discord's documented size limits with a 400 like Discord does, and can
answer the next matching request with a 429 (:meth:`FakeDiscord.rate_limit_once`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"
PERM_MANAGE_CHANNELS = 1 << 4
PERM_MEMBER = 0x0000_0400_0000_0C40  # view channel, send messages, embed links, use app commands
_ids = itertools.count(1)


def snowflake() -> int:
    """A fresh, realistic (18-19 digit) Discord snowflake."""
    return ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(_ids) % 4096)


def iso_now() -> str:
    """Discord's timestamp format."""
    return datetime.now(UTC).isoformat()


def user_payload(user_id: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object."""
    return {
        "id": str(user_id),
        "username": name,
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


@dataclass
class Recorded:
    """One HTTP request that reached the fake."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 200
    at: float = field(default_factory=time.monotonic)


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> web.Response:
    """JSON with Discord's exact ``Content-Type`` (discord.py compares it without a charset)."""
    body = json.dumps(data).encode()
    return web.Response(body=body, status=status, headers=headers, content_type="application/json")


def message_limit_errors(body: dict[str, Any]) -> list[str]:
    """Which of Discord's message size limits ``body`` breaks (empty when it is valid)."""
    errors = []
    if len(body.get("content") or "") > 2000:
        errors.append("content > 2000")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        errors.append("more than 10 embeds")
    total = 0
    for embed in embeds:
        parts = {
            "title": (embed.get("title") or "", 256),
            "description": (embed.get("description") or "", 4096),
            "footer": ((embed.get("footer") or {}).get("text") or "", 2048),
        }
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.append("more than 25 fields")
        for number, fld in enumerate(fields):
            parts[f"field {number} name"] = (fld["name"], 256)
            parts[f"field {number} value"] = (fld["value"], 1024)
            if not fld["name"] or not fld["value"]:
                errors.append(f"field {number} empty")
        for name, (text, limit) in parts.items():
            total += len(text)
            if len(text) > limit:
                errors.append(f"{name} > {limit}")
    if total > 6000:
        errors.append("embeds total > 6000")
    for row in body.get("components") or []:
        for comp in row.get("components", []):
            if len(comp.get("custom_id", "")) > 100 or len(comp.get("label", "")) > 80:
                errors.append("component custom_id/label too long")
    return errors


class FakeDiscord:
    """One fake guild with one text channel, one bot application, and a recording REST API."""

    def __init__(self) -> None:
        self.app_id = snowflake()
        self.bot_user = user_payload(self.app_id, "Paperboy", bot=True)
        self.owner = user_payload(snowflake(), "owner")
        self.guild_id = snowflake()
        self.channel_id = snowflake()
        self.admin_role_id = snowflake()
        self.dm_channel_id = snowflake()
        self.requests: list[Recorded] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.identified = asyncio.Event()
        self._interaction_messages: dict[str, int] = {}  # interaction token -> @original id
        self._rate_limits: list[tuple[str, re.Pattern[str], float]] = []
        self._ws: web.WebSocketResponse | None = None
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> FakeDiscord:
        """Listen on a free loopback port."""
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        p = API_PREFIX
        app.router.add_get(p + "/gateway/bot", self._gateway_bot)
        app.router.add_get(p + "/users/@me", lambda r: json_response(self.bot_user))
        app.router.add_get(p + "/oauth2/applications/@me", self._app_info)
        app.router.add_put(p + "/applications/{app}/commands", self._sync_commands)
        app.router.add_put(p + "/applications/{app}/guilds/{guild}/commands", self._sync_commands)
        app.router.add_post(p + "/interactions/{id}/{token}/callback", self._callback)
        app.router.add_patch(p + "/webhooks/{app}/{token}/messages/@original", self._edit_original)
        app.router.add_post(p + "/webhooks/{app}/{token}", self._followup)
        app.router.add_get(p + "/channels/{channel}", self._channel)
        app.router.add_post(p + "/channels/{channel}/messages", self._channel_message)
        app.router.add_post(p + "/channels/{channel}/typing", lambda r: web.Response(status=204))
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Close the gateway socket and stop serving."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base_url(self) -> str:
        """What ``settings.discord.api_base_url`` should be."""
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    # ---- what tests call -------------------------------------------------------------------
    def rate_limit_once(self, method: str, path_regex: str, retry_after: float) -> None:
        """Answer the next ``method`` request whose path matches with a 429 and ``retry_after``."""
        self._rate_limits.append((method, re.compile(path_regex), retry_after))

    def calls(self, method: str, path_regex: str) -> list[Recorded]:
        """Recorded requests with this method whose API path (after /api/v10) matches."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    async def wait_for(self, method: str, path_regex: str, count: int = 1, timeout: float = 60):
        """Wait until ``count`` successful matching requests arrived; return them."""

        def done() -> bool:
            return len([c for c in self.calls(method, path_regex) if c.status < 300]) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(done), timeout)
        return [c for c in self.calls(method, path_regex) if c.status < 300]

    def member(self, user_id: int, *, admin: bool = False, role: bool = False) -> dict[str, Any]:
        """A guild member payload as sent inside interactions and messages."""
        return {
            "user": user_payload(user_id, f"user{user_id % 1000}"),
            "roles": [str(self.admin_role_id)] if role else [],
            "permissions": str(PERM_MEMBER | (PERM_MANAGE_CHANNELS if admin else 0)),
            "joined_at": iso_now(),
            "nick": None,
            "avatar": None,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }

    async def slash(
        self, sub: str, admin: bool = False, role: bool = False, **options: str
    ) -> dict[str, Any]:
        """Push ``/papers <sub> option=value...`` as an INTERACTION_CREATE; return its payload."""
        opts = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
        data = {
            "id": str(snowflake()),
            "name": "papers",
            "type": 1,
            "guild_id": str(self.guild_id),
            "options": [{"name": sub, "type": 1, "options": opts}],
        }
        return await self._interaction(2, data, admin=admin, role=role)

    async def press(self, message: dict[str, Any], custom_id: str) -> dict[str, Any]:
        """Push a button press on ``message`` (a stored message payload)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._interaction(3, data, message=message)

    async def mention(self, text: str, user_id: int | None = None) -> dict[str, Any]:
        """Push a MESSAGE_CREATE whose text starts with a mention of the bot."""
        return await self.message(f"<@{self.app_id}> {text}", user_id, mentions_bot=True)

    async def message(
        self, content: str, user_id: int | None = None, mentions_bot: bool = False
    ) -> dict[str, Any]:
        """Push a MESSAGE_CREATE of a member's message in the channel."""
        author = user_id or snowflake()
        data = {
            **self._message_base(self.channel_id, author=user_payload(author, "asker")),
            "content": content,
            "mentions": [self.bot_user] if mentions_bot else [],
            "member": {k: v for k, v in self.member(author).items() if k != "user"},
        }
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def react(self, message: dict[str, Any], emoji: str, user_id: int) -> None:
        """Push a MESSAGE_REACTION_ADD of a unicode ``emoji`` on a stored message."""
        data = {
            "user_id": str(user_id),
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "guild_id": str(self.guild_id),
            "member": self.member(user_id),
            "emoji": {"id": None, "name": emoji},
            "message_author_id": message["author"]["id"],
            "burst": False,
            "burst_colors": [],
            "type": 0,
        }
        await self.dispatch("MESSAGE_REACTION_ADD", data)

    async def direct_message(self, text: str) -> dict[str, Any]:
        """Push a MESSAGE_CREATE in a DM channel (no guild, no mention needed)."""
        author = snowflake()
        data = {
            **self._message_base(self.dm_channel_id, author=user_payload(author, "reader")),
            "content": text,
        }
        del data["guild_id"]
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway DISPATCH (op 0)."""
        assert self._ws is not None, "the bot has not connected to the gateway"
        await self._ws.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    def interaction_messages(self, interaction: dict[str, Any]) -> list[dict[str, Any]]:
        """Messages created for one interaction (its original response and follow-ups)."""
        token = interaction["token"]
        return [m for m in self.messages.values() if m.get("_token") == token]

    # ---- gateway ---------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            if payload["op"] == 1:  # heartbeat
                await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:  # identify
                await self._ready(payload["d"])
        return ws

    async def _ready(self, identify: dict[str, Any]) -> None:
        ready = {
            "v": 10,
            "user": self.bot_user,
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": secrets.token_hex(16),
            "resume_gateway_url": f"ws://127.0.0.1:{self.port}/gateway",
            "shard": identify.get("shard", [0, 1]),
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
        }
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", self._guild())
        self.identified.set()

    def _guild(self) -> dict[str, Any]:
        role = {"hoist": False, "managed": False, "mentionable": False, "position": 0, "flags": 0}
        return {
            "id": str(self.guild_id),
            "name": "Paper readers",
            "icon": None,
            "owner_id": self.owner["id"],
            "roles": [
                {
                    **role,
                    "id": str(self.guild_id),
                    "name": "@everyone",
                    "permissions": "1071698660929",
                },
                {**role, "id": str(self.admin_role_id), "name": "Paper Admin", "permissions": "0"},
            ],
            "channels": [self._channel_payload()],
            "members": [{**self.member(self.app_id), "user": self.bot_user}],
            "member_count": 3,
            "large": False,
            "unavailable": False,
            "joined_at": iso_now(),
            "features": [],
            "emojis": [],
            "stickers": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "system_channel_flags": 0,
            "afk_timeout": 300,
        }

    def _channel_payload(self) -> dict[str, Any]:
        return {
            "id": str(self.channel_id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": "papers",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }

    async def _interaction(
        self, kind: int, data: dict, *, admin=False, role=False, message=None
    ) -> dict[str, Any]:
        payload = {
            "id": str(snowflake()),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": "en-US", "features": []},
            "channel_id": str(self.channel_id),
            "channel": self._channel_payload(),
            "member": self.member(snowflake(), admin=admin, role=role),
            "token": secrets.token_urlsafe(48),
            "version": 1,
            "app_permissions": str(PERM_MEMBER),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
            "attachment_size_limit": 10485760,
        }
        if message is not None:
            payload["message"] = public(message)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    # ---- REST ------------------------------------------------------------------------------
    @web.middleware
    async def _record(self, request: web.Request, handler):
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        try:
            body = await request.json() if request.can_read_body else None
        except ValueError:
            body = await request.text()
        rec = Recorded(request.method, request.path[len(API_PREFIX) :], dict(request.query), body)
        self.requests.append(rec)
        response = self._maybe_rate_limit(rec) or await handler(request)
        rec.status = response.status
        async with self._changed:
            self._changed.notify_all()
        return response

    def _maybe_rate_limit(self, rec: Recorded) -> web.Response | None:
        for rule in self._rate_limits:
            method, pattern, retry_after = rule
            if method == rec.method and pattern.fullmatch(rec.path):
                self._rate_limits.remove(rule)
                headers = {
                    "Retry-After": str(max(1, round(retry_after))),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                    "X-RateLimit-Bucket": "fake-bucket",
                    "X-RateLimit-Scope": "user",
                    "Via": "1.1 google",  # discord.py treats a 429 without Via as a Cloudflare ban
                }
                body = {"message": "You are being rate limited.", "retry_after": retry_after}
                return json_response({**body, "global": False}, status=429, headers=headers)
        return None

    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        url = f"ws://127.0.0.1:{self.port}/gateway"
        return json_response({"url": url, "shards": 1, "session_start_limit": limit})

    async def _app_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.app_id),
                "name": "Paperboy",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
            }
        )

    async def _sync_commands(self, request: web.Request) -> web.Response:
        commands = await request.json()
        for command in commands:
            command.update(id=str(snowflake()), application_id=str(self.app_id), version="1")
            command.setdefault("default_member_permissions", None)
        return json_response(commands)

    async def _channel(self, request: web.Request) -> web.Response:
        if int(request.match_info["channel"]) != self.channel_id:
            return json_response({"message": "Unknown Channel", "code": 10003}, status=404)
        return json_response(self._channel_payload())

    async def _callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = request.match_info["token"]
        interaction = {"id": request.match_info["id"], "type": 2}
        resource: dict[str, Any] = {"type": body["type"]}
        if body["type"] == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            error = self._invalid(body["data"])
            if error:
                return error
            message = self._store(self.channel_id, body["data"], token=token)
            self._interaction_messages[token] = int(message["id"])
            resource["message"] = public(message)
            interaction["response_message_id"] = message["id"]
        elif body["type"] == 5:  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
            interaction["response_message_loading"] = True
            flags = (body.get("data") or {}).get("flags", 0)
            interaction["response_message_ephemeral"] = bool(flags & 64)
        return json_response({"interaction": interaction, "resource": resource})

    async def _edit_original(self, request: web.Request) -> web.Response:
        body = await request.json()
        error = self._invalid(body)
        if error:
            return error
        token = request.match_info["token"]
        message_id = self._interaction_messages.get(token)
        message = self._store(self.channel_id, body, token=token, message_id=message_id)
        self._interaction_messages[token] = int(message["id"])
        return json_response(public(message))

    async def _followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        error = self._invalid(body)
        if error:
            return error
        message = self._store(self.channel_id, body, token=request.match_info["token"])
        return json_response(public(message))

    async def _channel_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        error = self._invalid(body)
        if error:
            return error
        return json_response(public(self._store(int(request.match_info["channel"]), body)))

    def _invalid(self, body: dict[str, Any]) -> web.Response | None:
        errors = message_limit_errors(body)
        if not errors:
            return None
        return json_response(
            {"message": "Invalid Form Body", "code": 50035, "errors": errors}, status=400
        )

    def _message_base(self, channel_id: int, author: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(snowflake()),
            "type": 0,
            "channel_id": str(channel_id),
            "guild_id": str(self.guild_id),
            "author": author,
            "content": "",
            "embeds": [],
            "components": [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": 0,
        }

    def _store(
        self,
        channel_id: int,
        body: dict,
        *,
        token: str | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        message = self.messages.get(message_id) if message_id else None
        if message is None:
            message = self._message_base(channel_id, self.bot_user)
            if "message_reference" in body:
                message["type"] = 19
                message["message_reference"] = body["message_reference"]
        else:
            message["edited_timestamp"] = iso_now()
        for key in ("content", "embeds", "components", "flags"):
            if body.get(key) is not None:
                message[key] = body[key]
        message["_allowed_mentions"] = body.get("allowed_mentions")
        message["_token"] = token
        self.messages[int(message["id"])] = message
        return message


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Discord would send it (without the fake's bookkeeping keys)."""
    return {k: v for k, v in message.items() if not k.startswith("_")}
