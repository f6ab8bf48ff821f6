"""Personal alerts in the state database, on SQLite and PostgreSQL: each user's topics, and the
alert ledger (once per paper, at most one DM per user and day, across restarts)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import numpy as np

from bot.alerts.run import AlertRunner
from bot.ops.metrics import Metrics
from bot.settings import AlertSettings
from bot.store.alerts import AlertLedger, AlertTopics
from bot.store.copy import copy_tables
from bot.store.db import StateDB
from retrieval.digest import MemoryDigestIndex
from retrieval.models import Paper

DAY = date(2026, 8, 19)
NOW = datetime(2026, 8, 19, 10, 0, tzinfo=UTC)
ADDED = datetime(2026, 8, 18, 9, 0, tzinfo=UTC).timestamp()  # the topics were added the day before
VOCABULARY = ("video", "generation", "robot", "manipulation", "graph", "neural", "speech")


def bag_of_words(texts: list[str]) -> np.ndarray:
    """A tiny deterministic embedding: unit vectors of word counts over a fixed vocabulary."""
    rows = np.array([[t.lower().count(w) for w in VOCABULARY] for t in texts], dtype=float) + 1e-3
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def paper(pid: str, title: str, day: date = DAY) -> Paper:
    return Paper(id=pid, title=title, abstract=f"{title}.", list_date=day)


class Poster:
    """Records DMs; users in ``refuses`` get the platform's refusal (they block DMs)."""

    def __init__(self, refuses: frozenset[str] = frozenset()) -> None:
        self.sent: list[tuple[str, tuple[str, ...]]] = []
        self.refuses = refuses

    async def post_dm(self, user_id: str, reply) -> str:
        if user_id in self.refuses:
            raise RuntimeError("cannot_dm_user")
        self.sent.append((user_id, reply.paper_ids))
        return f"m{len(self.sent)}"


def runner(db, index, metrics=None) -> AlertRunner:
    return AlertRunner(
        index,
        AlertTopics(db),
        AlertLedger(db),
        AlertSettings(max_papers=2),
        metrics or Metrics(),
        clock=lambda: NOW,
    )


def test_topics_are_numbered_per_user_and_removed_by_number(state_target):
    topics = AlertTopics(state_target, clock=iter([1.0, 2.0, 3.0, 4.0]).__next__)
    assert topics.add("slack", "U1", "video generation")
    assert topics.add("slack", "U1", "graph neural networks")
    assert not topics.add("slack", "U1", "video generation"), "already watched"
    assert topics.add("discord", "U1", "speech")
    assert [t.topic for t in topics.topics("slack", "U1")] == [
        "video generation",
        "graph neural networks",
    ]
    assert topics.remove("slack", "U1", 3) is None
    assert topics.remove("slack", "U1", 1).topic == "video generation"
    assert [t.topic for t in topics.topics("slack", "U1")] == ["graph neural networks"]
    assert set(topics.subscribers()) == {("slack", "U1"), ("discord", "U1")}


def test_one_claim_per_user_and_day_and_received_papers_survive_a_restart(state_target):
    ledger = AlertLedger(state_target)
    assert ledger.claim("slack", "U1", DAY, ["a", "b"])
    assert not ledger.claim("slack", "U1", DAY, ["c"]), "one DM a day"
    ledger.mark_failed("slack", "U1", DAY, "cannot_dm_user")
    assert not ledger.claim("slack", "U1", DAY, ["c"]), "a refused day is not retried"
    assert ledger.claim("slack", "U2", DAY, ["a"]), "another user is independent"
    ledger.mark_sent("slack", "U2", DAY, "m1")
    ledger.close()
    reopened = AlertLedger(StateDB.open(state_target))
    assert reopened.received("slack", "U1") == set(), "a refused DM delivered nothing"
    assert reopened.received("slack", "U2") == {"a"}
    assert reopened.entry("slack", "U2", DAY).status == "sent"
    assert reopened.sent_count() == 1


