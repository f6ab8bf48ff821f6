"""``paperboy health``: ask running processes' ``/healthz`` whether they are ready.

For container and VM health checks: exits 0 when every process that answers is ready, 1 when one
is not ready or none answers. Without ``--port`` it asks the Slack, Discord and scheduler ops ports
from the settings and ignores those where nothing listens.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Annotated

import typer
from rich.markup import escape
from typer.models import OptionInfo

from bot.cli.common import load_settings, out


def register(app: typer.Typer) -> None:
    """Add ``health`` to the ``paperboy`` CLI."""
    app.command("health")(health_command)


def ops_port_option(process: str) -> OptionInfo:
    """The ``--ops-port`` option of a long-running ``process`` (slack, discord, scheduler), for
    ``ops_port: Annotated[int | None, ops_port_option("slack")] = None``."""
    return typer.Option(
        help=f"port of /healthz and /metrics (default: ops.{process}_port; 0 = off)"
    )


def no_scheduler_option() -> OptionInfo:
    """The ``--no-scheduler`` flag of the chat processes (digests come from elsewhere)."""
    return typer.Option("--no-scheduler", help="do not post digests from this process")


def probe(url: str, timeout: float) -> tuple[int | None, dict]:
    """(HTTP status, JSON body) of one ``/healthz``, or (None, {}) when nothing listens.
    (The standard library's client: this runs as a Docker health probe every 30 s, so it
    starts light.)"""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (http only)
            status, body = response.status, response.read()
    except urllib.error.HTTPError as error:  # 503: not ready, with the failing checks
        status, body = error.code, error.read()
    except (urllib.error.URLError, OSError):
        return None, {}
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {}


def health_command(
    port: Annotated[
        list[int] | None, typer.Option(help="ops port to ask (repeatable; default: all three)")
    ] = None,
    host: Annotated[str, typer.Option(help="where the processes run")] = "127.0.0.1",
    timeout: Annotated[float, typer.Option(help="seconds per request")] = 10.0,
) -> None:
    """Check that Paperboy's running processes are ready (store and platform reachable)."""

    ops = load_settings().ops
    named = {"slack": ops.slack_port, "discord": ops.discord_port, "scheduler": ops.scheduler_port}
    wanted = {f"port {p}": p for p in port} if port else {k: v for k, v in named.items() if v}
    answered, ready = 0, True
    for name, number in wanted.items():
        status, body = probe(f"http://{host}:{number}/healthz", timeout)
        if status is None:
            if port:
                out.print(f"[red]{name}: nothing answers on {host}:{number}[/red]")
                ready = False
            continue
        answered += 1
        ready &= status == 200
        mark = "[green]ready[/green]" if status == 200 else f"[red]not ready ({status})[/red]"
        out.print(f"{name} ({host}:{number}): {mark}")
        for check, result in body.get("checks", {}).items():
            sign = "ok " if result.get("ok") else "[red]!![/red] "
            out.print(f"  {sign}{check}: {escape(str(result.get('detail', '')))}")
    if not answered:
        out.print("[red]no Paperboy process answers on the ops ports[/red]")
    raise typer.Exit(0 if answered and ready else 1)
