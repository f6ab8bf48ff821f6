"""``paperboy discord``: run the Discord bot (slash commands, mentions, buttons) and digests."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.common import configure_logging, load_settings, run_process
from bot.cli.health import no_scheduler_option, ops_port_option

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add ``discord`` (and ``discord sync``) to the ``paperboy`` CLI."""
    group = typer.Typer(
        help="Run Paperboy in Discord: /papers commands, @mentions, buttons and channel digests.",
        invoke_without_command=True,
    )
    group.callback(invoke_without_command=True)(discord_command)
    group.command("sync")(sync_command)
    app.add_typer(group, name="discord")


def _with_token(settings: Settings, guild: list[int] | None) -> Settings:
    if guild:
        settings.discord = settings.discord.model_copy(update={"guild_ids": list(guild)})
    if settings.discord.token is None:
        typer.echo(
            "Discord needs PAPERBOY_DISCORD__TOKEN (the bot token); see docs/discord.md.", err=True
        )
        raise typer.Exit(2)
    return settings


def discord_command(
    ctx: typer.Context,
    guild: Annotated[
        list[int] | None,
        typer.Option(help="sync /papers to this guild id (repeatable; default: discord.guild_ids)"),
    ] = None,
    no_scheduler: Annotated[bool, no_scheduler_option()] = False,
    ops_port: Annotated[int | None, ops_port_option("discord")] = None,
) -> None:
    """Run Paperboy in Discord: /papers commands, @mentions, buttons and channel digests.

    The /papers commands are synced with Discord at start only when they changed since the last
    sync; `paperboy discord sync` forces one."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _with_token(load_settings(), guild)
    configure_logging(settings.log_level)
    run_process(serve_discord(settings, scheduler=not no_scheduler, ops_port=ops_port))


async def serve_discord(
    settings: Settings, scheduler: bool = True, ops_port: int | None = None
) -> None:
    """Serve health and metrics, build the services (waiting for Chroma if needed), log in,
    start the digest scheduler under the shared lease (optional) and run the gateway."""
    from bot.discord.bot import bot_for
    from bot.discord.login import login
    from bot.discord.poster import DiscordPoster
    from bot.ops.startup import start_chat_process

    assert settings.discord.token is not None
    port = settings.ops.discord_port if ops_port is None else ops_port
    metrics, ops, services = await start_chat_process(settings, port)
    digest_scheduler = None
    try:
        bot = bot_for(services, settings.discord)
        async with bot:
            if ops is not None:
                ops.set_check("discord", bot.connection_check)
            # waits while Discord is unreachable; a revoked token: TokenRejected, exit 2
            await login(bot, settings.discord.token.get_secret_value(), metrics)
            if scheduler and settings.scheduler.run_in_bot and services.digests is not None:
                from bot.digest.leader import leased_scheduler, scheduler_check

                digest_scheduler = leased_scheduler(services, {"discord": DiscordPoster(bot)})
                if ops is not None:
                    ops.set_check("scheduler", scheduler_check(digest_scheduler))
                await digest_scheduler.start()
            await bot.connect()
    finally:
        if digest_scheduler is not None:
            digest_scheduler.shutdown()
        services.close()
        if ops is not None:
            await ops.stop()


def sync_command(
    guild: Annotated[
        list[int] | None,
        typer.Option(help="sync to this guild id (repeatable; default: discord.guild_ids)"),
    ] = None,
) -> None:
    """Sync the /papers slash commands with Discord now, even if they did not change."""
    settings = _with_token(load_settings(), guild)
    configure_logging(settings.log_level)
    run_process(_sync(settings))
    where = (
        f"to guild(s) {', '.join(map(str, settings.discord.guild_ids))}"
        if settings.discord.guild_ids
        else "globally (Discord may take up to an hour to show them everywhere)"
    )
    typer.echo(f"synced the /papers commands {where}")


async def _sync(settings: Settings) -> None:
    from bot.discord.bot import PaperboyBot
    from bot.discord.login import login
    from bot.store.state import BotState

    assert settings.discord.token is not None
    state = BotState(settings.state_target)
    try:
        async with PaperboyBot(None, state, settings.discord) as bot:  # no questions: no router
            bot.force_sync = True
            await login(bot, settings.discord.token.get_secret_value())  # runs the sync
    finally:
        state.db.close()
