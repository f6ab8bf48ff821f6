"""Issue 15 (ingest): every bad record is reported with file:line and skipped, the rest lands.

All through the real ``paperboy`` CLI (typer's CliRunner on ``bot.cli.app``) with the real model,
real Chroma (embedded, or a real ``chroma run`` server) and real recorded papers. The one mock is
the full disk: an ``OSError(ENOSPC)`` raised by the store's write.
"""

from __future__ import annotations

import codecs
import errno
import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import retrieval.ingest
from bot.cli import app
from retrieval.limits import MAX_ABSTRACT
from retrieval.records import paper_metadata
from retrieval.sources.jsonl import read_jsonl
from retrieval.store import PaperStore
from tests.fakes.processes import ChromaProcess

runner = CliRunner()


@pytest.fixture(scope="module")
def papers(shared_data):
    """Real papers (title and abstract) from the recorded fast-transforms corpus."""
    return read_jsonl(shared_data / "papers_fast_transforms.jsonl").papers


@pytest.fixture
def cli(monkeypatch, embedder, tmp_path):
    """``paperboy <args>`` in this process on a fresh data dir, sharing the loaded model."""
    monkeypatch.delenv("PAPERBOY_CONFIG", raising=False)
    monkeypatch.setattr("bot.services.build_embedder", lambda settings: cli.embedder)
    data_dir = tmp_path / "data"

    def cli(*args: str, **env: str):
        base = {"PAPERBOY_DATA_DIR": str(data_dir), "PAPERBOY_DEMO_CORPUS": "false"}
        done = runner.invoke(app, list(args), env={**base, **env})
        assert "Traceback" not in done.output and not isinstance(done.exception, Exception), (
            done.output
        )
        return done

    cli.embedder = embedder
    cli.data_dir = data_dir
    return cli


def record(paper, **extra) -> str:
    """A JSONL line for a real paper, with fields added or replaced."""
    return json.dumps({"id": paper.id, "title": paper.title, "abstract": paper.abstract, **extra})


def flat(text: str) -> str:
    """Output with white space collapsed (rich wraps long lines)."""
    return " ".join(text.split())


def stored(data_dir: Path) -> dict:
    """What the embedded store under ``data_dir`` holds, by id."""
    store = PaperStore.embedded(data_dir / "chroma")
    return store.get_many([pid for pid, *_ in store.iter_records(with_documents=False)])


# --- JSONL: bad records --------------------------------------------------------------------


def test_bad_jsonl_records_are_reported_with_file_line_and_the_rest_lands(cli, papers, tmp_path):
    p = papers
    lines = [
        record(p[0]),  # 1: after a UTF-8 byte order mark
        record(p[1], upvotes=10**30),  # 2: would poison the store
        "[" * 200_000,  # 3: RecursionError in json
        record(p[2], abstract=12345),  # 4: a number is not an abstract
        record(p[3], authors=[1, 2]),  # 5
        record(p[4], title=["a", "list"]),  # 6
        record(p[5], comments=-3),  # 7
        record(p[6], id="dup"),  # 8: same id as line 9, other text
        record(p[7], id="dup"),  # 9: kept
        record(p[8], abstract="word " * 2_100_000),  # 10: a 10 MB abstract, shortened
        record(p[9], upvotes=12),  # 11
    ]
    source = tmp_path / "mine.jsonl"
    source.write_bytes(codecs.BOM_UTF8 + "\n".join(lines).encode() + b"\n")

    done = cli("ingest", "jsonl", str(source))

    assert done.exit_code == 0, done.output
    errors = flat(done.stderr)
    for line, why in [
        (2, "upvotes"),
        (3, "nested too deeply"),
        (4, "abstract"),
        (5, "authors"),
        (6, "title"),
        (7, "comments"),
        (8, f"'dup' appears again at {source}:9 with other text; kept {source}:9"),
    ]:
        assert (
            f"skipped {source}:{line}: " in errors and why in errors.split(f"{source}:{line}: ")[1]
        )
    assert f"shortened {source}:10: {p[8].id}: abstract of" in errors
    assert "4 papers: 4 new" in flat(done.stdout) and "7 skipped" in flat(done.stdout)
    held = stored(cli.data_dir)
    assert set(held) == {p[0].id, "dup", p[8].id, p[9].id}
    assert held["dup"].title == p[7].title
    assert held[p[9].id].upvotes == 12
    assert len(held[p[8].id].abstract) <= MAX_ABSTRACT
    answer = json.loads(cli("ask", "--json", p[0].title).stdout)
    assert answer["results"][0]["id"] == p[0].id  # the record after the BOM landed


