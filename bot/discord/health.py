"""Readiness of the Discord side for ``/healthz``: is a gateway session up right now?

discord.py's ``is_ready()`` stays true once the first READY came, also while the gateway
session is gone and the client reconnects. The session is tracked from the shard events
instead: down on every disconnect, up again on READY (a new session) or RESUMED.
"""

from __future__ import annotations

import math

import discord

from bot.ops.server import CheckResult


class GatewayHealth(discord.Client):
    """A mix-in for the bot: ``connection_check`` follows the gateway session."""

    _gateway_up = False

    async def connection_check(self) -> CheckResult:
        """Readiness for ``/healthz``: the gateway session is up (discord.py reconnects itself)."""
        if self.is_closed():
            return CheckResult(False, "Discord client closed")
        if not self.is_ready():
            return CheckResult(False, "connecting to the Discord gateway")
        if not self._gateway_up:
            return CheckResult(False, "Discord gateway session lost; reconnecting")
        latency = self.latency
        shown = f"{latency * 1000:.0f} ms" if math.isfinite(latency) else "n/a"
        return CheckResult(True, f"gateway connected as {self.user}, latency {shown}")

    async def on_shard_ready(self, shard_id: int) -> None:
        """A gateway session is up (after IDENTIFY)."""
        self._gateway_up = True

    async def on_shard_resumed(self, shard_id: int) -> None:
        """A gateway session is up again (after RESUME)."""
        self._gateway_up = True

    async def on_shard_disconnect(self, shard_id: int) -> None:
        """The gateway session is gone until the next READY or RESUMED."""
        self._gateway_up = False
