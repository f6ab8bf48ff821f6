"""``paperboy``: the command-line front end (ask, similar, chat) and process entry points.

Each command builds its services from settings (``PAPERBOY_CONFIG`` + ``PAPERBOY_*`` env) in one
place; nothing is global. The other commands (``ingest``, ``digest``, ``slack``, ...) live in
``bot.cli_*`` modules, each adding itself with ``register(app)``.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.app import Services, build_services, ensure_corpus
from bot.reply import ChatRequest, Reply
from bot.settings import CONFIG_ENV, Settings

app = typer.Typer(help="Paperboy: research papers where your team talks.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)


def load_settings() -> Settings:
    """Settings from the environment and the config file; a clear message if they are invalid."""
    try:
        return Settings()
    except Exception as exc:  # pydantic ValidationError, missing config file, bad TOML
        err.print(f"[red]Invalid configuration:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


@app.callback()
def main(
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML config file", envvar=CONFIG_ENV)
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False,
) -> None:
    """Global options."""
    if config is not None:
        os.environ[CONFIG_ENV] = str(config)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("bm25s", "chromadb", "httpx", "sentence_transformers"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


def progress_bar(label: str) -> tuple[Progress, callable]:
    """A rich progress bar on stderr and the callback the ingest pipeline reports to."""
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )
    task = bar.add_task(label, total=None)

    def report(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return bar, report


def open_services(with_demo: bool = True) -> Services:
    """Build services; on an empty store, ingest the bundled demo corpus with a progress bar."""
    settings = load_settings()
    try:
        services = build_services(settings)
    except Exception as exc:
        err.print(f"[red]Cannot open the paper store:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    if with_demo and settings.demo_corpus and services.index.count() == 0:
        err.print("First run: adding the bundled demo corpus (embedding, once)…")
        bar, report = progress_bar("embedding")
        with bar:
            ensure_corpus(services.index, report)
    return services


def split_questions(words: list[str]) -> list[str]:
    """`ask "q one" "q two"` is two questions; `ask fast fft attention` (no quoted multi-word
    argument) is one question."""
    if any(" " in w.strip() for w in words):
        return [w for w in words if w.strip()]
    return [" ".join(words)]


def result_json(services: Services, question: str, limit: int) -> dict:
    """One question's results as the documented JSON object."""
    router = services.router
    router.page_size = limit
    reply = router.handle(ChatRequest(text=question))
    if reply.kind == "error":
        return {"query": question, "error": reply.text, "results": []}
    return {
        "query": question,
        "results": [
            {
                "id": item.paper_id,
                "title": item.title,
                "url": item.url,
                "published": item.date,
                "upvotes": item.upvotes,
                "score": item.score,
                "snippet": item.snippet,
            }
            for item in reply.items
        ],
    }


def print_reply(reply: Reply) -> None:
    """Render a reply for the terminal."""
    colour = "red" if reply.kind == "error" else "bold"
    out.print(f"[{colour}]{escape(reply.title)}[/{colour}]")
    if reply.text:
        out.print(escape(reply.text))
    for number, item in enumerate(reply.items, start=reply.first_rank):
        meta = " · ".join(
            m for m in (item.date, f"▲ {item.upvotes}" if item.upvotes is not None else "") if m
        )
        out.print(f"\n[bold]{number}. {escape(item.title)}[/bold]  [dim]{escape(meta)}[/dim]")
        out.print(f"   [link={item.url}]{escape(item.url)}[/link]")
        if item.snippet:
            out.print(f"   [italic]{escape(item.snippet)}[/italic]")
        if item.why:
            out.print(f"   [dim]why: {escape(item.why)}[/dim]")
    if reply.footer:
        out.print(f"\n[dim]{escape(reply.footer)}[/dim]")


@app.command()
def ask(
    question: Annotated[list[str], typer.Argument(help="one or more questions")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per question")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=50)] = 5,
) -> None:
    """Ask for papers: `paperboy ask "fast FFT-based attention papers"`."""
    services = open_services()
    try:
        for text in split_questions(question):
            if as_json:
                out.print_json(json.dumps(result_json(services, text, limit)), indent=None)
            else:
                services.router.page_size = limit
                print_reply(services.router.handle(ChatRequest(text=text)))
    finally:
        services.close()


@app.command()
def similar(
    paper: Annotated[str, typer.Argument(help="arXiv id or paper URL")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=50)] = 5,
) -> None:
    """Papers like a given paper: `paperboy similar 2105.03824`."""
    services = open_services()
    try:
        if as_json:
            out.print_json(
                json.dumps(result_json(services, f"similar {paper}", limit)), indent=None
            )
        else:
            services.router.page_size = limit
            print_reply(services.router.handle(ChatRequest(text=f"similar {paper}")))
    finally:
        services.close()


@app.command()
def chat() -> None:
    """An interactive prompt over the same core (`more` pages, `help`, `quit`)."""
    services = open_services()
    last_more: str | None = None
    out.print("Paperboy — ask for papers. `help` for examples, `quit` to leave.")
    try:
        while True:
            try:
                text = input("paperboy> ").strip()
            except (EOFError, KeyboardInterrupt):
                break
            if text.lower() in ("quit", "exit", "q"):
                break
            if text.lower() == "more" and last_more:
                text = last_more
            reply = services.router.handle(ChatRequest(text=text, is_admin=True))
            print_reply(reply)
            last_more = next((a.command for a in reply.actions if a.kind == "more"), None)
    finally:
        services.close()


def _register_front_ends() -> None:
    """Add the commands that live in their own modules (each module adds its own)."""
    import importlib

    for name in (
        "bot.cli_ingest",
        "bot.cli_digest",
        "bot.cli_scheduler",
        "bot.cli_slack",
        "bot.cli_discord",
        "bot.cli_ops",
        "bot.cli_health",
        "bot.cli_backup",
        "bot.cli_reindex",
    ):
        importlib.import_module(name).register(app)


_register_front_ends()

if __name__ == "__main__":
    sys.exit(app())
