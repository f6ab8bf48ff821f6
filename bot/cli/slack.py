"""``paperboy slack``: run the Slack bot (Socket Mode or HTTP mode) with its digest scheduler."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from bot.cli.common import configure_logging, load_settings, run_process
from bot.cli.health import no_scheduler_option, ops_port_option

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add ``slack`` to the ``paperboy`` CLI."""
    app.command("slack")(slack_command)


def slack_command(
    mode: Annotated[
        str | None, typer.Option(help="socket or http (default: the slack.mode setting)")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="HTTP mode port (default: the slack.http_port setting)")
    ] = None,
    no_scheduler: Annotated[bool, no_scheduler_option()] = False,
    ops_port: Annotated[int | None, ops_port_option("slack")] = None,
) -> None:
    """Run Paperboy in Slack: mentions, DMs, /papers, buttons, reactions and channel digests."""

    settings = load_settings()
    updates: dict[str, object] = {}
    if mode is not None:
        if mode not in ("socket", "http"):
            raise typer.BadParameter("mode must be 'socket' or 'http'")
        updates["mode"] = mode
    if port is not None:
        updates["http_port"] = port
    if updates:
        settings.slack = settings.slack.model_copy(update=updates)
    problem = missing_secret(settings)
    if problem:
        typer.echo(problem, err=True)
        raise typer.Exit(2)
    configure_logging(settings.log_level)
    run_process(serve_slack(settings, scheduler=not no_scheduler, ops_port=ops_port))


def missing_secret(settings: Settings) -> str | None:
    """A message naming the first secret the chosen mode lacks (never its value), or None."""
    slack = settings.slack
    needed: list[tuple[str, object, Literal["socket", "http", "any"]]] = [
        ("PAPERBOY_SLACK__BOT_TOKEN (xoxb-...)", slack.bot_token, "any"),
        ("PAPERBOY_SLACK__APP_TOKEN (xapp-..., Socket Mode)", slack.app_token, "socket"),
        ("PAPERBOY_SLACK__SIGNING_SECRET (HTTP mode)", slack.signing_secret, "http"),
    ]
    for name, value, mode in needed:
        if value is None and mode in ("any", slack.mode):
            return f"Slack {slack.mode} mode needs {name}; see docs/slack.md."
    return None


async def serve_slack(
    settings: Settings, scheduler: bool = True, ops_port: int | None = None
) -> None:
    """Serve health and metrics, build the services (waiting for Chroma if needed), connect to
    Slack and (optionally) run the digest scheduler under the shared lease."""

    from bot.ops.startup import start_chat_process
    from bot.slack.app import SlackBot
    from bot.slack.runner import SlackConnection, run_forever
    from bot.slack.signin import verify_app_token, verify_bot_token

    port = settings.ops.slack_port if ops_port is None else ops_port
    metrics, ops, services = await start_chat_process(settings, port)
    digest_scheduler = None
    try:
        bot = SlackBot(
            settings.slack,
            services.router,
            services.state,
            metrics=metrics,
            workers=services.workers,
        )
        connection = SlackConnection(bot)
        if ops is not None:
            ops.set_check("slack", connection.check)
        # waits while Slack is unreachable; a revoked token: TokenRejected, exit 2
        who = await verify_bot_token(bot.client, metrics)
        log.info("Slack bot token ok: %s as %s", who.get("team"), who.get("user"))
        if settings.slack.mode == "socket" and settings.slack.app_token is not None:
            app_token = settings.slack.app_token.get_secret_value()
            await verify_app_token(bot.client, app_token, metrics)
        if scheduler and settings.scheduler.run_in_bot and services.digests is not None:
            from bot.digest.leader import leased_scheduler, scheduler_check

            digest_scheduler = leased_scheduler(services, {"slack": bot.poster})
            if ops is not None:
                ops.set_check("scheduler", scheduler_check(digest_scheduler))
            # catching up on missed digests may fetch papers first: don't hold up the bot
            starting = asyncio.create_task(digest_scheduler.start())
            starting.add_done_callback(_log_failure)
        await run_forever(bot, connection)
    finally:
        if digest_scheduler is not None:
            digest_scheduler.shutdown()
        services.close()
        if ops is not None:
            await ops.stop()


def _log_failure(task: asyncio.Task) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the digest scheduler failed to start", exc_info=task.exception())
