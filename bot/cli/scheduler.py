"""``paperboy scheduler``: refresh papers and post every channel's digest, under the shared lease.

Several scheduler processes may run against one state database: the one holding the lease posts,
the others stand by and take over within ``scheduler.lease_seconds`` if it dies. SIGTERM releases
the lease at once, so a planned restart hands over without waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.chat.reply import Reply
from bot.cli.common import configure_logging, load_settings, run_process
from bot.cli.health import ops_port_option

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)


def register(app: typer.Typer) -> None:
    """Add ``scheduler`` to the ``paperboy`` CLI."""
    app.command("scheduler")(scheduler_command)


class StdoutPoster:
    """Posts digests of ``cli`` plans to the terminal."""

    platform = "cli"

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Print the digest; the message id is the time."""
        print(f"[{channel_id}] {reply.to_text()}\n", flush=True)
        return f"cli-{time.time():.0f}"


def scheduler_command(
    ops_port: Annotated[int | None, ops_port_option("scheduler")] = None,
) -> None:
    """Run the digest scheduler (paper source refresh + channel digests) until stopped."""

    settings = load_settings()
    configure_logging(settings.log_level)
    port = settings.ops.scheduler_port if ops_port is None else ops_port
    run_process(serve_scheduler(settings, port))


async def serve_scheduler(settings: Settings, ops_port: int) -> None:
    """Serve health and metrics, open the services (waiting for Chroma if needed), build the
    posters for the configured platforms and run the leased scheduler until SIGTERM."""
    from bot.digest.leader import leased_scheduler, scheduler_check
    from bot.digest.plans import describe_days
    from bot.ops.metrics import Metrics
    from bot.ops.startup import open_services, start_ops

    metrics = Metrics()
    ops = await start_ops(settings, metrics, ops_port)
    services = await open_services(settings, metrics, ops)
    posters: dict = {"cli": StdoutPoster()}
    if settings.slack.bot_token:
        from bot.slack.poster import SlackPoster, make_web_client

        posters["slack"] = SlackPoster(make_web_client(settings.slack), services.state)
    discord_bot = None
    if settings.discord.token:
        from bot.discord.bot import bot_for
        from bot.discord.poster import DiscordPoster

        discord_bot = bot_for(services, settings.discord)
        posters["discord"] = DiscordPoster(discord_bot)
    for plan in services.digests.plans.all():
        where = f"{plan.time} {plan.timezone} {describe_days(plan.days)}"
        missing = "" if plan.platform in posters else f" (no {plan.platform} poster here)"
        print(f"plan {plan.name!r} -> {plan.platform}:{plan.channel_id} at {where}{missing}")
    scheduler = leased_scheduler(services, posters)
    if ops is not None:
        ops.set_check("scheduler", scheduler_check(scheduler))
    stop = asyncio.Event()  # SIGTERM: release the lease so a standby takes over at once
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        if discord_bot is not None:  # REST only: posting needs no gateway connection
            from bot.discord.login import login  # waits while Discord is unreachable

            token = settings.discord.token.get_secret_value()
            if not await _unless_stopped(login(discord_bot, token, metrics), stop):
                return
        await scheduler.start()
        held = scheduler.lease.current()
        print(f"scheduler {scheduler.role} as {scheduler.holder}; lease held by", held and held[0])
        await stop.wait()
    finally:
        scheduler.shutdown()
        scheduler.lease.close()
        if discord_bot is not None:
            await discord_bot.close()
        services.close()
        if ops is not None:
            await ops.stop()


async def _unless_stopped(work: Coroutine[Any, Any, None], stop: asyncio.Event) -> bool:
    """Run ``work`` unless ``stop`` is set first (then cancel it); True when it completed."""
    task, stopped = asyncio.ensure_future(work), asyncio.ensure_future(stop.wait())
    await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, stopped):
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
    if task.cancelled():
        return False
    task.result()  # raises what stopped it (TokenRejected ...)
    return True
