"""``python -m bot.cli``: the same as the ``paperboy`` command."""

import sys

from bot.cli import app

sys.exit(app(prog_name="paperboy"))
