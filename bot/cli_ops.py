"""``paperboy status`` and ``paperboy migrate``: what an operator runs on a deployed Paperboy.

``status`` never loads the embedding model: it opens the store, the state database and the plans
and reports. ``migrate`` copies a collection record by record (id, vector, metadata, document)
into a Chroma server, so nothing is re-embedded; it is an upsert, so running it again is harmless.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from retrieval.embed import NoEmbedder
from retrieval.store import EMBEDDER_KEY

PAGE = 1000
out = Console()
err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add ``status`` and ``migrate`` to the ``paperboy`` CLI."""
    app.command("status")(status_command)
    app.command("migrate")(migrate_command)


def _stamp(seconds: float | None) -> str | None:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds") if seconds else None


def _store_where(settings: Any) -> tuple[str, str]:
    store = settings.store
    if store.chroma_host:
        return "server", f"{store.chroma_host}:{store.chroma_port}"
    return "embedded", str(settings.data_dir / "chroma")


def latest_list_day(store: Any) -> date | None:
    """The most recent Hugging Face list day among the stored papers (metadata only)."""
    from retrieval.records import paper_from_record

    days = (
        paper_from_record(pid, meta, None).list_date
        for pid, meta, _, _ in store.iter_records(with_documents=False)
    )
    return max((d for d in days if d), default=None)


def gather_status(services: Any, limit: int, now: datetime) -> dict[str, Any]:
    """Everything ``paperboy status`` shows, as plain JSON-ready data."""
    from bot.scheduler import plan_trigger

    backend, location = _store_where(services.settings)
    store = services.index.store
    day = latest_list_day(store)
    sources = {}
    for name in ("hf", "arxiv"):
        found = services.ledger.source_status(name)
        if found is not None:
            sources[name] = {
                "last_ok": _stamp(found.last_ok),
                "last_error": found.last_error,
                "last_error_at": _stamp(found.last_error_at),
                "failing": found.failing,
            }
    plans = []
    for plan in services.digests.plans():
        fire = plan_trigger(plan).get_next_fire_time(None, now)
        plans.append(
            {
                "name": plan.name,
                "platform": plan.platform,
                "channel_id": plan.channel_id,
                "time": plan.time,
                "timezone": plan.timezone,
                "days": plan.days,
                "next_digest": fire.isoformat() if fire else None,
            }
        )
    ledger = [
        {
            "platform": e.platform,
            "channel_id": e.channel_id,
            "day": e.day.isoformat(),
            "plan": e.plan,
            "status": e.status,
            "papers": len(e.paper_ids),
            "message_id": e.message_id,
            "updated_at": _stamp(e.updated_at),
        }
        for e in services.ledger.entries()[:limit]
    ]
    return {
        "store": {
            "backend": backend,
            "location": location,
            "collection": store.collection_name,
            "papers": store.count(),
            "revision": store.revision(),
        },
        "latest_list_day": day.isoformat() if day else None,
        "sources": sources,
        "plans": plans,
        "ledger": ledger,
    }


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


def status_command(
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="ledger rows")] = 10,
    check: Annotated[
        bool, typer.Option("--check", help="only check the store answers (for health checks)")
    ] = False,
) -> None:
    """Store size, latest list day, last ingest per source, next digest per plan, ledger."""
    from bot.app import build_services
    from bot.cli import load_settings

    settings = load_settings()
    backend, location = _store_where(settings)
    try:
        services = build_services(settings, embedder=NoEmbedder("status"))
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


def _pages(source: Any) -> Iterator[list[tuple[str, dict, str | None, np.ndarray | None]]]:
    page: list = []
    for record in source.iter_records(with_documents=True, with_vectors=True):
        page.append(record)
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def copy_collection(source: Any, target: Any, progress: Any = None) -> int:
    """Upsert every record of ``source`` (a PaperStore) into ``target`` with its vector, metadata
    and document, ``PAGE`` at a time; bump the target's revision; return the records copied."""
    copied = 0
    for page in _pages(source):
        target._col.upsert(
            ids=[pid for pid, _, _, _ in page],
            embeddings=np.stack([vec for _, _, _, vec in page]),
            metadatas=[meta for _, meta, _, _ in page],
            documents=[doc or "" for _, _, doc, _ in page],
        )
        copied += len(page)
        if progress:
            progress(copied)
    if source.embedder_spec:  # questions must be encoded with the model the vectors came from
        target.update_collection_metadata({EMBEDDER_KEY: source.embedder_spec})
    target.bump_revision()  # other processes rebuild their catalogue / BM25 index
    return copied


def missing_ids(source: Any, target: Any) -> list[str]:
    """Ids of ``source`` that ``target`` lacks."""
    ids = [pid for pid, _, _, _ in source.iter_records(with_documents=False)]
    found = set(target.metadata(ids))
    return [pid for pid in ids if pid not in found]


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
    from bot.cli import load_settings, progress_bar
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
