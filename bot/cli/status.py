"""``paperboy status``: store size, latest list day, source health, next digests, the ledger,
feedback per channel and personal alerts.

It never loads the embedding model: it opens the store, the state database and the plans and
reports (see :mod:`bot.ops.status`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from bot.cli.common import err, fail, load_settings, out


def register(app: typer.Typer) -> None:
    """Add ``status`` to the ``paperboy`` CLI."""
    app.command("status")(status_command)


def _print_status(data: dict[str, Any]) -> None:
    s = data["store"]
    out.print(
        f"[bold]Store[/bold] {s['backend']} {escape(s['location'])} · collection "
        f"{escape(s['collection'])} · {s['papers']} papers · revision {s['revision']}"
    )
    out.print(f"[bold]Latest HF list day[/bold] {data['latest_list_day'] or '—'}")
    for name, src in data["sources"].items():
        state = "[red]failing[/red]" if src["failing"] else "ok"
        error = f" · last error {escape(src['last_error'] or '')}" if src["last_error"] else ""
        out.print(f"[bold]Source {name}[/bold] {state} · last ok {src['last_ok'] or '—'}{error}")
    if not data["sources"]:
        out.print("[bold]Sources[/bold] never refreshed by the scheduler")
    plans = Table("plan", "channel", "when", "next digest", title="Digest plans")
    for p in data["plans"]:
        when = f"{p['time']} {p['timezone']} {','.join(p['days'])}"
        channel = f"{p['platform']}:{p['channel_id']}"
        plans.add_row(escape(p["name"]), escape(channel), when, p["next_digest"] or "—")
    out.print(plans if data["plans"] else "[bold]Digest plans[/bold] none")
    rows = Table("day", "channel", "plan", "status", "papers", "message", title="Recent digests")
    for e in data["ledger"]:
        channel = f"{e['platform']}:{e['channel_id']}"
        rows.add_row(
            e["day"], escape(channel), escape(e["plan"]), e["status"], str(e["papers"]),
            escape(e["message_id"] or ""),
        )  # fmt: skip
    out.print(rows if data["ledger"] else "[bold]Recent digests[/bold] none yet")
    votes = Table("channel", "👍", "👎", title="Feedback per channel")
    for f in data["feedback"]:
        votes.add_row(escape(f"{f['platform']}:{f['channel_id']}"), str(f["up"]), str(f["down"]))
    out.print(votes if data["feedback"] else "[bold]Feedback[/bold] none yet")
    a = data["alerts"]
    out.print(
        f"[bold]Personal alerts[/bold] {a['users']} user(s) · {a['topics']} topic(s) · "
        f"{a['sent']} DM(s) sent"
    )


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="ledger rows")] = 10,
    check: Annotated[
        bool, typer.Option("--check", help="only check the store answers (for health checks)")
    ] = False,
) -> None:
    """Store size, latest list day, last ingest per source, next digest per plan, ledger,
    👍/👎 per channel, personal alerts."""
    from bot.ops.status import gather_status, store_where
    from bot.services import build_services
    from bot.store.db import StateCorrupt
    from retrieval.embed import NoEmbedder

    settings = load_settings()
    backend, location = store_where(settings)
    try:
        services = build_services(settings, embedder=NoEmbedder("status"))
    except StateCorrupt as exc:
        raise fail(str(exc), 1) from exc
    except Exception as exc:  # chromadb raises many types when a server is down
        err.print(f"[red]Cannot open the {backend} paper store at {location}:[/red] {exc}")
        raise typer.Exit(1) from exc
    try:
        if check:
            ok = services.index.store.heartbeat()
            out.print(f"{'ok' if ok else 'unreachable'}: {backend} store at {location}")
            raise typer.Exit(0 if ok else 1)
        data = gather_status(services, limit, datetime.now(UTC))
    except typer.Exit:
        raise
    except Exception as exc:
        err.print(f"[red]The {backend} paper store at {location} failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        services.close()
    if as_json:
        print(json.dumps(data))
    else:
        _print_status(data)
