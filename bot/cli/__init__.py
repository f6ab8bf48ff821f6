"""The ``paperboy`` command line: :data:`app` is the entry point (``bot.cli:app``)."""

from bot.cli.main import app

__all__ = ["app"]
