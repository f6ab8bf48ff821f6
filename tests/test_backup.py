"""`paperboy backup` / `paperboy restore` with the real model, real Chroma (embedded and a
`chroma run` server) and real SQLite state."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tarfile
from contextlib import closing
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.ops.backup import create_backup
from bot.ops.restore import restore_backup
from bot.settings import ChannelPlan
from bot.store.ledger import DigestLedger
from bot.store.plans import ChannelPlans
from bot.store.state import BotState
from retrieval.index import PaperIndex
from retrieval.models import Paper, SearchQuery
from retrieval.sentence_store import SentenceStore
from retrieval.store import PaperStore
from tests.fakes.processes import ChromaProcess

runner = CliRunner()
DAY = date(2026, 11, 20)
QUESTIONS = ("fast FFT-based attention papers", "diffusion models for video generation")
MEMBERS = ["manifest.json", "papers.jsonl", "vectors.npy", "sentences.jsonl", "state.sqlite3"]


def run(args: list[str], monkeypatch, data_dir: Path, **env: str):
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    for key in ("PAPERBOY_STORE__CHROMA_HOST", "PAPERBOY_EMBEDDING__MODEL"):
        monkeypatch.delenv(key, raising=False)
    base = {"PAPERBOY_DATA_DIR": str(data_dir), "PAPERBOY_DEMO_CORPUS": "false"}
    return runner.invoke(app, args, env={**base, **env})


def records(store: PaperStore) -> dict[str, tuple]:
    return {pid: (meta, doc, vec) for pid, meta, doc, vec in store.iter_records(True, True)}


def sentence_records(store: PaperStore) -> dict[str, dict]:
    return dict(SentenceStore(store.client, store.collection_name).iter_raw())


def top_ids(index: PaperIndex, text: str) -> list[str]:
    return [h.paper.id for h in index.search(SearchQuery(text=text, limit=5)).hits]


def one_line_error(done) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.output
    return lines[0]


@pytest.fixture(scope="module")
def original(tmp_path_factory, demo_index_dir):
    """A copy of the demo index plus real state, and a backup of both made with the CLI."""
    data_dir = tmp_path_factory.mktemp("original") / "data"
    shutil.copytree(demo_index_dir, data_dir)
    store = PaperStore.embedded(data_dir / "chroma")
    sent = [pid for pid, *_ in store.iter_records(with_documents=False)][:3]
    state_path = data_dir / "state.sqlite3"
    ledger = DigestLedger(state_path)
    assert ledger.claim("slack", "C1", DAY, "ml", sent)
    ledger.mark_sent("slack", "C1", DAY, "1700000000.0001")
    plan = ChannelPlan(
        name="chat-C2", platform="discord", channel_id="C2", topic="diffusion", time="08:30"
    )
    ledger.close()
    with closing(ChannelPlans(state_path)) as plans:
        plans.save(plan)
    state = BotState(state_path)
    state.record_answer("slack", "C1", "m1", sent[:2])
    assert state.record_feedback("slack", "C1", "m1", "U1", 1)
    state.close()

    backups = tmp_path_factory.mktemp("backups")
    with pytest.MonkeyPatch.context() as mp:
        done = run(["backup", str(backups)], mp, data_dir)
    assert done.exit_code == 0, done.output
    [archive] = backups.iterdir()  # a dated name inside the directory, no temp files left
    return SimpleNamespace(
        dir=data_dir, archive=archive, sent=sent, plan=plan, output=done.stdout, n=store.count()
    )


def test_backup_is_one_archive_with_manifest_papers_vectors_and_state(original):
    assert original.archive.name.startswith("paperboy-backup-")
    assert original.archive.name.endswith(".tar.gz")
    n = original.n
    assert n > 600  # the demo corpus
    assert f"backed up {n} papers" in original.output and "all-MiniLM-L6-v2" in original.output
    with tarfile.open(original.archive) as tar:
        assert tar.getnames() == MEMBERS
        manifest = json.load(tar.extractfile("manifest.json"))
        lines = tar.extractfile("papers.jsonl").read().decode().splitlines()
        vectors = np.load(io.BytesIO(tar.extractfile("vectors.npy").read()))
    assert manifest["format_version"] == 1 and manifest["collection"] == "papers"
    assert (manifest["papers"], manifest["model"], manifest["dim"]) == (
        n,
        "all-MiniLM-L6-v2",
        384,
    )
    assert manifest["revision"] >= 1 and manifest["paperboy_version"] and manifest["created_at"]
    assert len(lines) == n and vectors.shape == (n, 384) and vectors.dtype == np.float32
    first = json.loads(lines[0])
    stored = PaperStore.embedded(original.dir / "chroma").vectors([first["id"]])[first["id"]]
    assert np.allclose(vectors[0], stored)


def test_restore_into_a_fresh_data_dir_brings_back_papers_search_and_state(
    original, embedder, tmp_path, monkeypatch
):
    fresh = tmp_path / "fresh"
    done = run(["restore", str(original.archive)], monkeypatch, fresh)
    assert done.exit_code == 0, done.output
    n = original.n
    assert f"restored {n} papers" in done.stdout and f"verified {n} papers" in done.stdout

    want = records(PaperStore.embedded(original.dir / "chroma"))
    got = records(PaperStore.embedded(fresh / "chroma"))
    assert set(got) == set(want) and len(got) == n
    for pid, (meta, doc, vec) in want.items():
        assert got[pid][0] == meta and got[pid][1] == doc
        assert np.allclose(got[pid][2], vec, atol=1e-6)
    sentences = sentence_records(PaperStore.embedded(fresh / "chroma"))  # none re-embedded
    assert sentences == sentence_records(PaperStore.embedded(original.dir / "chroma"))
    assert len(sentences) == n

    mine, theirs = PaperIndex.open(original.dir, embedder), PaperIndex.open(fresh, embedder)
    for question in QUESTIONS:
        assert top_ids(theirs, question) == top_ids(mine, question)

    ledger = DigestLedger(fresh / "state.sqlite3")
    try:  # the day's digest was sent before the backup: it must not be posted again
        assert not ledger.claim("slack", "C1", DAY, "ml", ["2601.00001"])
        entry = ledger.entry("slack", "C1", DAY)
        assert (entry.status, entry.message_id) == ("sent", "1700000000.0001")
        assert ledger.sent_paper_ids("slack", "C1") == set(original.sent)
        with closing(ChannelPlans(fresh / "state.sqlite3")) as plans:
            assert plans.overrides() == {("discord", "C2"): original.plan}
    finally:
        ledger.close()
    state = BotState(fresh / "state.sqlite3")
    try:
        assert state.feedback_totals() == {original.sent[0]: 1, original.sent[1]: 1}
    finally:
        state.close()


def test_restore_into_a_chroma_server(original, embedder, tmp_path, monkeypatch):
    server = ChromaProcess(tmp_path / "chroma-server").start()
    try:
        env = {"PAPERBOY_STORE__CHROMA_HOST": "127.0.0.1"}
        env["PAPERBOY_STORE__CHROMA_PORT"] = str(server.port)
        done = run(["restore", str(original.archive)], monkeypatch, tmp_path / "data", **env)
        assert done.exit_code == 0, done.output
        assert f"Chroma server 127.0.0.1:{server.port}" in done.stdout

        remote = PaperStore.remote("127.0.0.1", server.port)
        want = records(PaperStore.embedded(original.dir / "chroma"))
        got = records(remote)
        assert set(got) == set(want)
        assert all(np.allclose(got[pid][2], want[pid][2], atol=1e-6) for pid in want)
        assert all(got[pid][:2] == want[pid][:2] for pid in want)
        sentences = sentence_records(remote)
        assert sentences == sentence_records(PaperStore.embedded(original.dir / "chroma"))
        mine = PaperIndex.open(original.dir, embedder)
        theirs = PaperIndex(remote, embedder, tmp_path / "lexical")
        for question in QUESTIONS:
            assert top_ids(theirs, question) == top_ids(mine, question)
        ledger = DigestLedger(tmp_path / "data" / "state.sqlite3")
        assert not ledger.claim("slack", "C1", DAY, "ml", [])
        ledger.close()

        again = run(["restore", str(original.archive)], monkeypatch, tmp_path / "data", **env)
        assert again.exit_code == 2  # the server now holds papers
        assert "--force" in one_line_error(again)
    finally:
        server.stop()


def test_non_empty_target_is_refused_then_replaced_with_force(
    original, demo_index_dir, embedder, tmp_path, monkeypatch
):
    target = tmp_path / "target"
    shutil.copytree(demo_index_dir, target)
    extra = Paper(id="2699.00001", title="A paper ingested after the backup", abstract="Words.")
    PaperIndex.open(target, embedder).ingest([extra])
    store = PaperStore.embedded(target / "chroma")
    running = BotState(target / "state.sqlite3")  # a bot holding the state database open
    running.record_feedback("slack", "C9", "m9", "U9", -1, ["2699.00001"])
    revision = store.revision()

    refused = run(["restore", str(original.archive)], monkeypatch, target)
    assert refused.exit_code == 2
    assert f"already holds {original.n + 1} papers" in one_line_error(refused)
    assert (
        store.count() == original.n + 1
        and store.get_many([extra.id])
        and store.revision() == revision
    )
    assert running.feedback_totals() == {extra.id: -1}

    done = run(["restore", "--force", str(original.archive)], monkeypatch, target)
    assert done.exit_code == 0, done.output
    assert "removed 1 papers not in the backup" in done.stdout
    assert store.count() == original.n and not store.get_many([extra.id])
    assert store.revision() > revision  # running processes rebuild their caches
    # the open connection sees the restored state, not a mix
    assert running.feedback_totals() == {original.sent[0]: 1, original.sent[1]: 1}
    running.close()
    index = PaperIndex.open(target, embedder)
    assert extra.id not in top_ids(index, extra.title)


def test_state_with_data_is_refused_even_when_the_store_is_empty(original, tmp_path, monkeypatch):
    state = BotState(tmp_path / "state.sqlite3")
    state.record_feedback("slack", "C9", "m9", "U9", 1, ["x"])
    state.close()
    done = run(["restore", str(original.archive)], monkeypatch, tmp_path)
    assert done.exit_code == 2
    assert "state database" in one_line_error(done) and "--force" in done.stderr
    assert PaperStore.embedded(tmp_path / "chroma").count() == 0
    state = BotState(tmp_path / "state.sqlite3")
    assert state.feedback_totals() == {"x": 1}
    state.close()


def test_a_backup_of_another_embedding_model_is_refused(original, tmp_path, monkeypatch):
    target = tmp_path / "target"
    env = {"PAPERBOY_EMBEDDING__MODEL": "/models/multi-qa-mpnet"}
    done = run(["restore", str(original.archive)], monkeypatch, target, **env)
    assert done.exit_code == 2
    line = one_line_error(done)
    assert "'all-MiniLM-L6-v2'" in line and "'/models/multi-qa-mpnet'" in line
    assert "PAPERBOY_EMBEDDING__MODEL=bundled" in line
    assert not target.exists()  # nothing was opened or created


def _tar_gz(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_files_that_are_not_usable_backups_are_refused(original, tmp_path, monkeypatch):
    with tarfile.open(original.archive) as tar:
        real = {name: tar.extractfile(name).read() for name in MEMBERS}
    manifest = json.loads(real["manifest.json"])
    newer = json.dumps({**manifest, "format_version": 99}).encode()
    tampered = real["papers.jsonl"].replace(b"Fourier", b"Fouri3r", 1)
    raw = original.archive.read_bytes()
    cases = {
        "missing": (tmp_path / "nope.tar.gz", "no backup file"),
        "garbage": (tmp_path / "garbage.tar.gz", "not a Paperboy backup"),
        "foreign": (_tar_gz(tmp_path / "f.tar.gz", {"notes.txt": b"hi"}), "not a Paperboy backup"),
        "newer": (_tar_gz(tmp_path / "n.tar.gz", {**real, "manifest.json": newer}), "newer"),
        "tampered": (
            _tar_gz(tmp_path / "t.tar.gz", {**real, "papers.jsonl": tampered}),
            "checksum",
        ),
        "truncated": (tmp_path / "cut.tar.gz", "corrupt"),
    }
    (tmp_path / "garbage.tar.gz").write_bytes(b"\x00not a backup\xff" * 100)
    (tmp_path / "cut.tar.gz").write_bytes(raw[: len(raw) // 2])
    target = tmp_path / "target"
    for name, (path, message) in cases.items():
        done = run(["restore", str(path)], monkeypatch, target)
        assert done.exit_code == 2, (name, done.output)
        line = one_line_error(done)
        assert message in line, (name, line)
        assert not target.exists(), name  # nothing half-written


def test_a_failed_backup_leaves_the_previous_one_untouched(tmp_path, monkeypatch):
    data = tmp_path / "data"
    PaperStore.embedded(data / "chroma")  # an empty store, no state yet
    dest = tmp_path / "out" / "nightly.tar.gz"
    first = run(["backup", str(dest)], monkeypatch, data)
    assert first.exit_code == 0, first.output
    assert "backed up 0 papers" in first.stdout and "no state database" in first.stdout
    good = dest.read_bytes()

    (data / "state.sqlite3").write_bytes(b"this is not SQLite" * 500)
    failed = run(["backup", str(dest)], monkeypatch, data)
    assert failed.exit_code == 1
    assert "state database" in one_line_error(failed)
    assert dest.read_bytes() == good
    assert [p.name for p in dest.parent.iterdir()] == ["nightly.tar.gz"]  # no temp files left

    missing = run(["backup", str(dest)], monkeypatch, tmp_path / "elsewhere")
    assert missing.exit_code == 2 and "No embedded store" in one_line_error(missing)


def test_backup_includes_writes_still_in_the_wal_of_an_open_connection(tmp_path):
    state_path = tmp_path / "state.sqlite3"
    ledger = DigestLedger(state_path)  # held open like a running bot: nothing is checkpointed
    state = BotState(state_path)
    try:
        assert ledger.claim("discord", "G1", DAY, "daily", ["2601.00002"])
        ledger.mark_sent("discord", "G1", DAY, "msg-7")
        state.record_feedback("discord", "G1", "msg-7", "U1", 1, ["2601.00002"])
        assert Path(f"{state_path}-wal").stat().st_size > 0
        naive = tmp_path / "naive-copy.sqlite3"  # what `cp state.sqlite3` would keep
        shutil.copyfile(state_path, naive)
        with pytest.raises(sqlite3.OperationalError):
            sqlite3.connect(naive).execute("SELECT * FROM digest_ledger").fetchall()

        store = PaperStore.embedded(tmp_path / "chroma")
        manifest = create_backup(store, state_path, tmp_path / "b.tar.gz", model="m")
        assert manifest.state and manifest.papers == 0
    finally:
        state.close()
        ledger.close()
    restored = tmp_path / "restored" / "state.sqlite3"
    empty = PaperStore.embedded(tmp_path / "restored" / "chroma")
    assert restore_backup(tmp_path / "b.tar.gz", empty, restored, model="m") == manifest
    copied = DigestLedger(restored)
    assert copied.entry("discord", "G1", DAY).status == "sent"
    copied.close()
    copied_state = BotState(restored)
    assert copied_state.feedback_totals() == {"2601.00002": 1}
    copied_state.close()
