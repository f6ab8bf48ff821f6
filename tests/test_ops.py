"""`paperboy status` and `paperboy migrate` against a real embedded store and a real `chroma run`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.store.ledger import DigestLedger
from bot.store.sources import SourceHealth
from retrieval.index import PaperIndex
from retrieval.models import SearchQuery
from retrieval.sentence_store import SentenceStore
from retrieval.sources.jsonl import read_jsonl
from retrieval.store import PaperStore
from tests.test_chroma_server import chroma_server, free_port  # noqa: F401 (fixture)

runner = CliRunner()


@pytest.fixture(scope="module")
def papers(shared_data):
    return read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers[:30]


@pytest.fixture(scope="module")
def embedded_dir(tmp_path_factory, embedder, papers):
    """A data dir whose embedded store holds 30 real papers (embedded once)."""
    data_dir = tmp_path_factory.mktemp("ops")
    PaperIndex.open(data_dir, embedder).ingest(papers)
    return data_dir


def run(args: list[str], monkeypatch, data_dir, **env: str):
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    return runner.invoke(app, args, env={"PAPERBOY_DATA_DIR": str(data_dir), **env})


def test_status_reports_store_sources_plans_and_ledger(embedded_dir, papers, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(
        "demo_corpus = false\n[[digest.plans]]\nname = 'ml'\nplatform = 'slack'\n"
        "channel_id = 'C1'\ntime = '09:00'\ntimezone = 'Europe/Berlin'\n"
        "days = ['mon', 'tue', 'wed', 'thu', 'fri']\n"
    )
    state = tmp_path / "state"
    state.mkdir()
    (state / "chroma").symlink_to(embedded_dir / "chroma")
    ledger = DigestLedger(state / "state.sqlite3")
    day = date(2026, 11, 20)
    assert ledger.claim("slack", "C1", day, "ml", ["2105.03824", "2111.00001"])
    ledger.mark_sent("slack", "C1", day, "1700000000.0001")
    ledger.close()
    sources = SourceHealth(state / "state.sqlite3")
    sources.record("hf")
    sources.record("arxiv", "HTTPError: 503")
    sources.close()

    before = datetime.now(UTC)
    done = run(["status", "--json"], monkeypatch, state, PAPERBOY_CONFIG=str(config))
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["store"]["backend"] == "embedded"
    assert data["store"]["papers"] == len(papers)
    assert data["store"]["revision"] >= 1
    listed = [p.list_date for p in papers if p.list_date]
    assert data["latest_list_day"] == (max(listed).isoformat() if listed else None)
    assert data["sources"]["hf"]["last_ok"] and not data["sources"]["hf"]["failing"]
    assert data["sources"]["arxiv"]["failing"] and "503" in data["sources"]["arxiv"]["last_error"]
    [plan] = data["plans"]
    fire = datetime.fromisoformat(plan["next_digest"])
    local = fire.astimezone(ZoneInfo("Europe/Berlin"))
    assert before < fire < before + timedelta(days=4)
    assert (local.hour, local.minute) == (9, 0) and local.weekday() < 5
    [row] = data["ledger"]
    assert (row["status"], row["papers"], row["message_id"]) == ("sent", 2, "1700000000.0001")

    text = run(["status"], monkeypatch, state, PAPERBOY_CONFIG=str(config))
    assert text.exit_code == 0
    assert f"{len(papers)} papers" in text.stdout and "sent" in text.stdout


def test_status_exits_1_with_a_clear_message_when_the_chroma_server_is_down(tmp_path, monkeypatch):
    port = free_port()  # nothing listens there
    env = {"PAPERBOY_STORE__CHROMA_HOST": "127.0.0.1", "PAPERBOY_STORE__CHROMA_PORT": str(port)}
    for args in (["status"], ["status", "--check"]):
        done = run(args, monkeypatch, tmp_path, **env)
        assert done.exit_code == 1
        assert f"127.0.0.1:{port}" in done.stderr and "Traceback" not in done.output


def test_migrate_copies_every_record_and_search_agrees(
    embedded_dir,
    papers,
    chroma_server,  # noqa: F811 (the imported fixture)
    embedder,
    tmp_path,
    monkeypatch,
):
    args = ["migrate", "--to-host", "127.0.0.1", "--to-port", str(chroma_server)]
    args += ["--collection", "migrated", "--from-dir", str(embedded_dir)]
    done = run(args, monkeypatch, tmp_path / "unused")
    assert done.exit_code == 0, done.output
    assert f"verified: all {len(papers)} papers" in done.stdout

    source = PaperStore.embedded(embedded_dir / "chroma")
    target = PaperStore.remote("127.0.0.1", chroma_server, "migrated")
    want = {pid: (meta, doc, vec) for pid, meta, doc, vec in source.iter_records(True, True)}
    got = {pid: (meta, doc, vec) for pid, meta, doc, vec in target.iter_records(True, True)}
    assert set(got) == set(want) == {p.id for p in papers}
    assert source.embedder_spec == "bundled" == target.embedder_spec  # the model goes along
    for pid, (meta, doc, vec) in want.items():
        assert got[pid][0] == meta and got[pid][1] == doc
        assert np.allclose(got[pid][2], vec, atol=1e-6)
    sentences = SentenceStore(target.client, "migrated").iter_raw()  # carried, not re-embedded
    assert dict(sentences) == dict(SentenceStore(source.client, "papers").iter_raw())
    assert SentenceStore(target.client, "migrated").count() == len(papers)

    again = run(args, monkeypatch, tmp_path / "unused")  # idempotent
    assert again.exit_code == 0, again.output
    assert target.count() == len(papers)

    local = PaperIndex.open(embedded_dir, embedder)
    remote = PaperIndex(target, embedder, tmp_path / "lexical")
    for text in (papers[3].title, "fast Fourier transform for molecular docking"):
        for mode in ("dense", "hybrid"):
            mine = local.search(SearchQuery(text=text, limit=3), mode=mode).hits
            theirs = remote.search(SearchQuery(text=text, limit=3), mode=mode).hits
            assert theirs[0].paper.id == mine[0].paper.id


def test_migrate_refuses_a_dir_without_an_embedded_store(tmp_path, monkeypatch):
    done = run(["migrate", "--to-host", "127.0.0.1"], monkeypatch, tmp_path / "empty")
    assert done.exit_code == 2
    assert "No embedded store" in done.stderr
