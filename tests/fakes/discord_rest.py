"""The fake Discord's REST API (``/api/v10``): records, stores, validates and rate-limits.

Every request is recorded (:attr:`FakeRestApi.requests`), the messages it creates are stored
(:attr:`FakeRestApi.messages`), messages beyond Discord's documented size limits or with an
embed URL Discord refuses get a 400 like Discord's, and the next matching request can be
answered with a 429 (:meth:`FakeRestApi.rate_limit_once`), a 400 (:meth:`FakeRestApi.reject_once`),
or handled (the message stored) and then answered with a 5xx or a dropped connection
(:meth:`FakeRestApi.store_then_fail_once`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.discord_limits import embed_url_errors, message_limit_errors
from tests.fakes.discord_payloads import API_PREFIX, FakeWorld, iso_now, public, snowflake

__all__ = ["FakeRestApi", "Recorded", "embed_url_errors", "json_response", "message_limit_errors"]


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


def _take(rules: list[tuple[str, re.Pattern[str], str]], rec: Recorded) -> str | None:
    """Remove and return the value of the first rule matching ``rec``, if any."""
    for rule in rules:
        method, pattern, value = rule
        if method == rec.method and pattern.fullmatch(rec.path):
            rules.remove(rule)
            return value
    return None


class FakeRestApi:
    """The REST endpoints discord.py calls for Paperboy, with a recording middleware."""

    def __init__(self, world: FakeWorld) -> None:
        self.world = world
        self.requests: list[Recorded] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self._interaction_messages: dict[str, int] = {}  # interaction token -> @original id
        self._rate_limits: list[tuple[str, re.Pattern[str], float]] = []
        self._after_store: list[tuple[str, re.Pattern[str], str]] = []
        self._refusals: list[tuple[str, re.Pattern[str], str]] = []
        self.token_revoked = False  # True: every request answers 401, as for a reset token
        self._rejections: list[tuple[str, re.Pattern[str]]] = []
        self._changed = asyncio.Condition()

    def add_routes(self, app: web.Application) -> None:
        """Serve the API under ``/api/v10`` of ``app`` (whose middlewares include :meth:`record`)."""
        p = API_PREFIX
        app.router.add_get(p + "/gateway/bot", self._gateway_bot)
        app.router.add_get(p + "/users/@me", lambda r: json_response(self.world.bot_user))
        app.router.add_get(p + "/oauth2/applications/@me", self._app_info)
        app.router.add_put(p + "/applications/{app}/commands", self._sync_commands)
        app.router.add_put(p + "/applications/{app}/guilds/{guild}/commands", self._sync_commands)
        app.router.add_post(p + "/interactions/{id}/{token}/callback", self._callback)
        app.router.add_patch(p + "/webhooks/{app}/{token}/messages/@original", self._edit_original)
        app.router.add_post(p + "/webhooks/{app}/{token}", self._followup)
        app.router.add_post(p + "/users/@me/channels", self._open_dm)
        app.router.add_get(p + "/channels/{channel}", self._channel)
        app.router.add_post(p + "/channels/{channel}/messages", self._channel_message)
        app.router.add_post(p + "/channels/{channel}/typing", lambda r: web.Response(status=204))

    # ---- what tests call -------------------------------------------------------------------
    def rate_limit_once(self, method: str, path_regex: str, retry_after: float) -> None:
        """Answer the next ``method`` request whose path matches with a 429 and ``retry_after``."""
        self._rate_limits.append((method, re.compile(path_regex), retry_after))

    def store_then_fail_once(self, method: str, path_regex: str, how: str = "503") -> None:
        """Handle the next matching request (storing its message), then answer it with an HTTP
        status (``how="503"``, ``"500"`` ...) or drop the connection (``how="drop"``)."""
        assert how == "drop" or how.isdigit(), how
        self._after_store.append((method, re.compile(path_regex), how))

    def refuse_once(self, method: str, path_regex: str, status: int = 403) -> None:
        """Answer the next matching request with ``status`` (e.g. 403 Missing Access) unhandled."""
        self._refusals.append((method, re.compile(path_regex), str(status)))

    def reject_once(self, method: str, path_regex: str) -> None:
        """Answer the next ``method`` request whose path matches with 400 Invalid Form Body
        (as Discord does for an embed it will not take)."""
        self._rejections.append((method, re.compile(path_regex)))

    def calls(self, method: str, path_regex: str) -> list[Recorded]:
        """Recorded requests with this method whose API path (after /api/v10) matches."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.path)]

    async def wait_for(self, method: str, path_regex: str, count: int = 1, timeout: float = 60):
        """Wait until ``count`` successful matching requests arrived; return them."""

        def succeeded() -> list[Recorded]:
            return [c for c in self.calls(method, path_regex) if c.status < 300]

        async with self._changed:
            await asyncio.wait_for(
                self._changed.wait_for(lambda: len(succeeded()) >= count), timeout
            )
        return succeeded()

    def interaction_messages(self, interaction: dict[str, Any]) -> list[dict[str, Any]]:
        """Messages created for one interaction (its original response and follow-ups)."""
        token = interaction["token"]
        return [m for m in self.messages.values() if m.get("_token") == token]

    # ---- recording and rate limits ---------------------------------------------------------
    @web.middleware
    async def record(self, request: web.Request, handler):
        """Middleware: record API requests, answer a pending 429, wake :meth:`wait_for`."""
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        try:
            body = await request.json() if request.can_read_body else None
        except ValueError:
            body = await request.text()
        rec = Recorded(request.method, request.path[len(API_PREFIX) :], dict(request.query), body)
        self.requests.append(rec)
        refused = "401" if self.token_revoked else _take(self._refusals, rec)
        if refused == "401":
            response = json_response({"message": "401: Unauthorized", "code": 0}, 401)
        elif refused is not None:
            response = json_response({"message": "Missing Access", "code": 50001}, int(refused))
        else:
            response = self._maybe_rate_limit(rec) or await handler(request)
        rec.status = response.status
        how = None if refused is not None else _take(self._after_store, rec)
        if how == "drop":
            rec.status = 0  # handled, never answered
            assert request.transport is not None
            request.transport.abort()
        elif how is not None:
            rec.status = int(how)
            response = json_response({"message": "Service Unavailable", "code": 0}, rec.status)
        async with self._changed:
            self._changed.notify_all()
        return response

    def _maybe_rate_limit(self, rec: Recorded) -> web.Response | None:
        for rule in self._rejections:
            if rule[0] == rec.method and rule[1].fullmatch(rec.path):
                self._rejections.remove(rule)
                errors = {"embeds": {"0": {"url": {"_errors": [{"code": "URL_TYPE_INVALID_URL"}]}}}}
                body = {"message": "Invalid Form Body", "code": 50035, "errors": errors}
                return json_response(body, status=400)
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

    # ---- endpoints -------------------------------------------------------------------------
    async def _gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        url = self.world.gateway_url
        return json_response({"url": url, "shards": 1, "session_start_limit": limit})

    async def _app_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "id": str(self.world.app_id),
                "name": "Paperboy",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.world.owner,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
            }
        )

    async def _sync_commands(self, request: web.Request) -> web.Response:
        commands = await request.json()
        for command in commands:
            command.update(id=str(snowflake()), application_id=str(self.world.app_id), version="1")
            command.setdefault("default_member_permissions", None)
        return json_response(commands)

    async def _channel(self, request: web.Request) -> web.Response:
        if int(request.match_info["channel"]) != self.world.channel_id:
            return json_response({"message": "Unknown Channel", "code": 10003}, status=404)
        return json_response(self.world.channel())

    async def _open_dm(self, request: web.Request) -> web.Response:
        """``POST /users/@me/channels``: the bot's DM channel with a user (the same one each
        time, as Discord does), recorded in ``world.dm_channels``."""
        recipient = int((await request.json())["recipient_id"])
        channel = self.world.dm_channels.setdefault(recipient, snowflake())
        user = {"id": str(recipient), "username": f"user{recipient}", "discriminator": "0"}
        return json_response({"id": str(channel), "type": 1, "recipients": [user]})

    async def _callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        token = request.match_info["token"]
        interaction = {"id": request.match_info["id"], "type": 2}
        resource: dict[str, Any] = {"type": body["type"]}
        if body["type"] == 4:  # CHANNEL_MESSAGE_WITH_SOURCE
            error = self._invalid(body["data"])
            if error:
                return error
            message = self._store(self.world.channel_id, body["data"], token=token)
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
        message = self._store(self.world.channel_id, body, token=token, message_id=message_id)
        self._interaction_messages[token] = int(message["id"])
        return json_response(public(message))

    async def _followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        error = self._invalid(body)
        if error:
            return error
        message = self._store(self.world.channel_id, body, token=request.match_info["token"])
        return json_response(public(message))

    async def _channel_message(self, request: web.Request) -> web.Response:
        body = await request.json()
        error = self._invalid(body)
        if error:
            return error
        return json_response(public(self._store(int(request.match_info["channel"]), body)))

    def _invalid(self, body: dict[str, Any]) -> web.Response | None:
        errors = message_limit_errors(body) + embed_url_errors(body)
        if not errors:
            return None
        return json_response(
            {"message": "Invalid Form Body", "code": 50035, "errors": errors}, status=400
        )

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
            message = self.world.message_base(channel_id, self.world.bot_user)
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
