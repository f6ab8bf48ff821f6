"""The state database on both backends (a SQLite file and a real PostgreSQL server): bot state,
retention pruning, ``paperboy migrate-state``, and backup / restore of a PostgreSQL state."""

from __future__ import annotations

import shutil
import time
from datetime import date

from bot.settings import ChannelPlan
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from bot.store.state import BotState
from tests.test_backup import run

DAY = date(2026, 11, 20)
PLAN = ChannelPlan(name="chat-C2", platform="discord", channel_id="C2", topic="diffusion")


def fill(target) -> None:  # noqa: ANN001 (a SQLite path or a URL)
    """Some state of every kind: an answered event, a page, feedback, a digest, a plan."""
    state = BotState(target)
    assert state.claim_event("slack:Ev1")
    token = state.save_page({"query": "fast attention", "page": 2})
    state.record_answer("slack", "C1", "m1", ["2105.03824", "2111.00001"])
    assert state.record_feedback("slack", "C1", "m1", "U1", 1)
    state.close()
    ledger = DigestLedger(target)
    assert ledger.claim("slack", "C1", DAY, "ml", ["2105.03824"])
    ledger.mark_sent("slack", "C1", DAY, "1700000000.0001")
    ledger.close()
    plans = ChannelPlans(target)
    plans.save(PLAN)
    plans.close()
    state = BotState(target)
    assert state.load_page(token) == {"query": "fast attention", "page": 2}
    state.close()


def check(target) -> None:  # noqa: ANN001
    """Everything :func:`fill` wrote is there."""
    state = BotState(target)
    assert not state.claim_event("slack:Ev1"), "an answered event stays answered"
    assert state.answer_papers("slack", "C1", "m1") == ["2105.03824", "2111.00001"]
    assert state.feedback_totals() == {"2105.03824": 1, "2111.00001": 1}
    state.close()
    ledger = DigestLedger(target)
    entry = ledger.entry("slack", "C1", DAY)
    assert (entry.status, entry.message_id) == ("sent", "1700000000.0001")
    assert not ledger.claim("slack", "C1", DAY, "ml", ["x"]), "a sent digest is never re-sent"
    ledger.close()
    plans = ChannelPlans(target)
    assert plans.overrides() == {("discord", "C2"): PLAN}
    plans.close()


def test_bot_state_answers_once_pages_and_counts_the_latest_vote(state_target):
    state = BotState(state_target)
    assert state.claim_event("discord:message:1") and not state.claim_event("discord:message:1")
    token = state.save_page({"query": "linear attention", "offset": 5})
    assert state.load_page(token) == {"query": "linear attention", "offset": 5}
    assert state.load_page("nope") is None
    assert state.record_feedback("slack", "C1", "m9", "U1", 1) is None, "unknown message"
    state.record_answer("slack", "C1", "m9", ["a", "b"])
    state.record_feedback("slack", "C1", "m9", "U1", 1)
    state.record_feedback("slack", "C1", "m9", "U1", -1)  # changed their mind
    state.record_feedback("slack", "C1", "m9", "U2", -1)
    assert state.feedback_totals() == {"a": -2, "b": -2}
    state.set_last_page(["slack:C1:1.5:U1", "slack:C1::U1"], token)  # a thread, its channel
    newer = state.save_page({"query": "mamba"})
    state.set_last_page(["slack:C1::U1"], newer)  # a later answer in the channel
    assert state.last_page(["slack:C1:1.5:U1", "slack:C1::U1"]) == token, "the thread first"
    assert state.last_page(["slack:C1:9.9:U1", "slack:C1::U1"]) == newer
    assert state.last_page(["slack:C1::U2"]) is None, "another user's answers are not theirs"
    state.close()


