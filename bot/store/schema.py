"""The state database's tables, one definition for SQLite and PostgreSQL (SQLAlchemy Core).

Created on open with ``CREATE TABLE IF NOT EXISTS`` semantics, so files made by earlier
versions (raw SQLite DDL with the same columns) open unchanged.
"""

from __future__ import annotations

from sqlalchemy import Column, Double, Integer, MetaData, Table, Text

metadata = MetaData()

seen_events = Table(
    "seen_events",
    metadata,
    Column("event_key", Text, primary_key=True),
    Column("seen_at", Double, nullable=False),
)
paging = Table(
    "paging",
    metadata,
    Column("token", Text, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)
last_pages = Table(
    "last_pages",
    metadata,
    Column("conversation", Text, primary_key=True),
    Column("token", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)
answers = Table(
    "answers",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("channel_id", Text, primary_key=True),
    Column("message_id", Text, primary_key=True),
    Column("paper_ids", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)
feedback = Table(
    "feedback",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("channel_id", Text, primary_key=True),
    Column("message_id", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("value", Integer, nullable=False),
    Column("paper_ids", Text, nullable=False),
    Column("created_at", Double, nullable=False),
)
digest_ledger = Table(
    "digest_ledger",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("channel_id", Text, primary_key=True),
    Column("day", Text, primary_key=True),
    Column("plan", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False),
    Column("paper_ids", Text, nullable=False, server_default="[]"),
    Column("message_id", Text),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("owner", Text, nullable=False, server_default=""),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)
digest_plans = Table(
    "digest_plans",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("channel_id", Text, primary_key=True),
    Column("plan", Text),
    Column("updated_at", Double, nullable=False),
)
source_status = Table(
    "source_status",
    metadata,
    Column("source", Text, primary_key=True),
    Column("last_ok", Double),
    Column("last_error", Text),
    Column("last_error_at", Double),
)
leases = Table(
    "leases",
    metadata,
    Column("name", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("expires_at", Double, nullable=False),
    Column("acquired_at", Double, nullable=False),
)
alert_topics = Table(
    "alert_topics",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("topic", Text, primary_key=True),
    Column("position", Integer, nullable=False),  # 1, 2, ... per user, in the order added
    Column("created_at", Double, nullable=False),
)
alert_ledger = Table(
    "alert_ledger",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("day", Text, primary_key=True),
    Column("status", Text, nullable=False),
    Column("paper_ids", Text, nullable=False, server_default="[]"),
    Column("message_id", Text),
    Column("note", Text, nullable=False, server_default=""),
    Column("created_at", Double, nullable=False),
    Column("updated_at", Double, nullable=False),
)
meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", Double, nullable=False),
)
similar_clicks = Table(
    "similar_clicks",
    metadata,
    Column("platform", Text, primary_key=True),
    Column("channel_id", Text, primary_key=True),
    Column("user_id", Text, primary_key=True),
    Column("paper_id", Text, primary_key=True),
    Column("created_at", Double, nullable=False),
)
