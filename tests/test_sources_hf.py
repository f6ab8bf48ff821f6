"""Hugging Face daily papers: the parser on the real recordings, the client on a local server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from retrieval.sources.hf import HFDailyClient, parse_daily_papers, read_daily_dir
from retrieval.sources.http import SourceHTTPError
from tests.scripted_server import Canned, ScriptedServer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
HF = DATA / "hf_daily_papers"
CURRENT_DAYS = ["2025-06-02", "2025-06-13", "2025-09-22", "2026-04-06", "2026-06-12"]
HIDDEN_AUTHOR_DAYS = {"2025-06-13.json", "2025-09-22.json", "2026-06-12.json"}

pytestmark = pytest.mark.skipif(not HF.is_dir(), reason="../shared/data is not available")


# --- fixtures --------------------------------------------------------------------------------


def _serve_recorded_days(path: str, query: dict[str, str]) -> Canned:
    if path != "/api/daily_papers":
        return Canned(404, b'{"error":"not found"}')
    file = HF / f"{query.get('date', '')}.json"
    return Canned(200, file.read_bytes() if file.is_file() else b"[]")


@pytest.fixture
def hf_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer(_serve_recorded_days)
    yield server
    server.close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(hf_server: ScriptedServer, sleeps: list[float]) -> Iterator[HFDailyClient]:
    with HFDailyClient(hf_server.url, timeout=5, max_attempts=3, sleep=sleeps.append) as c:
        yield c


def _raw(name: str) -> list[dict]:
    return json.loads((HF / name).read_text())


# --- parser on the real recordings -----------------------------------------------------------


@pytest.mark.parametrize("day", CURRENT_DAYS)
def test_current_day_keeps_every_entry_and_its_signals(day: str) -> None:
    raw = _raw(f"{day}.json")
    outcome = parse_daily_papers(raw, f"{day}.json", list_date=date.fromisoformat(day))

    assert outcome.problems == []
    assert [p.id for p in outcome.papers] == [e["paper"]["id"] for e in raw]
    for paper, entry in zip(outcome.papers, raw, strict=True):
        assert paper.source == "hf"
        assert paper.upvotes == entry["paper"]["upvotes"]
        assert paper.comments == entry["numComments"]
        assert paper.github_stars == entry["paper"].get("githubStars")
        assert paper.list_date == date.fromisoformat(day)
        assert paper.published == date.fromisoformat(entry["paper"]["publishedAt"][:10])
        assert paper.url == f"https://huggingface.co/papers/{entry['paper']['id']}"
        assert "\n" not in paper.title + paper.abstract + paper.ai_summary
        assert "  " not in paper.abstract
        assert paper.abstract.split() == entry["paper"]["summary"].split()
        assert paper.ai_summary.split() == entry["paper"].get("ai_summary", "").split()


@pytest.mark.parametrize("name", sorted(HIDDEN_AUTHOR_DAYS))
def test_hidden_authors_are_dropped(name: str) -> None:
    raw = _raw(name)
    papers = {p.id: p for p in parse_daily_papers(raw, name).papers}
    for entry in raw:
        authors = entry["paper"]["authors"]
        shown = [a["name"] for a in authors if not a["hidden"]]
        hidden = [a["name"] for a in authors if a["hidden"]]
        assert list(papers[entry["paper"]["id"]].authors) == shown
        assert not set(hidden) & set(papers[entry["paper"]["id"]].authors)
    assert any(a["hidden"] for e in raw for a in e["paper"]["authors"])


def test_whole_current_folder_reads_in_date_order_with_list_date_from_file() -> None:
    outcome = read_daily_dir(HF, since=date(2025, 6, 2), until=date(2025, 6, 13))
    files = sorted(HF.glob("2025-06-*.json"))
    expected = [
        (e["paper"]["id"], f.stem) for f in files if f.stem <= "2025-06-13" for e in _raw(f.name)
    ]

    assert outcome.problems == []
    assert [(p.id, p.list_date.isoformat()) for p in outcome.papers] == expected


def test_all_legacy_files_parse() -> None:
    files = sorted((HF / "legacy_format").glob("*.json"))
    assert len(files) == 4
    outcome = read_daily_dir(HF / "legacy_format")

    assert outcome.problems == []
    expected = [(e["paper"]["id"], e["paper"]["upvotes"], f.stem) for f in files for e in _raw(f)]
    got = [(p.id, p.upvotes, p.list_date.isoformat()) for p in outcome.papers]
    assert got == expected
    assert all(p.title and p.abstract and p.authors for p in outcome.papers)
    # Some legacy entries lack submittedOnDailyAt: the file's date stands in for it.
    assert any("submittedOnDailyAt" not in e["paper"] for f in files for e in _raw(f))


def test_all_wire_exact_files_parse() -> None:
    files = sorted((HF / "wire_exact").glob("daily_papers_*.json"))
    assert len(files) == 16
    outcome = read_daily_dir(HF / "wire_exact")

    assert outcome.problems == []
    expected = [
        (e["paper"]["id"], e["numComments"], f.stem.removeprefix("daily_papers_"))
        for f in files
        for e in _raw(f)
    ]
    assert [(p.id, p.comments, p.list_date.isoformat()) for p in outcome.papers] == expected
    hidden = [
        a["name"] for f in files for e in _raw(f) for a in e["paper"]["authors"] if a["hidden"]
    ]
    assert hidden and not set(hidden) & {a for p in outcome.papers for a in p.authors}


def test_list_date_falls_back_to_argument_then_outer_published_at() -> None:
    entry = _raw("wire_exact/daily_papers_2024-03-12.json")[0]
    assert "submittedOnDailyAt" not in entry["paper"]

    with_arg = parse_daily_papers([entry], "x", list_date=date(2024, 1, 1)).papers[0]
    without = parse_daily_papers([entry], "x").papers[0]

    assert with_arg.list_date == date(2024, 1, 1)
    assert without.list_date == date.fromisoformat(entry["publishedAt"][:10])


# --- malformed input -------------------------------------------------------------------------


def test_bad_entries_become_problems_and_the_rest_lands() -> None:
    good = _raw("2025-06-02.json")[:3]
    no_summary = json.loads(json.dumps(good[0]))
    del no_summary["paper"]["summary"]
    bad_upvotes = json.loads(json.dumps(good[1]))
    bad_upvotes["paper"]["upvotes"] = "many"
    payload = [good[0], {"title": "no paper here"}, "junk", no_summary, good[1], bad_upvotes]

    outcome = parse_daily_papers(payload, "day.json")

    assert [p.id for p in outcome.papers] == [good[0]["paper"]["id"], good[1]["paper"]["id"]]
    assert [pr.location for pr in outcome.problems] == [
        "day.json:1",
        "day.json:2",
        "day.json:3",
        "day.json:5",
    ]
    assert "paper" in outcome.problems[0].reason
    assert "summary" in outcome.problems[2].reason
    assert "upvotes" in outcome.problems[3].reason


def test_payload_that_is_not_a_list_is_one_problem() -> None:
    outcome = parse_daily_papers({"error": "Invalid date"}, "resp")
    assert outcome.papers == []
    assert len(outcome.problems) == 1
    assert "Invalid date" in outcome.problems[0].reason


def test_broken_file_in_folder_is_one_problem(tmp_path: Path) -> None:
    (tmp_path / "2024-03-12.json").write_bytes(
        (HF / "wire_exact" / "daily_papers_2024-03-12.json").read_bytes()
    )
    (tmp_path / "2024-03-13.json").write_text('[{"paper": {"id": "2403.1')
    (tmp_path / "notes.json").write_text("not a day file, ignored")
    outcome = read_daily_dir(tmp_path)

    assert len(outcome.papers) == len(_raw("wire_exact/daily_papers_2024-03-12.json"))
    assert [p.location for p in outcome.problems] == [str(tmp_path / "2024-03-13.json")]


# --- client against a local server -----------------------------------------------------------


def test_fetch_day_sends_the_date_and_parses_the_answer(
    client: HFDailyClient, hf_server: ScriptedServer
) -> None:
    outcome = client.fetch_day(date(2025, 6, 13))

    assert hf_server.requests == [("/api/daily_papers", {"date": "2025-06-13"})]
    assert [p.id for p in outcome.papers] == [e["paper"]["id"] for e in _raw("2025-06-13.json")]
    assert {p.list_date for p in outcome.papers} == {date(2025, 6, 13)}


def test_fetch_range_skips_weekends_and_accepts_empty_days(
    client: HFDailyClient, hf_server: ScriptedServer
) -> None:
    # 2025-11-13 (Thu) .. 2025-11-17 (Mon): 2025-11-14 was not recorded and serves [].
    outcome = client.fetch_range(date(2025, 11, 13), date(2025, 11, 17))

    asked = [q["date"] for _, q in hf_server.requests]
    assert asked == ["2025-11-13", "2025-11-14", "2025-11-17"]
    expected = len(_raw("2025-11-13.json")) + len(_raw("2025-11-17.json"))
    assert len(outcome.papers) == expected
    assert outcome.problems == []


def test_503_then_200_is_retried(
    client: HFDailyClient, hf_server: ScriptedServer, sleeps: list[float]
) -> None:
    hf_server.queue.append(Canned(503, b"busy"))
    outcome = client.fetch_day(date(2025, 6, 2))

    assert len(hf_server.requests) == 2
    assert len(outcome.papers) == len(_raw("2025-06-02.json"))
    assert len(sleeps) == 1 and sleeps[0] > 0


def test_429_honours_retry_after(
    client: HFDailyClient, hf_server: ScriptedServer, sleeps: list[float]
) -> None:
    hf_server.queue.append(Canned(429, b"slow down", {"Retry-After": "7"}))
    outcome = client.fetch_day(date(2025, 6, 2))

    assert sleeps == [7.0]
    assert len(hf_server.requests) == 2
    assert outcome.papers


def test_retries_give_up_with_a_clear_error(
    client: HFDailyClient, hf_server: ScriptedServer, sleeps: list[float]
) -> None:
    hf_server.queue.extend(Canned(502, b"bad gateway") for _ in range(5))
    with pytest.raises(SourceHTTPError, match="502") as info:
        client.fetch_day(date(2025, 6, 2))

    assert info.value.status == 502
    assert len(hf_server.requests) == 3  # max_attempts
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]  # exponential backoff


def test_other_4xx_is_not_retried(client: HFDailyClient, hf_server: ScriptedServer) -> None:
    hf_server.queue.append(Canned(400, b'{"error":"Invalid date"}'))
    with pytest.raises(SourceHTTPError, match="400.*Invalid date"):
        client.fetch_day(date(2025, 6, 2))
    assert len(hf_server.requests) == 1


def test_network_error_is_retried_then_reported(sleeps: list[float]) -> None:
    server = ScriptedServer(_serve_recorded_days)
    url = server.url
    server.close()  # nothing listens there any more
    with (
        HFDailyClient(url, timeout=2, max_attempts=2, sleep=sleeps.append) as dead,
        pytest.raises(SourceHTTPError, match="after 2 attempt"),
    ):
        dead.fetch_day(date(2025, 6, 2))
    assert len(sleeps) == 1


def test_body_that_is_not_json_is_a_problem(
    client: HFDailyClient, hf_server: ScriptedServer
) -> None:
    hf_server.queue.append(Canned(200, b"<html>maintenance</html>"))
    outcome = client.fetch_day(date(2025, 6, 2))
    assert outcome.papers == []
    assert "2025-06-02" in outcome.problems[0].location
