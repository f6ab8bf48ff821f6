"""``paperboy ingest``: add papers to the store from Hugging Face, arXiv, JSONL files or the demo.

Every sub-command reads papers from its source (live API or recorded files), then hands them to
the store's idempotent ingest with a progress bar: only new or changed text is embedded. Records
that cannot be read are listed as skipped; a failing fetch or a bad date exits non-zero.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bot.cli.common import err, load_settings, open_services, out, progress_bar

if TYPE_CHECKING:
    from bot.services import Services
    from retrieval.models import ParseOutcome


def register(app: typer.Typer) -> None:
    """Add the ``ingest`` group (``jsonl``, ``hf``, ``arxiv``, ``demo``) to the ``paperboy`` CLI."""
    ingest_app = typer.Typer(
        help="Add papers to the store (idempotent; only new text is embedded)."
    )
    ingest_app.command("jsonl")(ingest_jsonl)
    ingest_app.command("hf")(ingest_hf)
    ingest_app.command("arxiv")(ingest_arxiv)
    ingest_app.command("demo")(ingest_demo)
    app.add_typer(ingest_app, name="ingest")


def _report(services: Services, outcome: ParseOutcome, label: str) -> None:

    for problem in outcome.problems:
        err.print(f"[yellow]skipped[/yellow] {escape(str(problem))}")
    bar, report = progress_bar(label)
    with bar:
        result = services.index.ingest(outcome.papers, outcome.problems, report)
    out.print(
        f"{result.seen} papers: {result.added} new, {result.updated_text} re-embedded, "
        f"{result.updated_metadata} metadata updated, {result.unchanged} unchanged, "
        f"{len(result.problems)} skipped · store now holds {services.index.count()}"
    )


def _ingest(outcome: ParseOutcome, label: str) -> None:
    """Open the services (no demo corpus), ingest ``outcome`` and report."""

    services = open_services(with_demo=False)
    try:
        _report(services, outcome, label)
    finally:
        services.close()


def ingest_jsonl(files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False)]) -> None:
    """One paper per line: `title`, `abstract` required; `id`, `url`, `authors`, `published`,
    `upvotes` optional."""
    from retrieval.models import ParseOutcome
    from retrieval.sources.jsonl import read_jsonl

    outcome = ParseOutcome()
    for path in files:
        outcome.extend(read_jsonl(path))
    _ingest(outcome, "jsonl")


def ingest_hf(
    day: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD")] = None,
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    from_dir: Annotated[
        Path | None, typer.Option("--from-dir", exists=True, file_okay=False)
    ] = None,
) -> None:
    """Hugging Face daily papers: live API by date range, or recorded files with --from-dir."""
    from retrieval.sources.hf import HFDailyClient, read_daily_dir

    start, end = _dates(day, since, until)
    if from_dir is not None:
        outcome = read_daily_dir(from_dir, since=start, until=end)
    else:
        settings = load_settings()
        start = start or date.today()
        with HFDailyClient(settings.scheduler.hf_api_base_url) as client:
            outcome = _fetch(lambda: client.fetch_range(start, end or start))
    _ingest(outcome, "hf")


def ingest_arxiv(
    query: Annotated[
        str | None, typer.Option(help="arXiv search_query, e.g. 'ti:attention'")
    ] = None,
    category: Annotated[str | None, typer.Option(help="e.g. cs.CL (with --since/--until)")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="arXiv id (repeatable)")] = None,
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    until: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    max_results: Annotated[int, typer.Option(min=1, max=10000)] = 200,
    from_file: Annotated[Path | None, typer.Option("--from-file", exists=True)] = None,
) -> None:
    """arXiv API (one request every 3 s) by query, category + days, or ids; or a recorded Atom
    file with --from-file."""
    from retrieval.sources.arxiv import ArxivClient, read_atom_file

    if from_file is not None:
        outcome = read_atom_file(from_file)
    else:
        settings = load_settings()
        start, end = _dates(None, since, until)
        with ArxivClient(settings.scheduler.arxiv_api_url) as client:
            if ids:
                outcome = _fetch(lambda: client.by_ids(list(ids)))
            elif category:
                first = start or date.today()
                outcome = _fetch(
                    lambda: client.category_range(
                        category, first, end or date.today(), max_results=max_results
                    )
                )
            elif query:
                outcome = _fetch(lambda: client.search(query, max_results=max_results).outcome)
            else:
                err.print("Give --query, --category, --id or --from-file.")
                raise typer.Exit(2)
    _ingest(outcome, "arxiv")


def ingest_demo() -> None:
    """(Re-)ingest the bundled demo corpus."""
    from bot.corpus import demo_corpus_path
    from retrieval.sources.jsonl import read_jsonl

    services = open_services(with_demo=False)
    try:
        _report(services, read_jsonl(demo_corpus_path()), "demo")
    finally:
        services.close()


def _fetch(call: Callable[[], ParseOutcome]) -> ParseOutcome:
    try:
        return call()
    except Exception as exc:  # network, HTTP and query errors from the sources
        err.print(f"[red]Fetching failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc


def _dates(
    day: str | None, since: str | None, until: str | None
) -> tuple[date | None, date | None]:
    try:
        if day:
            one = date.fromisoformat(day)
            return one, one
        return (
            date.fromisoformat(since) if since else None,
            date.fromisoformat(until) if until else None,
        )
    except ValueError as exc:
        err.print(f"[red]Dates must be YYYY-MM-DD:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
