"""First start with an empty store: backfill the last ``scheduler.backfill_days`` of Hugging Face
daily lists from a local server replaying recorded answers, with progress in the log; offline,
the bundled demo corpus as before."""

from __future__ import annotations

import gzip
import itertools
import json
import logging
import socket
from datetime import date

from bot.corpus import demo_corpus_path, first_start, list_days
from bot.settings import SchedulerSettings, Settings
from retrieval.index import PaperIndex
from retrieval.sources.jsonl import read_jsonl
from tests.test_scheduler_refresh import HF, FakeHF, serving

FRIDAY = date(2026, 8, 21)


def settings_for(tmp_path, url: str, days: int = 3) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        scheduler=SchedulerSettings(hf_api_base_url=url, backfill_days=days),
    )


def test_weekends_have_no_lists():
    assert list_days(3, FRIDAY) == [date(2026, 8, 19), date(2026, 8, 20), FRIDAY]
    assert list_days(3, date(2026, 8, 24)) == [date(2026, 8, 24)], "Sat and Sun skipped"
    assert len(list_days(30, FRIDAY)) == 22


def test_an_empty_store_is_backfilled_from_the_daily_lists(tmp_path, embedder, caplog):
    caplog.set_level(logging.INFO, logger="bot.corpus")
    FakeHF.status, FakeHF.requests = 200, []
    index = PaperIndex.open(tmp_path / "data", embedder)
    with serving(FakeHF) as server:
        settings = settings_for(tmp_path, f"http://127.0.0.1:{server.server_address[1]}")
        report = first_start(settings, index, FRIDAY)
        asked = [r.rsplit("date=", 1)[-1] for r in FakeHF.requests]
        assert first_start(settings, index, FRIDAY) is None, "only an empty store is filled"
    assert asked == ["2026-08-19", "2026-08-20", "2026-08-21"]
    listed = {
        e["paper"]["id"] for day in asked for e in json.loads((HF / f"{day}.json").read_text())
    }
    assert report is not None and index.count() == len(listed)
    assert index.latest_list_date() == FRIDAY
    assert "backfilling 3 Hugging Face daily lists" in caplog.text
    assert "backfill: list 1/3 (2026-08-19): 26 papers" in caplog.text
    assert "backfill: list 3/3 (2026-08-21): 17 papers" in caplog.text
    assert f"backfill: embedded {len(listed)}/{len(listed)} papers" in caplog.text


def test_offline_the_demo_corpus_is_used(tmp_path, embedder, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="bot.corpus")
    # the bundled corpus cut to its first 40 records: embedding all 654 here costs minutes
    corpus = tmp_path / "demo.jsonl"
    with gzip.open(demo_corpus_path(), "rt", encoding="utf-8") as bundled:
        corpus.write_text("".join(itertools.islice(bundled, 40)), encoding="utf-8")
    monkeypatch.setattr("bot.corpus.demo_corpus_path", lambda: corpus)
    with socket.socket() as probe:  # a port nothing listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    index = PaperIndex.open(tmp_path / "data", embedder)
    first_start(settings_for(tmp_path, f"http://127.0.0.1:{port}"), index, FRIDAY)
    assert index.count() == len({p.id for p in read_jsonl(corpus).papers}) > 30
    assert "the Hugging Face daily list is unreachable" in caplog.text
    assert "using the bundled demo corpus instead" in caplog.text
