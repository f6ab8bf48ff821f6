"""Checks every request to the Slack endpoint before bolt sees it.

Slack signs each request; anything unsigned, with a bad signature or a timestamp that is not a
number gets 401. A signed body that is neither JSON nor form data gets 400. A signed payload
that is well-formed but not shaped like anything Slack sends (``"event": null``, an action
without ``action_id``, a slash command without its channel) is acknowledged with 200 and
ignored. None of these reaches bolt, so none ends in a 500 with a traceback in the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from aiohttp import web
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def parse_body(raw: str, content_type: str) -> dict | None:
    """The request's payload as bolt will read it, or None when it is neither JSON nor form."""
    try:
        if content_type == "application/json":
            body = json.loads(raw)
        else:
            form = {k: v[0] for k, v in parse_qs(raw, strict_parsing=True).items()}
            body = json.loads(form["payload"]) if "payload" in form else form
    except (ValueError, KeyError):
        return None
    return body if isinstance(body, dict) else None


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def problem(body: dict) -> str | None:
    """Why ``body`` is not something Paperboy can act on, or None when it is."""
    kind = body.get("type")
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "challenge missing"
    if kind == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _text(event.get("type")):
            return "event missing"
        is_message = event["type"] in ("app_mention", "message")
        if is_message and not (_text(event.get("channel")) and _text(event.get("ts"))):
            return "message event without channel or ts"
        if event["type"] == "reaction_added" and not isinstance(event.get("item"), dict):
            return "reaction without item"
        return None
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "no actions"
        if not all(isinstance(a, dict) and _text(a.get("action_id")) for a in actions):
            return "action without action_id"
        return None
    if "command" in body:
        fields = ("command", "channel_id", "user_id")
        return None if all(_text(body.get(f)) for f in fields) else "command fields missing"
    return None  # other kinds: bolt answers them (404 when nothing listens)


def guard(signing_secret: str, path: str) -> Callable[[web.Request, Handler], Awaitable]:
    """An aiohttp middleware applying the checks above to POSTs on ``path``."""
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method != "POST" or request.path != path:
            return await handler(request)
        raw = (await request.read()).decode("utf-8", errors="replace")
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not verifier.is_valid(raw, timestamp, signature):
            log.warning("Slack request refused: missing or invalid signature")
            return web.json_response({"error": "invalid request"}, status=401)
        body = parse_body(raw, request.content_type)
        if body is None:
            log.warning("Slack request refused: body is neither JSON nor form data")
            return web.json_response({"error": "invalid payload"}, status=400)
        reason = problem(body)
        if reason:
            log.warning("Slack request ignored: %s", reason)
            return web.Response(status=200, text="")
        return await handler(request)

    return check
