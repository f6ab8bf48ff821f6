"""``paperboy ingest``: add papers to the store from Hugging Face, arXiv, JSONL files or the demo.

Every sub-command reads papers from its source (live API or recorded files), then hands them to
the store's idempotent ingest with a progress bar: only new or changed text is embedded. Records
that cannot be read are listed as skipped (``file:line``) and the rest lands; records cut to the
size limits of :mod:`retrieval.limits` are listed as shortened. A source with nothing readable, a
failing fetch, a bad date or a store that fails part-way exits non-zero with a clear message.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from bot.cli.common import err, fail, load_settings, open_services, out, progress_bar

if TYPE_CHECKING:
    from bot.services import Services
    from retrieval.ingest import IngestInterrupted
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
    """Ingest ``outcome`` with a progress bar and print what happened; a store that fails
    part-way is a clear message (what landed, how to finish) and exit code 1."""
    from retrieval.ingest import IngestInterrupted

    bar, report = progress_bar(label)
    try:
        with bar:
            result = services.index.ingest(outcome.papers, outcome.problems, report)
        held = services.index.count()
    except IngestInterrupted as exc:
        raise fail(_interrupted(services, exc), 1) from exc
    except Exception as exc:  # the write landed, but refreshing the indexes failed
        raise fail(
            f"The papers were written, but the store failed afterwards: {_reason(exc)}. "
            "Re-run the same command to finish (ingest is idempotent).",
            1,
        ) from exc
    out.print(
        f"{result.seen} papers: {result.added} new, {result.updated_text} re-embedded, "
        f"{result.updated_metadata} metadata updated, {result.unchanged} unchanged, "
        f"{len(result.problems)} skipped · store now holds {held}"
    )


def _reason(exc: BaseException) -> str:
    """A short, human reason for a store failure: a full disk is named as such."""
    text = str(exc) or type(exc).__name__
    if getattr(exc, "errno", None) == errno.ENOSPC or "disk is full" in text.lower():
        return f"the disk is full ({text}); free some space first"
    return text


def _interrupted(services: Services, exc: IngestInterrupted) -> str:
    """The message for an ingest the store stopped part-way."""
    if services.index.store.heartbeat() or isinstance(exc.cause, OSError):
        what = f"the paper store failed: {_reason(exc.cause)}"
    else:
        what = f"the paper store stopped answering ({_reason(exc.cause)})"
    landed = f"{exc.stored} of {exc.total} new or changed papers were stored before it stopped"
    if exc.metadata_pending:
        landed += f"; {exc.metadata_pending} metadata updates were not written"
    return (
        f"Ingest stopped: {what}. {landed}. Once the store is back, re-run the same command "
        "to finish: ingest is idempotent, so what was stored is not stored twice."
    )


def _print_problems(outcome: ParseOutcome) -> None:
    for problem in outcome.problems:
        err.print(f"[yellow]skipped[/yellow] {escape(str(problem))}", soft_wrap=True)
    for warning in outcome.warnings:
        err.print(f"[yellow]shortened[/yellow] {escape(str(warning))}", soft_wrap=True)


def _ingest(outcome: ParseOutcome, label: str) -> None:
    """List skipped and shortened records, then open the services (no demo corpus), ingest
    ``outcome`` and report. Nothing readable at all (only problems) exits 1 without opening the
    store."""
    _print_problems(outcome)
    if not outcome.papers and outcome.problems:
        count = len(outcome.problems)
        raise fail(
            f"No papers could be read ({count} problem{'s' if count != 1 else ''} listed above); "
            "nothing was stored.",
            1,
        )
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
    from_file: Annotated[
        Path | None, typer.Option("--from-file", exists=True, dir_okay=False)
    ] = None,
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

    _ingest(read_jsonl(demo_corpus_path()), "demo")


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
