"""Syncing the ``/papers`` slash commands with Discord only when they changed.

discord.py's own examples warn against syncing on every start: Discord rate-limits command
updates, and a crash loop would re-sync each time. The command tree's payload (plus the guilds it
goes to) is fingerprinted; the fingerprint of the last sync is kept in the state database, shared
by every process, and a start with the same fingerprint does not call Discord.
``paperboy discord sync`` forces a sync.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Protocol

from discord import app_commands

from bot.store.state import BotState

log = logging.getLogger(__name__)


class Syncer(Protocol):
    """The bot's side of a sync (:class:`bot.discord.bot.PaperboyBot`)."""

    tree: app_commands.CommandTree
    state: BotState
    application_id: int | None

    async def sync_commands(self) -> None: ...


def tree_fingerprint(tree: app_commands.CommandTree, guild_ids: list[int]) -> str:
    """A stable hash of what a sync would send: every global command's payload and the guilds."""
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    text = json.dumps({"commands": payload, "guilds": sorted(guild_ids)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


async def sync_if_changed(bot: Syncer, guild_ids: list[int], *, force: bool = False) -> bool:
    """Sync the commands unless the last sync (recorded in the state database) sent the same
    tree; True when it synced."""
    key = f"discord:commands:{bot.application_id}"
    fingerprint = tree_fingerprint(bot.tree, guild_ids)
    if not force and bot.state.meta(key) == fingerprint:
        log.info("slash commands unchanged since the last sync; not syncing")
        return False
    await bot.sync_commands()
    bot.state.set_meta(key, fingerprint)
    return True
