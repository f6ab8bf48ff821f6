"""Names of Paperboy's environment variables that are read before the settings are (kept apart
from :mod:`bot.settings` so ``paperboy --help`` and ``paperboy health`` start fast)."""

CONFIG_ENV = "PAPERBOY_CONFIG"
