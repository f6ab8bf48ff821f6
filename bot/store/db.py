"""The state database: SQLite (one file, WAL mode, the embedded default) or PostgreSQL (for
processes on several hosts), behind one SQLAlchemy engine and one code path.

Every statement is plain SQL that both speak (``INSERT ... ON CONFLICT``), run in its own short
transaction, so uniqueness and leases are decided by the database, not by process memory.
:class:`StateTable` is the small base each state store builds on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from bot.store.schema import metadata


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite state file at ``path``."""
    return f"sqlite:///{Path(path).resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class StateDB:
    """One engine for the state database at ``url`` (``sqlite:///...`` or
    ``postgresql://...``); creates the tables on open."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url = parsed
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            database = parsed.database or ""
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                parsed, connect_args={"timeout": 30, "check_same_thread": False}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=4)
        metadata.create_all(self.engine)

    @classmethod
    def open(cls, target: StateDB | Path | str) -> StateDB:
        """``target`` itself if it is a StateDB, else a new one for a URL or a SQLite path."""
        if isinstance(target, StateDB):
            return target
        if isinstance(target, Path) or "://" not in str(target):
            return cls(sqlite_url(Path(target)))
        return cls(str(target))

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server database."""
        return Path(self.url.database) if self.dialect == "sqlite" and self.url.database else None

    def describe(self) -> str:
        """Where the state lives, for messages (a password is never shown)."""
        if self.path is not None:
            return f"the state database {self.path}"
        return f"the PostgreSQL state database {self.url.render_as_string(hide_password=True)}"

    def execute(self, sql: str, **params: Any) -> int:
        """Run one statement in its own transaction; the number of rows it changed."""
        with self.engine.begin() as conn:
            return conn.execute(text(sql), params).rowcount

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        """The rows of one query."""
        with self.engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]

    def now(self) -> float:
        """The database server's clock as Unix seconds (one clock for processes on many
        hosts; for SQLite, this host's)."""
        if self.dialect == "sqlite":
            return float(self.rows("SELECT (julianday('now') - 2440587.5) * 86400.0")[0][0])
        return float(self.rows("SELECT extract(epoch from clock_timestamp())")[0][0])

    def ping(self) -> None:
        """Raise if the database cannot be reached."""
        self.rows("SELECT 1")

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class StateTable:
    """A state store over a :class:`StateDB` (or a SQLite path / URL, opened for it)."""

    def __init__(self, db: StateDB | Path | str) -> None:
        self._owns_db = not isinstance(db, StateDB)
        self.db = StateDB.open(db)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None on PostgreSQL."""
        return self.db.path

    def close(self) -> None:
        """Release the database if this store opened it."""
        if self._owns_db:
            self.db.close()
