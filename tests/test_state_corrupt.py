"""A damaged state database: every command that opens it names the file, says it is corrupt and
points to ``paperboy restore`` (exit 1, no traceback); ``restore --force`` recovers and keeps the
damaged file. The real CLI on real SQLite files."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.store.ledger import DigestLedger
from bot.store.state import BotState
from retrieval.store import PaperStore

runner = CliRunner()
DAY = date(2026, 11, 20)


def run(args: list[str], monkeypatch, data_dir: Path):
    for key in ("PAPERBOY_CONFIG", "PAPERBOY_STORE__CHROMA_HOST", "PAPERBOY_EMBEDDING__MODEL"):
        monkeypatch.delenv(key, raising=False)
    env = {"PAPERBOY_DATA_DIR": str(data_dir), "PAPERBOY_DEMO_CORPUS": "false"}
    return runner.invoke(app, args, env=env)


def not_a_database(data_dir: Path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "state.sqlite3"
    path.write_bytes(b"this is not SQLite \x00\xff" * 200)
    return path


def truncated(data_dir: Path) -> Path:
    """A real state database with rows, cut in half as a full disk or a bad copy leaves it."""
    path = data_dir / "state.sqlite3"
    state = BotState(path)
    for n in range(3000):
        state.record_answer("slack", "C1", f"{n}.0", [f"2401.{n:05d}"] * 5)
    state.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    return path


def assert_names_the_file(done, path: Path) -> None:
    assert done.exit_code == 1, done.output
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    text = " ".join(done.output.split())  # rich may wrap long lines
    assert f"The state database {path} is corrupt" in text
    assert "paperboy restore" in text
    assert "Traceback" not in done.output and "paper store" not in text


@pytest.mark.parametrize("damage", [not_a_database, truncated])
def test_status_names_the_corrupt_state_file(damage, tmp_path, monkeypatch):
    path = damage(tmp_path / "data")
    assert_names_the_file(run(["status"], monkeypatch, tmp_path / "data"), path)


def test_ask_names_the_corrupt_state_file(tmp_path, monkeypatch):
    path = not_a_database(tmp_path / "data")
    assert_names_the_file(run(["ask", "attention"], monkeypatch, tmp_path / "data"), path)


def test_scheduler_names_the_corrupt_state_file(tmp_path, monkeypatch):
    path = truncated(tmp_path / "data")
    done = run(["scheduler", "--ops-port", "0"], monkeypatch, tmp_path / "data")
    assert_names_the_file(done, path)


def test_restore_force_replaces_a_corrupt_state_file_and_keeps_it(tmp_path, monkeypatch):
    source = tmp_path / "source"
    PaperStore.embedded(source / "chroma").count()  # an (empty) embedded store to back up
    ledger = DigestLedger(source / "state.sqlite3")
    assert ledger.claim("slack", "C1", DAY, "ml", ["2401.00001"])
    ledger.mark_sent("slack", "C1", DAY, "1700000000.0001")
    ledger.close()
    backups = tmp_path / "backups"
    backups.mkdir()
    assert run(["backup", str(backups)], monkeypatch, source).exit_code == 0
    [archive] = backups.iterdir()

    target = tmp_path / "target"
    damaged = not_a_database(target).read_bytes()
    refused = run(["restore", str(archive)], monkeypatch, target)
    assert refused.exit_code == 2 and "--force" in refused.output
    done = run(["restore", "--force", str(archive)], monkeypatch, target)
    assert done.exit_code == 0, done.output
    [kept] = target.glob("state.sqlite3.corrupt-*")
    assert kept.read_bytes() == damaged, "the damaged file is kept, nothing is lost"
    assert DigestLedger(target / "state.sqlite3").entry("slack", "C1", DAY).status == "sent"
    assert run(["status"], monkeypatch, target).exit_code == 0
