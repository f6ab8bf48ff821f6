"""The /papers commands are synced with Discord only when they changed (not on every start, not
in a crash loop), and ``paperboy discord sync`` forces a sync. Real discord.py against the fake
Discord API; the last sync's fingerprint lives in the state database."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from bot.discord.bot import PaperboyBot
from bot.settings import DiscordSettings
from bot.store.state import BotState
from tests.fakes.discord_server import FakeDiscord
from tests.fakes.processes import paperboy_env

REPO = Path(__file__).resolve().parents[1]
GUILD_SYNC = r"/applications/\d+/guilds/\d+/commands"
GLOBAL_SYNC = r"/applications/\d+/commands"


@pytest.fixture
async def fake():
    server = await FakeDiscord().start()
    yield server
    await server.close()


async def log_in_and_out(fake: FakeDiscord, state: BotState, guild_ids: list[int]) -> None:
    """What a start does up to the gateway: log in (which runs setup_hook), then stop."""
    settings = DiscordSettings(token="t", guild_ids=guild_ids, api_base_url=fake.api_base_url)
    async with PaperboyBot(None, state, settings) as bot:
        await bot.login("t")


def syncs(fake: FakeDiscord, path: str) -> int:
    return len([c for c in fake.rest.calls("PUT", path) if c.status < 300])


async def test_restarts_do_not_resync_unchanged_commands(fake, tmp_path):
    state = BotState(tmp_path / "state.sqlite3")
    await log_in_and_out(fake, state, [fake.guild_id])
    assert syncs(fake, GUILD_SYNC) == 1, "the first start syncs"
    for _ in range(3):  # restarts, or a crash loop
        await log_in_and_out(fake, state, [fake.guild_id])
    assert syncs(fake, GUILD_SYNC) == 1, "unchanged commands are not synced again"
    await log_in_and_out(fake, state, [])  # the tree now goes globally: it changed
    assert syncs(fake, GLOBAL_SYNC) == 1
    other = BotState(tmp_path / "state.sqlite3")  # another process on the same state
    await log_in_and_out(fake, other, [])
    assert syncs(fake, GLOBAL_SYNC) == 1
    state.close()
    other.close()


async def test_paperboy_discord_sync_forces_a_sync(fake, tmp_path):
    state = BotState(tmp_path / "data" / "state.sqlite3")
    await log_in_and_out(fake, state, [fake.guild_id])
    state.close()
    env = paperboy_env(
        tmp_path / "data",
        DISCORD__TOKEN="t",
        DISCORD__API_BASE_URL=fake.api_base_url,
        DISCORD__GUILD_IDS=f"[{fake.guild_id}]",
    )
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot.cli", "discord", "sync"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"synced the /papers commands to guild(s) {fake.guild_id}" in done.stdout
    assert syncs(fake, GUILD_SYNC) == 2, "forced even though nothing changed"
