"""Local JSONL files: the recorded corpora, malformed lines, and a write/read round trip."""

from __future__ import annotations

import gzip
import itertools
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from retrieval.models import title_id
from retrieval.sources.hf import read_daily_dir
from retrieval.sources.jsonl import read_jsonl, write_jsonl

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FAST = DATA / "papers_fast_transforms.jsonl"
ARXIV_NEW = DATA / "arxiv" / "arxiv_cs_2025-03-18_2026-07-01.jsonl.gz"
ARXIV_OLD = DATA / "arxiv" / "arxiv_cs_1994-2019.jsonl.gz"
CSFCUBE = DATA / "csfcube" / "corpus.jsonl"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data is not available")


def _head(source: Path, target: Path, lines: int) -> list[dict]:
    """Copy the first ``lines`` lines of a (gzipped) JSONL file; return them decoded."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as handle:
        head = list(itertools.islice(handle, lines))
    with (gzip.open if target.suffix == ".gz" else open)(target, "wb") as out:
        out.writelines(head)
    return [json.loads(line) for line in head]


def test_fast_transforms_corpus_reads_with_stable_title_ids() -> None:
    first, second = read_jsonl(FAST), read_jsonl(FAST)
    raw = [json.loads(line) for line in FAST.read_text().splitlines() if line.strip()]

    assert first.problems == []
    assert len(first.papers) == len(raw) == 119
    assert [p.id for p in first.papers] == [p.id for p in second.papers]
    assert [p.id for p in first.papers] == [title_id(p.title) for p in first.papers]
    assert len({p.id for p in first.papers}) == len({r["title"].strip() for r in raw})
    assert all(p.source == "jsonl" and p.link for p in first.papers)


def test_head_of_recent_arxiv_dump(tmp_path: Path) -> None:
    raw = _head(ARXIV_NEW, tmp_path / "new.jsonl.gz", 300)
    outcome = read_jsonl(tmp_path / "new.jsonl.gz")

    assert outcome.problems == []
    assert [p.id for p in outcome.papers] == [r["arxiv_id"] for r in raw]
    assert [p.published for p in outcome.papers] == [
        date.fromisoformat(r["announce_date"]) for r in raw
    ]
    assert [list(p.authors) for p in outcome.papers] == [r["authors"] for r in raw]


def test_head_of_old_arxiv_dump(tmp_path: Path) -> None:
    raw = _head(ARXIV_OLD, tmp_path / "old.jsonl.gz", 3000)
    papers = {p.id: p for p in read_jsonl(tmp_path / "old.jsonl.gz").papers}

    assert list(papers) == [r["arxiv_id"] for r in raw]
    assert any("/" in i for i in papers)  # old-style ids such as cs/9809007 are kept whole
    for r in raw:
        paper = papers[r["arxiv_id"]]
        assert paper.published == date.fromisoformat(r["created"])
        assert paper.comments is None  # the dump's "comments" is the author's note, not a count
        if " and " not in r["authors"]:
            assert list(paper.authors) == [a.strip() for a in r["authors"].split(",") if a.strip()]
    listed = next(r for r in raw if r["authors"].endswith(", and Xiaowei Li"))
    assert papers[listed["arxiv_id"]].authors[-2:] == ("Guihai Yan", "Xiaowei Li")


def test_csfcube_ids_and_years(tmp_path: Path) -> None:
    raw = _head(CSFCUBE, tmp_path / "cube.jsonl", 60)
    outcome = read_jsonl(tmp_path / "cube.jsonl")
    by_id = {p.id: p for p in outcome.papers}
    for r in raw:
        if r["abstract"].strip():
            expected = date(r["year"], 1, 1) if r["year"] else None
            assert by_id[r["paper_id"]].published == expected


def test_bad_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    good = [json.loads(line) for line in FAST.read_text().splitlines()[:3]]
    lines = [
        json.dumps(good[0]),
        "",
        '{"title": "Broken", "abstract": "cut off',
        json.dumps({"title": "No abstract here"}),
        "   ",
        json.dumps(["a", "list"]),
        json.dumps(good[1]),
        json.dumps({"title": "Bad upvotes", "abstract": "x", "upvotes": "lots"}),
        json.dumps(good[2]),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n")

    outcome = read_jsonl(path)

    assert [p.title for p in outcome.papers] == [g["title"] for g in good]
    assert [p.location for p in outcome.problems] == [f"{path}:{n}" for n in (3, 4, 6, 8)]
    reasons = [p.reason for p in outcome.problems]
    assert "JSON" in reasons[0]
    assert "abstract" in reasons[1]
    assert "object" in reasons[2]
    assert "upvotes" in reasons[3]


def test_invalid_utf8_and_truncated_gzip(tmp_path: Path) -> None:
    good = FAST.read_bytes().splitlines(keepends=True)[:2]
    plain = tmp_path / "latin1.jsonl"
    plain.write_bytes(good[0] + b'{"title": "Caf\xe9", "abstract": "x"}\n' + good[1])
    outcome = read_jsonl(plain)
    assert len(outcome.papers) == 2
    assert [p.location for p in outcome.problems] == [f"{plain}:2"]

    packed = gzip.compress(b"".join(FAST.read_bytes().splitlines(keepends=True)[:50]))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    outcome = read_jsonl(cut)
    assert 0 < len(outcome.papers) < 50
    assert "truncated" in outcome.problems[-1].reason


def test_optional_fields_and_their_spellings(tmp_path: Path) -> None:
    records = [
        {
            "id": "2403.06634v3",
            "title": "Stealing\n  Part of a Model",
            "abstract": "An  abstract\nwith breaks.",
            "authors": "Ada Lovelace, Alan Turing and Grace Hopper",
            "published": "2024-03-11T17:58:23.000Z",
            "upvotes": 63,
            "comments": "3",
            "github_stars": 12,
            "ai_summary": "Short\nsummary.",
            "list_date": "2024-03-12",
            "url": "https://example.org/p",
        },
        {"id": "paper-v2", "title": "Kept id", "abstract": "y"},
    ]
    path = tmp_path / "fields.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))

    first, second = read_jsonl(path).papers

    assert first.id == "2403.06634"
    assert first.title == "Stealing Part of a Model"
    assert first.abstract == "An abstract with breaks."
    assert first.authors == ("Ada Lovelace", "Alan Turing", "Grace Hopper")
    assert first.published == date(2024, 3, 11)
    assert (first.upvotes, first.comments, first.github_stars) == (63, 3, 12)
    assert first.ai_summary == "Short summary."
    assert first.list_date == date(2024, 3, 12)
    assert first.url == "https://example.org/p"
    assert second.id == "paper-v2"  # not an arXiv id: no version to strip


@pytest.mark.parametrize("name", ["round.jsonl", "round.jsonl.gz"])
def test_write_then_read_gives_the_same_papers(tmp_path: Path, name: str) -> None:
    papers = read_daily_dir(DATA / "hf_daily_papers" / "wire_exact").papers[:40]
    papers += read_jsonl(FAST).papers[:5]
    path = tmp_path / name

    assert write_jsonl(papers, path) == len(papers)
    back = read_jsonl(path)

    assert back.problems == []
    assert [replace(p, source="") for p in back.papers] == [replace(p, source="") for p in papers]
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind
