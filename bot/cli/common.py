"""What every ``paperboy`` command shares: the consoles, loading settings, failing with a clear
message, a progress bar, and opening the services (with the demo corpus on first run).

Command modules import from here, never from :mod:`bot.cli.main`, so there is no import cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from bot.services import Services
    from bot.settings import Settings

out = Console()
err = Console(stderr=True)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
NOISY_LOGGERS = ("bm25s", "chromadb", "httpx", "sentence_transformers", "apscheduler")


def configure_logging(level: str) -> None:
    """Log at ``level`` (the ``log_level`` setting) from now on, replacing the CLI's default
    (warnings only); chatty libraries stay at warnings."""
    wanted = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    if logging.getLogger().level == logging.DEBUG:  # `paperboy --verbose` wins
        wanted = logging.DEBUG
    logging.basicConfig(level=wanted, format=LOG_FORMAT, force=True)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(wanted, logging.WARNING))


def run_process(main: Coroutine[Any, Any, object]) -> None:
    """Run a command's main coroutine to its end (or Ctrl-C / SIGTERM); a token the platform
    rejects (:class:`~bot.ops.signin.TokenRejected`) is a one-line error with exit code 2."""
    from bot.ops.signin import TokenRejected

    try:
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(main)
    except TokenRejected as error:
        raise fail(str(error), 2) from error


def fail(message: str, code: int) -> typer.Exit:
    """Print ``message`` in red on stderr (markup escaped, never wrapped) and return the
    ``typer.Exit`` to raise with ``code`` (1: the operation failed, 2: bad input or settings)."""
    err.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    return typer.Exit(code)


def load_settings() -> Settings:
    """Settings from the environment and the config file; a clear message if they are invalid."""
    from bot.settings import Settings
    from bot.settings_errors import describe_settings_error

    try:
        return Settings()
    except Exception as exc:  # pydantic ValidationError, missing config file, bad TOML
        message = describe_settings_error(exc)  # never quotes a value: it may be a token
        err.print(f"[red]Invalid configuration:[/red] {escape(message)}", soft_wrap=True)
        raise typer.Exit(2) from exc


def progress_bar(label: str) -> tuple[Progress, Callable[[int, int], None]]:
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
    from bot.corpus import ensure_corpus
    from bot.services import build_services
    from bot.store.db import StateCorrupt

    settings = load_settings()
    try:
        services = build_services(settings)
    except StateCorrupt as exc:
        raise fail(str(exc), 1) from exc
    except Exception as exc:
        err.print(f"[red]Cannot open the paper store:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    if with_demo and settings.demo_corpus and services.index.count() == 0:
        err.print("First run: adding the bundled demo corpus (embedding, once)…")
        bar, report = progress_bar("embedding")
        try:
            with bar:
                ensure_corpus(services.index, report)
        except Exception as exc:  # the store failed part-way (see retrieval.ingest)
            services.close()
            raise fail(
                f"Adding the demo corpus stopped: {exc}. Once the store is back, run "
                "`paperboy ingest demo` to finish (what was stored is kept).",
                1,
            ) from exc
    return services