async def test_the_run_sends_once_a_day_never_repeats_a_paper_and_survives_a_restart(
    state_target, caplog
):
    caplog.set_level(logging.WARNING, logger="bot.alerts.run")
    index = MemoryDigestIndex(
        [
            paper("v1", "Video generation with diffusion"),
            paper("v2", "Long video generation"),
            paper("v3", "Video generation benchmark"),
            paper("r1", "Robot manipulation"),
            paper("old", "Video generation survey", date(2026, 8, 10)),
        ],
        embed=bag_of_words,
    )
    db = StateDB.open(state_target)
    topics = AlertTopics(db, clock=lambda: ADDED)
    topics.add("slack", "U1", "video generation")
    topics.add("slack", "U2", "robot manipulation")
    topics.add("slack", "U3", "video generation")  # blocks DMs
    topics.add("slack", "U4", "speech")  # nothing matches
    poster, metrics = Poster(refuses=frozenset({"U3"})), Metrics()

    outcomes = await runner(db, index, metrics).run({"slack": poster})
    assert {(o.user_id, o.status) for o in outcomes} == {
        ("U1", "sent"), ("U2", "sent"), ("U3", "failed"),
    }  # fmt: skip
    first = dict(poster.sent)
    assert len(first["U1"]) == 2 and set(first["U1"]) <= {"v1", "v2", "v3"}, "best 2 of 3"
    assert first["U2"] == ("r1",)
    assert "old" not in first["U1"], "listed before the lookback window"
    assert "alert DM to slack:U3 failed" in caplog.text
    db.close()

    db = StateDB.open(state_target)  # a restart, the same day: nothing more is sent
    outcomes = await runner(db, index, metrics).run({"slack": poster})
    assert {o.status for o in outcomes} == {"already"} and len(poster.sent) == 2

    index.add([paper("v4", "Video generation at scale", date(2026, 8, 20))])
    tomorrow = datetime(2026, 8, 20, 10, 0, tzinfo=UTC)
    await runner(db, index, metrics).run({"slack": poster}, tomorrow)
    assert first["U1"] == ("v1", "v2"), "equal scores: by id"
    [(user, later)] = poster.sent[2:]  # U2 has nothing new, U3 still blocks DMs
    assert user == "U1" and set(later) == {"v3", "v4"}, "never the same paper twice"
    text = metrics.render()[0].decode()
    assert 'paperboy_alerts_total{platform="slack",status="sent"} 3.0' in text
    assert 'paperboy_alerts_total{platform="slack",status="failed"} 2.0' in text


def test_migrate_state_copies_the_alert_tables(state_target, tmp_path):
    source = StateDB.open(tmp_path / "old.sqlite3")
    AlertTopics(source).add("discord", "42", "graph neural networks")
    AlertLedger(source).claim("discord", "42", DAY, ["2608.00001"])
    target = StateDB.open(state_target)
    counts = copy_tables(source, target)
    assert counts["alert_topics"] == 1 and counts["alert_ledger"] == 1
    assert [t.topic for t in AlertTopics(target).topics("discord", "42")] == [
        "graph neural networks"
    ]
    assert AlertLedger(target).received("discord", "42") == {"2608.00001"}


def test_alert_commands_keep_to_the_limits_with_friendly_answers(state_target):
    from bot.alerts.chat import AlertChat

    chat = AlertChat(AlertTopics(state_target), AlertSettings(max_topics=2, max_topic_chars=40))
    assert chat.handle("slack", "U1", "").title == "Personal alerts", "usage"
    assert chat.handle("slack", "U1", "video generation").title == "Alert added"
    assert chat.handle("slack", "U1", "Video Generation").title == "Already watching"
    assert chat.handle("slack", "U1", "`graph neural networks`").title == "Alert added"
    full = chat.handle("slack", "U1", "speech recognition")
    assert full.kind == "error" and "2 alerts, the most I keep" in full.text
    assert "under 40" in chat.handle("slack", "U1", "x" * 41).text
    assert "Which one?" in chat.handle("slack", "U1", "remove").text
    assert "no alert number 3" in chat.handle("slack", "U1", "remove 3").text
    assert "“video generation”" in chat.handle("slack", "U1", "remove #1").text
    listed = chat.handle("slack", "U1", "list").text
    assert listed.startswith("1. graph neural networks") and "video" not in listed
    assert "no alerts yet" in chat.handle("discord", "U1", "list").text, "per platform"
