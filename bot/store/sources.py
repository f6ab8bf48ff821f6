"""The health of paper sources (Hugging Face, arXiv): when each was last refreshed, and its
latest error, in the state database, so ``status``, the digest and every process see it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import StateTable


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """When a source was last refreshed successfully, and its latest error."""

    source: str
    last_ok: float | None
    last_error: str | None
    last_error_at: float | None

    @property
    def failing(self) -> bool:
        """The latest attempt failed."""
        return self.last_error_at is not None and (self.last_ok or 0) < self.last_error_at


class SourceHealth(StateTable):
    """Records and reads :class:`SourceStatus` rows."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS source_status (
        source TEXT PRIMARY KEY, last_ok REAL, last_error TEXT, last_error_at REAL
    );
    """

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__(path)
        self._clock = clock

    def record(self, source: str, error: str | None = None) -> None:
        """Note a successful refresh of ``source`` (``error`` None) or a failed one."""
        now = self._clock()
        self._run("INSERT OR IGNORE INTO source_status (source) VALUES (?)", (source,))
        if error is None:
            self._run("UPDATE source_status SET last_ok=? WHERE source=?", (now, source))
        else:
            self._run(
                "UPDATE source_status SET last_error=?, last_error_at=? WHERE source=?",
                (error[:500], now, source),
            )

    def status(self, source: str) -> SourceStatus | None:
        """The recorded health of ``source``, if it was ever refreshed."""
        rows = self._rows("SELECT * FROM source_status WHERE source=?", (source,))
        return SourceStatus(*rows[0]) if rows else None
