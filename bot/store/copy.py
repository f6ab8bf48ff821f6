"""Copying the state database's rows between backends (SQLite <-> PostgreSQL): used by
``paperboy migrate-state`` and by backup / restore of a PostgreSQL state database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from bot.store.db import StateDB, sqlite_url
from bot.store.schema import metadata


def has_data(db: StateDB) -> bool:
    """True when any state table holds a row."""
    with db.engine.connect() as conn:
        return any(
            conn.execute(select(func.count()).select_from(table)).scalar()
            for table in metadata.sorted_tables
        )


def copy_tables(source: StateDB, target: StateDB, *, replace: bool = False) -> dict[str, int]:
    """Copy every state table's rows from ``source`` into ``target`` in one transaction on the
    target (all or nothing); with ``replace`` the target's rows are deleted first. Returns the
    rows copied per table."""
    counts: dict[str, int] = {}
    with source.engine.connect() as src, target.engine.begin() as dst:
        for table in metadata.sorted_tables:
            rows = [dict(row._mapping) for row in src.execute(select(table))]
            if replace:
                dst.execute(table.delete())
            if rows:
                dst.execute(table.insert(), rows)
            counts[table.name] = len(rows)
    return counts


def snapshot_to_file(source: StateDB, dest: Path) -> dict[str, int]:
    """Write ``source``'s rows into a new self-contained SQLite file ``dest`` (rollback-journal
    mode, like the snapshots of a SQLite state database)."""
    target = StateDB(sqlite_url(dest))
    try:
        counts = copy_tables(source, target)
    finally:
        target.close()
    conn = sqlite3.connect(dest)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()
    return counts