def test_gzip_with_a_byte_order_mark_still_reads(cli, papers, tmp_path):
    source = tmp_path / "mine.jsonl.gz"
    body = "\n".join([record(papers[20]), "not json", record(papers[21])])
    with gzip.open(source, "wb") as handle:
        handle.write(codecs.BOM_UTF8 + body.encode())

    done = cli("ingest", "jsonl", str(source))

    assert done.exit_code == 0
    assert f"skipped {source}:2: not valid JSON" in flat(done.stderr)
    assert set(stored(cli.data_dir)) == {papers[20].id, papers[21].id}


def test_a_store_holding_a_bad_record_still_answers_and_ingests(cli, papers, tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text("\n".join(record(p) for p in papers[30:34]))
    assert cli("ingest", "jsonl", str(good)).exit_code == 0
    # what an older version stored from `"upvotes": 10**30`, written through the public API
    bad = papers[34]
    meta = {**paper_metadata(bad), "upvotes": 10**30, "published": 20241399}
    store = PaperStore.embedded(cli.data_dir / "chroma")
    store.upsert_records([bad.id], cli.embedder.encode([bad.text]), [meta], [bad.abstract])
    store.bump_revision()

    for question in (bad.title, f"trending {papers[30].title}", f"newest {papers[31].title}"):
        answer = json.loads(cli("ask", "--json", question).stdout)
        assert "error" not in answer and answer["results"], answer
    assert json.loads(cli("ask", "--json", bad.title).stdout)["results"][0]["upvotes"] is None
    more = tmp_path / "more.jsonl"
    more.write_text(record(papers[35]) + "\n" + record(bad, upvotes=7))  # the fix lands too
    again = cli("ingest", "jsonl", str(more))
    assert again.exit_code == 0 and "1 new" in flat(again.stdout)
    assert stored(cli.data_dir)[bad.id].upvotes == 7
    assert cli("reindex").exit_code == 0


# --- arXiv Atom files ----------------------------------------------------------------------


def test_a_truncated_atom_file_keeps_the_complete_entries(cli, shared_data, tmp_path):
    text = (shared_data / "arxiv_atom" / "xiv__arxiv_response.xml").read_text()
    second = text.index("<entry>", text.index("</entry>"))
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: second + (len(text) - second) // 2])  # half of the second entry

    done = cli("ingest", "arxiv", "--from-file", str(cut))

    assert done.exit_code == 0, done.output
    assert f"skipped {cut}:" in flat(done.stderr)
    assert "kept the 1 complete entry before it" in flat(done.stderr)
    assert "1 papers: 1 new" in flat(done.stdout)
    assert set(stored(cli.data_dir)) == {"2510.14968"}


ARXIV_ERROR = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>http://arxiv.org/api/aIlS3WzbbxM</id>
  <title>arXiv Query: search_query=&amp;id_list=1234.12345678</title>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345678</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345678</summary>
  </entry>
</feed>
"""
UNREADABLE = {
    "html": "<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>",
    "arxiv-error": ARXIV_ERROR,
    "rss": '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
    "empty": "",
}


@pytest.mark.parametrize("kind", UNREADABLE)
def test_an_atom_file_with_nothing_readable_exits_non_zero(cli, tmp_path, kind):
    source = tmp_path / f"{kind}.xml"
    source.write_text(UNREADABLE[kind])

    done = cli("ingest", "arxiv", "--from-file", str(source))

    assert done.exit_code == 1
    assert f"skipped {source}" in flat(done.stderr)
    assert "No papers could be read (1 problem listed above); nothing was stored" in flat(
        done.stderr
    )


def test_an_atom_directory_is_a_clear_error(cli, tmp_path):
    done = cli("ingest", "arxiv", "--from-file", str(tmp_path))
    assert done.exit_code == 2 and "is a directory" in flat(done.output.replace("│", ""))


# --- the store failing during an ingest ----------------------------------------------------


class StopsServer:
    """The real model; the Chroma server is stopped just before batch ``at`` is written."""

    def __init__(self, real, server: ChromaProcess, at: int) -> None:
        self.real, self.server, self.at, self.calls = real, server, at, 0
        self.spec = real.spec

    def __getattr__(self, name: str):
        return getattr(self.real, name)  # name, dim, sentence pooling: the real model's

    def encode(self, texts):
        self.calls += 1
        if self.calls == self.at:
            self.server.stop()
        return self.real.encode(texts)


def test_chroma_server_dying_mid_ingest_is_clear_and_a_rerun_finishes(
    cli, papers, tmp_path, monkeypatch
):
    server = ChromaProcess(tmp_path / "chroma").start()
    env = {
        "PAPERBOY_STORE__CHROMA_HOST": "127.0.0.1",
        "PAPERBOY_STORE__CHROMA_PORT": str(server.port),
    }
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(record(p) for p in papers[40:52]))
    monkeypatch.setattr(retrieval.ingest, "EMBED_BATCH", 5)
    cli.embedder = StopsServer(cli.embedder, server, at=3)
    try:
        died = cli("ingest", "jsonl", str(source), **env)
        assert died.exit_code == 1
        message = flat(died.stderr)
        assert "Ingest stopped: the paper store stopped answering" in message
        assert "10 of 12 new or changed papers were stored" in message
        assert "re-run the same command to finish" in message

        down = cli("ingest", "jsonl", str(source), **env)  # still down: clear, nothing claimed
        assert down.exit_code == 1 and "Cannot open the paper store" in flat(down.stderr)

        server.start()
        cli.embedder = cli.embedder.real
        rerun = cli("ingest", "jsonl", str(source), **env)
        assert rerun.exit_code == 0, rerun.output
        assert "2 new" in flat(rerun.stdout) and "10 unchanged" in flat(rerun.stdout)
        assert "store now holds 12" in flat(rerun.stdout)
    finally:
        server.stop()


def test_a_full_disk_mid_ingest_is_clear_and_a_rerun_finishes(cli, papers, tmp_path, monkeypatch):
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(record(p) for p in papers[60:72]))
    monkeypatch.setattr(retrieval.ingest, "EMBED_BATCH", 5)
    real_write = PaperStore.upsert_records
    writes = []

    def disk_fills(self, ids, vectors, metadatas, documents):
        writes.append(len(ids))
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(self, ids, vectors, metadatas, documents)

    monkeypatch.setattr(PaperStore, "upsert_records", disk_fills)
    full = cli("ingest", "jsonl", str(source))
    assert full.exit_code == 1
    message = flat(full.stderr)
    assert "Ingest stopped: the paper store failed: the disk is full" in message
    assert "5 of 12 new or changed papers were stored" in message
    assert len(stored(cli.data_dir)) == 5

    monkeypatch.setattr(PaperStore, "upsert_records", real_write)
    rerun = cli("ingest", "jsonl", str(source))
    assert rerun.exit_code == 0 and "7 new" in flat(rerun.stdout)
    assert len(stored(cli.data_dir)) == 12
    answer = json.loads(cli("ask", "--json", papers[61].title).stdout)
    assert answer["results"][0]["id"] == papers[61].id
