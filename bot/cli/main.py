"""``paperboy``: the typer app, its global options, and the command groups it is made of.

Each command builds its services from settings (``PAPERBOY_CONFIG`` + ``PAPERBOY_*`` env) in one
place; nothing is global. Every command group lives in its own module of :mod:`bot.cli` and adds
itself with ``register(app)``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import ask, backup, digest, discord, health, ingest, migrate, reindex, scheduler, slack
from bot.cli import status as status_cli
from bot.cli.common import LOG_FORMAT, NOISY_LOGGERS
from bot.env import CONFIG_ENV

app = typer.Typer(help="Paperboy: research papers where your team talks.", no_args_is_help=True)


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
        format=LOG_FORMAT,
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)


# the order of the help listing
for group in (ask, ingest, digest, scheduler, slack, discord, status_cli, migrate, health, backup):
    group.register(app)
reindex.register(app)

if __name__ == "__main__":
    sys.exit(app())
