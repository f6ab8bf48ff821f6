"""The CLI end to end, as a user runs it: a fresh data dir, the real model, real Chroma."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def paperboy(*args: str, data_dir: Path, extra_env: dict | None = None, input_text: str = ""):
    env = {**os.environ, "PAPERBOY_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    env.pop("PAPERBOY_CONFIG", None)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        input=input_text,
    )


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """`paperboy ask --json` on a fresh data dir: ingests the bundled corpus, then answers."""
    data_dir = tmp_path_factory.mktemp("cli")
    done = paperboy(
        "ask",
        "--json",
        "--limit",
        "3",
        "fast FFT-based attention papers",
        "papers like 2608.13210",
        data_dir=data_dir,
    )
    return data_dir, done


def test_first_ask_on_fresh_machine_ingests_demo_and_answers(first_run):
    data_dir, done = first_run
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert [line["query"] for line in lines] == [
        "fast FFT-based attention papers",
        "papers like 2608.13210",
    ]
    first = lines[0]["results"]
    assert len(first) == 3
    assert set(first[0]) == {"id", "title", "url", "published", "upvotes", "score", "snippet"}
    assert "Fourier" in " ".join(r["title"] for r in first)
    similar = lines[1]["results"]
    assert similar and all(r["id"] != "2608.13210" for r in similar)
    assert "demo corpus" in done.stderr  # the user saw what the first run did
    assert (data_dir / "chroma").is_dir() and (data_dir / "lexical").is_dir()


def test_second_ask_reuses_the_store(first_run):
    data_dir, _ = first_run
    done = paperboy("ask", "--json", "Fourier neural operator", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    assert "demo corpus" not in done.stderr
    assert json.loads(done.stdout)["results"]


def test_ask_json_says_why_there_are_no_results(first_run):
    data_dir, _ = first_run
    done = paperboy("ask", "--json", "asdkjh qwpoeiru zxcvbnm", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["results"] == [] and "really matches" in found["message"]
    hits = json.loads(
        paperboy("ask", "--json", "Fourier neural operator", data_dir=data_dir).stdout
    )
    assert hits["results"] and "message" not in hits


def test_unknown_paper_gets_a_friendly_error(first_run):
    data_dir, _ = first_run
    no_fetch = {"PAPERBOY_SEARCH__FETCH_MISSING_PAPERS": "false"}  # no network in tests
    done = paperboy("similar", "2101.99999", data_dir=data_dir, extra_env=no_fetch)
    assert done.returncode == 0
    assert "don't have 2101.99999" in done.stdout
    junk = paperboy("similar", "not-a-paper", data_dir=data_dir)
    assert "doesn't look like an arXiv id" in junk.stdout


def test_ingest_jsonl_reports_skipped_lines_and_is_idempotent(first_run, tmp_path):
    data_dir, _ = first_run
    source = tmp_path / "mine.jsonl"
    source.write_text(
        '{"title": "Capybara social graphs", "abstract": "We model capybara herds as graphs."}\n'
        "oops not json\n"
    )
    once = paperboy("ingest", "jsonl", str(source), data_dir=data_dir)
    assert once.returncode == 0, once.stderr
    assert "1 new" in once.stdout and f"{source}:2" in once.stderr
    twice = paperboy("ingest", "jsonl", str(source), data_dir=data_dir)
    assert "0 new" in twice.stdout and "1 unchanged" in twice.stdout
    found = paperboy("ask", "--json", "capybara herds", data_dir=data_dir)
    assert json.loads(found.stdout)["results"][0]["title"] == "Capybara social graphs"


def test_ingest_recorded_hf_and_atom_files(first_run, shared_data):
    data_dir, _ = first_run
    hf = paperboy(
        "ingest",
        "hf",
        "--from-dir",
        str(shared_data / "hf_daily_papers" / "legacy_format"),
        data_dir=data_dir,
    )
    assert hf.returncode == 0, hf.stderr
    assert "44 papers" in hf.stdout
    atom = paperboy(
        "ingest",
        "arxiv",
        "--from-file",
        str(shared_data / "arxiv_atom" / "zoia__arxiv_response.xml"),
        data_dir=data_dir,
    )
    assert atom.returncode == 0 and "1 papers" in atom.stdout


def test_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "config.toml"
    bad.write_text('[search]\nresults_per_page = "many"\n')
    done = paperboy("ask", "x", data_dir=tmp_path, extra_env={"PAPERBOY_CONFIG": str(bad)})
    assert done.returncode == 2
    assert "Invalid configuration" in done.stderr and "results_per_page" in done.stderr


def test_chat_answers_and_pages(first_run):
    data_dir, _ = first_run
    done = paperboy("chat", data_dir=data_dir, input_text="Fourier transforms\nmore\nquit\n")
    assert done.returncode == 0, done.stderr
    assert "Results 1-5" in done.stdout and "Results 6-10" in done.stdout


def test_chat_recommend_without_feedback_explains_and_lists_trending(first_run):
    data_dir, _ = first_run
    done = paperboy("chat", data_dir=data_dir, input_text="recommend\nquit\n")
    assert done.returncode == 0, done.stderr
    assert "don't know this channel's taste yet" in done.stdout
    assert "Traceback" not in done.stderr
