"""The health of paper sources (Hugging Face, arXiv): when each was last refreshed, and its
latest error, in the state database, so ``status``, the digest and every process see it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import StateDB, StateTable


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

    def __init__(self, db: StateDB | Path | str, clock: Callable[[], float] = time.time) -> None:
        super().__init__(db)
        self._clock = clock

    def record(self, source: str, error: str | None = None) -> None:
        """Note a successful refresh of ``source`` (``error`` None) or a failed one."""
        now = self._clock()
        self.db.execute(
            "INSERT INTO source_status (source) VALUES (:s) ON CONFLICT (source) DO NOTHING",
            s=source,
        )
        if error is None:
            self.db.execute("UPDATE source_status SET last_ok = :now WHERE source = :s",
                            now=now, s=source)  # fmt: skip
        else:
            self.db.execute(
                "UPDATE source_status SET last_error = :e, last_error_at = :now WHERE source = :s",
                e=error[:500], now=now, s=source,
            )  # fmt: skip

    def status(self, source: str) -> SourceStatus | None:
        """The recorded health of ``source``, if it was ever refreshed."""
        rows = self.db.rows(
            "SELECT source, last_ok, last_error, last_error_at FROM source_status"
            " WHERE source = :s",
            s=source,
        )
        return SourceStatus(*rows[0]) if rows else None
