"""``paperboy migrate``: copy the embedded store into a Chroma server (see :mod:`bot.ops.migrate`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from bot.cli.common import err, load_settings, out, progress_bar
from bot.ops.migrate import copy_collection, missing_ids


def register(app: typer.Typer) -> None:
    """Add ``migrate`` to the ``paperboy`` CLI."""
    app.command("migrate")(migrate_command)


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
