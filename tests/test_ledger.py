"""The digest ledger: one claim per channel and day, across connections, threads and restarts."""

from __future__ import annotations

import logging
import threading
from datetime import date

from bot.settings import ChannelPlan
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from bot.store.sources import SourceHealth
from bot.store.state import BotState

DAY = date(2026, 8, 19)


class Clock:
    def __init__(self, t: float = 1_787_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_only_the_first_claim_wins_and_a_sent_row_is_final(state_target):
    ledger = DigestLedger(state_target)
    assert ledger.claim("slack", "C1", DAY, "ml", ["a", "b"])
    assert not ledger.claim("slack", "C1", DAY, "ml", ["c"])
    ledger.mark_sent("slack", "C1", DAY, "1234.5678")
    assert not ledger.claim("slack", "C1", DAY, "ml", ["c"])
    entry = ledger.entry("slack", "C1", DAY)
    assert (entry.status, entry.message_id, entry.paper_ids) == ("sent", "1234.5678", ("a", "b"))
    assert ledger.claim("slack", "C2", DAY, "ml", ["a"]), "another channel is independent"
    assert ledger.claim("discord", "C1", DAY, "ml", ["a"]), "another platform is independent"


def test_ledger_shares_the_bot_state_file(state_target):
    path = state_target
    state = BotState(path)
    ledger = DigestLedger(path)
    assert state.claim_event("evt-1")
    assert ledger.claim("slack", "C1", DAY, "ml", ["a"])
    reopened = DigestLedger(path)
    assert reopened.entry("slack", "C1", DAY).status == "pending"
    state.close()


def test_failed_posts_may_be_claimed_again_up_to_max_attempts(state_target):
    ledger = DigestLedger(state_target, max_attempts=2)
    assert ledger.claim("slack", "C1", DAY, "ml", ["a"])
    ledger.mark_failed("slack", "C1", DAY, "HTTP 500")
    assert ledger.sent_paper_ids("slack", "C1") == set(), "a failed post delivered nothing"
    assert ledger.claim("slack", "C1", DAY, "ml", ["a"])
    ledger.mark_failed("slack", "C1", DAY, "HTTP 500")
    assert not ledger.claim("slack", "C1", DAY, "ml", ["a"])
    entry = ledger.entry("slack", "C1", DAY)
    assert (entry.status, entry.attempts, entry.note) == ("failed", 2, "HTTP 500")


def test_reconcile_marks_only_stale_pending_rows_unknown_and_logs_them(state_target, caplog):
    clock = Clock()
    ledger = DigestLedger(state_target, pending_timeout_s=600, clock=clock)
    ledger.claim("slack", "C1", DAY, "ml", ["a", "b"])
    clock.t += 300
    ledger.claim("slack", "C2", DAY, "ml", ["c"])
    assert ledger.reconcile() == []
    clock.t += 400
    with caplog.at_level(logging.WARNING, logger="bot.store.ledger"):
        stale = ledger.reconcile()
    assert [(e.channel_id, e.status) for e in stale] == [("C1", "pending")]
    assert ledger.entry("slack", "C1", DAY).status == "unknown"
    assert ledger.entry("slack", "C2", DAY).status == "pending"
    assert "never confirmed" in caplog.text
    assert not ledger.claim("slack", "C1", DAY, "ml", ["x"]), "unknown is never re-sent"
    assert ledger.sent_paper_ids("slack", "C1") == {"a", "b"}, "unknown papers count as received"


def test_sent_paper_ids_can_leave_out_one_day(state_target):
    ledger = DigestLedger(state_target)
    other = date(2026, 8, 18)
    ledger.claim("slack", "C1", other, "ml", ["a"])
    ledger.mark_sent("slack", "C1", other, "m1")
    ledger.claim("slack", "C1", DAY, "ml", ["b"])
    assert ledger.sent_paper_ids("slack", "C1") == {"a", "b"}
    assert ledger.sent_paper_ids("slack", "C1", exclude_day=DAY) == {"a"}
    assert ledger.record("slack", "C1", date(2026, 8, 20), "ml", "skipped", "missed")
    assert not ledger.record("slack", "C1", date(2026, 8, 20), "ml", "skipped", "again")


def test_concurrent_claims_from_many_connections_have_one_winner(state_target):
    path = state_target
    DigestLedger(path).close()
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def contender() -> None:
        ledger = DigestLedger(path)
        barrier.wait()
        wins.append(ledger.claim("discord", "42", DAY, "ml", ["a"]))
        ledger.close()

    threads = [threading.Thread(target=contender) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_plan_overrides_round_trip_and_unsubscribe(state_target):
    plans = ChannelPlans(state_target)
    plan = ChannelPlan(name="ml", platform="slack", channel_id="C1", topic="speech", count=3)
    plans.save(plan)
    assert ChannelPlans(state_target).overrides() == {("slack", "C1"): plan}
    plans.remove("slack", "C1")
    assert plans.overrides() == {("slack", "C1"): None}


def test_source_status_tracks_failures_after_the_last_success(state_target):
    clock = Clock()
    sources = SourceHealth(state_target, clock=clock)
    assert sources.status("hf") is None
    sources.record("hf")
    clock.t += 60
    sources.record("hf", "HTTP 500")
    status = sources.status("hf")
    assert status.failing and status.last_ok == clock.t - 60 and "500" in status.last_error
    clock.t += 60
    sources.record("hf")
    assert not sources.status("hf").failing
