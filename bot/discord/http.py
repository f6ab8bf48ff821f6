"""Per-client API base URL for discord.py (a local fake, a proxy) without touching the process.

discord.py builds every REST and interaction URL from the class attribute ``Route.BASE``.
Instead of changing it for the whole process, each bot rewrites its own routes: REST calls via
its :class:`~discord.http.HTTPClient` instance (:func:`rebase_http_client`), interaction and
webhook calls via the webhook adapter of its task (:func:`rebase_webhooks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

Rebase = Callable[[Route], Route]


def make_rebaser(api_base_url: str) -> Rebase | None:
    """A function moving a Route onto ``api_base_url``; None when that is Discord's own API."""
    base = api_base_url.rstrip("/")
    if base == Route.BASE:
        return None

    def rebase(route: Route) -> Route:
        if route.url.startswith(Route.BASE):
            route.url = base + route.url[len(Route.BASE) :]
        return route

    return rebase


def rebase_http_client(http: HTTPClient, rebase: Rebase) -> None:
    """Send this client's REST requests to the rebased URLs."""
    original = http.request

    async def request(route: Route, **kwargs: Any) -> Any:
        return await original(rebase(route), **kwargs)

    http.request = request  # type: ignore[method-assign]


def rebase_gateway(http: HTTPClient) -> None:
    """Keep this client's gateway connections on the gateway its API named.

    discord.py asks ``GET /gateway/bot`` only at start; after a non-resumable INVALID_SESSION or
    a full reconnect it dials its built-in ``wss://gateway.discord.gg``. This client remembers
    the URL its API gave and dials that one instead.
    """
    named: dict[str, str] = {}
    get_bot_gateway, ws_connect = http.get_bot_gateway, http.ws_connect
    default = str(DiscordWebSocket.DEFAULT_GATEWAY)

    async def remembered_gateway(*args: Any, **kwargs: Any) -> Any:
        shards, url, limits = await get_bot_gateway(*args, **kwargs)
        named["url"] = url
        return shards, url, limits

    async def connect(url: str, **kwargs: Any) -> Any:
        if "url" in named and url.startswith(default):
            url = str(yarl.URL(named["url"]).with_query(yarl.URL(url).query))
        return await ws_connect(url, **kwargs)

    http.get_bot_gateway = remembered_gateway  # type: ignore[method-assign]
    http.ws_connect = connect  # type: ignore[method-assign]


def rebase_webhooks(rebase: Rebase) -> None:
    """Send interaction and webhook calls made from the current task (and the tasks it spawns,
    and only those) to the rebased URLs.

    discord.py looks the webhook adapter up from a context variable, so call this in the task
    that logs the bot in, before it starts the gateway.
    """
    async_context.set(_RebasedWebhookAdapter(rebase))


class _RebasedWebhookAdapter(AsyncWebhookAdapter):
    def __init__(self, rebase: Rebase) -> None:
        super().__init__()
        self._rebase = rebase

    async def request(self, route: Route, session, **kwargs: Any) -> Any:  # type: ignore[override]
        return await super().request(self._rebase(route), session, **kwargs)