def test_retention_prunes_old_rows_and_keeps_recent_ones(state_target):
    state = BotState(state_target)
    state.claim_event("old")
    old_token = state.save_page({"q": "old"})
    state.record_answer("slack", "C1", "old", ["a"])
    state.record_feedback("slack", "C1", "old", "U1", 1)
    state.record_similar("slack", "C1", "U1", "a")
    state.set_last_page(["slack:C1::U1"], old_token)
    long_ago = time.time() - 40 * 86400
    for table, column in (("seen_events", "seen_at"), ("paging", "created_at"),
                          ("last_pages", "created_at"), ("answers", "created_at"),
                          ("feedback", "created_at"), ("similar_clicks", "created_at")):  # fmt: skip
        state.db.execute(f"UPDATE {table} SET {column} = :t", t=long_ago)
    new_token = state.save_page({"q": "new"})
    state.claim_event("new")
    deleted = state.prune(30 * 86400)
    assert deleted == {"seen_events": 1, "paging": 1, "last_pages": 1, "answers": 1, "feedback": 1,
                       "similar_clicks": 1}  # fmt: skip
    assert state.last_page(["slack:C1::U1"]) is None
    assert state.load_page(old_token) is None and state.load_page(new_token) == {"q": "new"}
    assert not state.claim_event("new") and state.claim_event("old")
    state.close()


def test_migrate_state_copies_everything_and_refuses_a_target_with_data(
    tmp_path, pg_url, monkeypatch
):
    data = tmp_path / "data"
    fill(data / "state.sqlite3")
    secret_url = pg_url.replace("paperboy@", "paperboy:s3cret-pw@")
    done = run(["migrate-state", "--to", secret_url], monkeypatch, data)
    assert done.exit_code == 0, done.output
    assert "digest_ledger 1" in done.stdout and "feedback 1" in done.stdout
    assert "s3cret-pw" not in done.output, "a password is never shown"
    check(pg_url)

    again = run(["migrate-state", "--to", secret_url], monkeypatch, data)
    assert again.exit_code == 2 and "already holds data" in again.output
    assert "s3cret-pw" not in again.output
    forced = run(["migrate-state", "--to", pg_url, "--force"], monkeypatch, data)
    assert forced.exit_code == 0, forced.output
    check(pg_url)  # replaced, not doubled

    nothing = run(["migrate-state", "--to", pg_url], monkeypatch, tmp_path / "empty")
    assert nothing.exit_code == 2 and "nothing to migrate" in nothing.output


def test_migrate_state_to_an_unreachable_server_is_a_clear_error(tmp_path, monkeypatch):
    data = tmp_path / "data"
    fill(data / "state.sqlite3")
    done = run(["migrate-state", "--to", "postgresql://u:pw@127.0.0.1:1/db"], monkeypatch, data)
    assert done.exit_code == 1 and "Migration to" in done.output
    assert "Traceback" not in done.output and ":pw@" not in done.output


def test_backup_and_restore_of_a_postgresql_state(
    demo_index_dir, pg_url, new_pg_database, tmp_path, monkeypatch
):
    pg_url_two = new_pg_database()

    data = tmp_path / "data"
    shutil.copytree(demo_index_dir, data)
    fill(pg_url)
    archive = tmp_path / "b.tar.gz"
    made = run(["backup", str(archive)], monkeypatch, data, PAPERBOY_STATE_URL=pg_url)
    assert made.exit_code == 0, made.output
    fresh = tmp_path / "fresh"
    done = run(["restore", str(archive)], monkeypatch, fresh, PAPERBOY_STATE_URL=pg_url_two)
    assert done.exit_code == 0, done.output
    check(pg_url_two)
    refused = run(["restore", str(archive)], monkeypatch, fresh, PAPERBOY_STATE_URL=pg_url_two)
    assert refused.exit_code == 2 and "already holds" in refused.output
    forced = run(["restore", str(archive), "--force"], monkeypatch, fresh,
                 PAPERBOY_STATE_URL=pg_url_two)  # fmt: skip
    assert forced.exit_code == 0, forced.output  # --force replaces papers and state
    check(pg_url_two)
    into_sqlite = run(["restore", str(archive)], monkeypatch, tmp_path / "sqlite-host")
    assert into_sqlite.exit_code == 0, into_sqlite.output
    check(tmp_path / "sqlite-host" / "state.sqlite3")


def test_processes_starting_together_on_an_empty_postgresql_all_open_it(pg_url):
    """Several hosts starting at once against a fresh database: each opens it (none loses a
    CREATE TABLE race) and they share one set of tables."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.store.db import StateDB

    def open_and_mark(n: int) -> StateDB:
        db = StateDB.open(pg_url)
        assert BotState(db).claim_event(f"event-{n}")
        return db

    with ThreadPoolExecutor(max_workers=6) as pool:
        dbs = list(pool.map(open_and_mark, range(6)))
    assert dbs[0].rows("SELECT count(*) FROM seen_events") == [(6,)]
    for db in dbs:
        db.close()
