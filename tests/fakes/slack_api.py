"""A local fake of the Slack Web API, response URLs and the Socket Mode WebSocket.

An aiohttp server on ``127.0.0.1:<free port>`` that records every call and answers like Slack:
``auth.test``, ``conversations.open`` (a DM channel ``D<user>``), ``chat.postMessage`` / ``chat.update`` (rejecting messages over Slack's limits the
way Slack does), ``chat.postEphemeral``, ``reactions.add``, ``users.info`` (admins configurable),
``apps.connections.open`` (a ``ws://`` URL to :meth:`FakeSlackApi.send_envelope`'s socket),
``views.*`` and ``POST /response/<name>`` for response URLs. ``rate_limit_once(method)`` makes the
next call of ``method`` answer 429 with ``Retry-After``;
``fail_once(method, error)`` makes it answer ``ok: false``;
``store_then_fail_once(method, how)`` makes it do the work (a message is stored in
:attr:`FakeSlackApi.posted`) and then answer HTTP 503 (``how="503"``) or drop the connection
without answering (``how="drop"``), as Slack does when it fails after storing. A token in
:attr:`FakeSlackApi.revoked` gets ``invalid_auth`` from every method; ``revoke_auth()`` makes every
call answer ``invalid_auth`` until ``restore_auth()``. Response URLs keep what the user sees:
``replace_original: true`` replaces the message posted there before (``shown(name)``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from tests.fakes.slack_limits import message_problem

__all__ = ["BOT_ID", "BOT_USER_ID", "TEAM_ID", "Call", "FakeSlackApi", "message_problem"]

BOT_USER_ID = "UBOTPAPER"
BOT_ID = "BBOTPAPER"
TEAM_ID = "T0FAKE"
JSON_FIELDS = ("blocks", "attachments", "metadata")


@dataclass
class Call:
    """One request the fake received."""

    method: str
    params: dict
    token: str | None = None
    status: int = 200
    response: dict = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when it reached the fake


@dataclass
class FakeSlackApi:
    """Start with ``async with FakeSlackApi() as slack:``; point clients at ``slack.base_url``."""

    admins: set[str] = field(default_factory=set)
    calls: list[Call] = field(default_factory=list)
    acks: dict[str, dict] = field(default_factory=dict)
    _rate_limits: dict[str, int] = field(default_factory=dict)
    posted: list[dict] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)  # tokens answered with invalid_auth
    _failures: dict[str, str] = field(default_factory=dict)
    _after_store: dict[str, str] = field(default_factory=dict)
    _shown: dict[str, list[dict]] = field(default_factory=dict)
    auth_revoked: bool = False  # revoke_auth(): every token answered with invalid_auth
    _sockets: list[web.WebSocketResponse] = field(default_factory=list)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(100))
    _runner: web.AppRunner | None = None
    port: int = 0

    async def __aenter__(self) -> FakeSlackApi:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)  # slack-sdk GETs a few (users.info)
        app.router.add_post("/response/{name}", self._response_url)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests use ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The Web API base URL (``AsyncWebClient(base_url=...)``)."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        """A response URL whose posts are recorded as method ``response_url:<name>``."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def rate_limit_once(self, method: str, retry_after: int = 1) -> None:
        """Answer the next call of ``method`` with HTTP 429 and ``Retry-After: retry_after``."""
        self._rate_limits[method] = retry_after

    def fail_once(self, method: str, error: str) -> None:
        """Answer the next call of ``method`` with ``{"ok": false, "error": error}``."""
        self._failures[method] = error

    def store_then_fail_once(self, method: str, how: str = "503") -> None:
        """Let the next call of ``method`` take effect, then answer HTTP 503 (``how="503"``)
        or close the connection without an answer (``how="drop"``)."""
        assert how in ("503", "drop"), how
        self._after_store[method] = how

    def revoke_auth(self) -> None:
        """Answer every Web API call with ``invalid_auth`` (a revoked or rotated token)."""
        self.auth_revoked = True

    def restore_auth(self) -> None:
        """Accept the token again."""
        self.auth_revoked = False

    def shown(self, name: str) -> list[dict]:
        """The messages a user sees from response URL ``name``, oldest first (a post with
        ``replace_original: true`` replaces the latest one)."""
        return list(self._shown.get(name, []))

    def of(self, method: str) -> list[Call]:
        """The calls of ``method`` received so far (successful and rate-limited)."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 60) -> list[Call]:
        """Wait until ``method`` was called successfully ``count`` times; return those calls."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            done = [c for c in self.of(method) if c.status == 200]
            if len(done) >= count:
                return done
            if loop.time() > deadline:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"{method} x{count} not received in {timeout}s; got {seen}")
            await asyncio.sleep(0.02)

    async def send_envelope(self, kind: str, payload: dict, retry_attempt: int = 0) -> str:
        """Send a Socket Mode envelope over the open WebSocket; returns its envelope_id."""
        await self._wait(lambda: bool(self._sockets), "a Socket Mode connection")
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": "",
        }
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> dict:
        """The ack the client sent back for ``envelope_id``."""
        await self._wait(lambda: envelope_id in self.acks, f"the ack of {envelope_id}", timeout)
        return self.acks[envelope_id]

    async def _wait(self, ready, what: str, timeout: float = 10) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not ready():
            if loop.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.02)

    # -- the server --------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") or params.get("token")
        if method in self._rate_limits:
            retry_after = self._rate_limits.pop(method)
            self.calls.append(Call(method, params, token, status=429))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        call = Call(method, params, token)
        self.calls.append(call)
        if method in self._failures:
            call.response = {"ok": False, "error": self._failures.pop(method)}
        elif not token:
            call.response = {"ok": False, "error": "not_authed"}
        elif token in self.revoked or self.auth_revoked:
            call.response = {"ok": False, "error": "invalid_auth"}
        else:
            call.response = self._answer(method, params)
        how = self._after_store.pop(method, None)
        if how == "drop":
            call.status = 0  # stored, never answered
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=500)  # never reaches the client
        if how == "503":
            call.status = 503
            return web.Response(status=503, text="upstream connect error", content_type="text/html")
        return web.json_response(call.response)

    def _answer(self, method: str, params: dict) -> dict:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "paperboy",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method == "conversations.open":
            user = str(params.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": f"D{user}", "is_im": True, "user": user}}
        if method in ("chat.postMessage", "chat.update"):
            problem = message_problem(params)
            if problem:
                return {"ok": False, "error": problem}
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            if method == "chat.postMessage":
                self.posted.append({**params, "ts": ts})
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": params}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"1700000000.{next(self._ts):06d}"}
        if method == "users.info":
            user = params.get("user", "")
            admin = user in self.admins
            return {"ok": True, "user": {"id": user, "is_admin": admin, "is_owner": False}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"}
        if method.startswith("views."):
            return {"ok": True, "view": {"id": "VFAKE", **params.get("view", {})}}
        return {"ok": True}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = request.match_info["name"]
        self.calls.append(Call(f"response_url:{name}", body))
        shown = self._shown.setdefault(name, [])
        if body.get("delete_original"):
            del shown[-1:]
        elif body.get("replace_original") in (True, "true") and shown:
            shown[-1] = body
        else:
            shown.append(body)
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.acks[data["envelope_id"]] = data
        return ws


async def _params(request: web.Request) -> dict:
    params = dict(request.query)
    if request.content_type == "application/json":
        return params | await request.json()
    params |= dict(await request.post())
    for name in JSON_FIELDS:
        if isinstance(params.get(name), str):
            params[name] = json.loads(params[name])
    return params
