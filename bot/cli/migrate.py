"""``paperboy migrate``: copy the embedded store into a Chroma server (see :mod:`bot.ops.migrate`);
``paperboy migrate-state``: copy the SQLite state into PostgreSQL (see :mod:`bot.store.copy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.common import err, fail, load_settings, out, progress_bar


def register(app: typer.Typer) -> None:
    """Add ``migrate`` and ``migrate-state`` to the ``paperboy`` CLI."""
    app.command("migrate")(migrate_command)
    app.command("migrate-state")(migrate_state_command)


def migrate_command(
    to_host: Annotated[str, typer.Option("--to-host", help="Chroma server host")],
    to_port: Annotated[int, typer.Option("--to-port", help="Chroma server port")] = 8000,
    collection: Annotated[
        str | None, typer.Option(help="target collection (default: the configured one)")
    ] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", help="data dir of the embedded store")
    ] = None,
) -> None:
    """Copy the embedded store into a Chroma server (vectors included, no re-embedding)."""
    from bot.ops.migrate import copy_collection, missing_ids
    from retrieval.store import PaperStore

    settings = load_settings()
    data_dir = from_dir or settings.data_dir
    if not (data_dir / "chroma").is_dir():
        err.print(f"[red]No embedded store under {escape(str(data_dir / 'chroma'))}[/red]")
        raise typer.Exit(2)
    target_name = collection or settings.store.collection
    try:
        source = PaperStore.embedded(data_dir / "chroma", settings.store.collection)
        target = PaperStore.remote(to_host, to_port, target_name)
        total = source.count()
        bar, report = progress_bar("copying")
        with bar:
            report(0, total)
            copied = copy_collection(source, target, lambda done: report(done, total))
        missing = missing_ids(source, target)
        held = target.count()
    except Exception as exc:
        err.print(f"[red]Migration to {to_host}:{to_port} failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    out.print(
        f"copied {copied} papers from {escape(str(data_dir))} to {to_host}:{to_port} "
        f"collection {escape(target_name)}; the server now holds {held}"
    )
    if missing:
        err.print(f"[red]{len(missing)} papers missing on the server[/red], e.g. {missing[:5]}")
        raise typer.Exit(1)
    out.print(
        f"verified: all {total} papers are on the server. Point Paperboy at it with "
        f"PAPERBOY_STORE__CHROMA_HOST={to_host} PAPERBOY_STORE__CHROMA_PORT={to_port}"
        + (f" PAPERBOY_STORE__COLLECTION={target_name}" if collection else "")
    )


def migrate_state_command(
    to: Annotated[str, typer.Option("--to", help="postgresql://user:password@host:port/db")],
    from_file: Annotated[
        Path | None, typer.Option("--from", help="SQLite state file (default: data_dir's)")
    ] = None,
    force: Annotated[bool, typer.Option(help="replace rows the target already holds")] = False,
) -> None:
    """Copy the SQLite state (events, paging, feedback, ledger, plans, leases) into PostgreSQL."""
    from sqlalchemy.engine import make_url

    from bot.store.copy import copy_tables, has_data
    from bot.store.db import StateDB

    settings = load_settings()
    source_path = from_file or settings.state_path
    if not source_path.is_file():
        raise fail(f"No SQLite state database at {source_path}: nothing to migrate", 2)
    try:
        url = make_url(to)
    except Exception as exc:  # a malformed URL (never echoed: it may hold a password)
        raise fail(f"Not a database URL ({type(exc).__name__})", 2) from exc
    where = f"the PostgreSQL database {url.render_as_string(hide_password=True)}"
    source = StateDB.open(source_path)
    target = None
    try:
        target = StateDB(to)
        if has_data(target) and not force:
            raise fail(f"{where} already holds data; pass --force to replace it", 2)
        counts = copy_tables(source, target, replace=True)
    except typer.Exit:
        raise
    except Exception as exc:  # the server is down, refuses the login, ...
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
        raise fail(f"Migration to {where} failed: {type(exc).__name__}: {reason}", 1) from exc
    finally:
        source.close()
        if target is not None:
            target.close()
    rows = ", ".join(f"{table} {n}" for table, n in counts.items())
    out.print(f"copied the state of {escape(str(source_path))} into {escape(where)}: {rows}")
    out.print("Point every Paperboy process at it with PAPERBOY_STATE_URL=<the same URL>.")
