"""The state database: SQLite (one file, WAL mode, the embedded default) or PostgreSQL (for
processes on several hosts), behind one SQLAlchemy engine and one code path.

Every statement is plain SQL that both speak (``INSERT ... ON CONFLICT``), run in its own short
transaction, so uniqueness and leases are decided by the database, not by process memory.
:class:`StateTable` is the small base each state store builds on.

A damaged SQLite file (not a database, truncated, malformed pages) is found when it is opened and
reported as :class:`StateCorrupt`, naming the file and the way back (``paperboy restore``).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from bot.store.schema import metadata

SCHEMA_LOCK = 0x5061706572  # "Paper": the advisory lock key taken while creating tables
CORRUPTION_CODES = frozenset({sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB})


class StateCorrupt(Exception):
    """The state database file is damaged; the message names it and says how to recover."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"The state database {path} is corrupt ({detail}). Restore it from a backup with "
            "`paperboy restore BACKUP.tar.gz --force` (the damaged file is kept beside it), "
            "or move the file away to start again with empty state."
        )
        self.path = path
        self.detail = detail


def is_corruption(error: BaseException) -> bool:
    """Whether ``error`` (sqlite3's, or SQLAlchemy's wrapping of it) says the file is damaged
    (not a database, malformed), not merely busy."""
    error = getattr(error, "orig", error)
    return getattr(error, "sqlite_errorcode", None) in CORRUPTION_CODES


def check_file(path: Path) -> None:
    """Raise :class:`StateCorrupt` unless the SQLite file at ``path`` passes a quick check
    (a missing file is fine: it will be created)."""
    if not path.exists():
        return
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        (result,) = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as error:
        if is_corruption(error):
            raise StateCorrupt(path, str(error)) from error
        raise
    finally:
        conn.close()
    if result != "ok":
        raise StateCorrupt(path, str(result))


def set_aside_if_corrupt(path: Path) -> Path | None:
    """If the state database at ``path`` is damaged, rename it (with its ``-wal`` / ``-shm``
    files) to ``<name>.corrupt-<UTC time>`` beside it, so a restore can write a fresh file and
    nothing is lost; return the new name (None when the file is missing or sound)."""
    try:
        check_file(path)
        return None
    except StateCorrupt:
        kept = path.with_name(
            f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
        )
        for suffix in ("", "-wal", "-shm"):
            damaged = Path(f"{path}{suffix}")
            if damaged.exists():
                damaged.rename(Path(f"{kept}{suffix}"))
        return kept


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
                check_file(Path(database))
            self.engine: Engine = create_engine(
                parsed, connect_args={"timeout": 30, "check_same_thread": False}
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(parsed, pool_pre_ping=True, pool_size=2, max_overflow=4)
        try:
            self._create_tables()
        except DBAPIError as error:
            if self.path is not None and is_corruption(error):
                raise StateCorrupt(self.path, str(error.orig)) from error
            raise

    def _create_tables(self) -> None:
        """Create missing tables. On PostgreSQL, under a transaction-scoped advisory lock, so
        several processes starting at once do not race on ``CREATE TABLE`` (the loser would
        fail on the catalogue's unique index)."""
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
            metadata.create_all(connection)

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
