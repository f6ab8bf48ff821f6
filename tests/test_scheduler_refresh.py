"""The scheduler refreshes its paper sources before a digest: Hugging Face and arXiv against
local HTTP servers that replay recorded answers; each source fails on its own, and a failed
refresh still lets the digest go out, with a freshness note."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.settings import SchedulerSettings
from retrieval.index import PaperIndex
from retrieval.models import SearchQuery
from retrieval.sources.arxiv import ArxivClient
from retrieval.sources.hf import HFDailyClient, read_daily_dir
from tests.test_scheduler import HF, PLAN, Clock, Poster, at_berlin, build


@pytest.fixture(scope="module")
def papers():
    """Recorded HF daily papers, 10-21 Aug 2026."""
    return read_daily_dir(HF, date(2026, 8, 10), date(2026, 8, 21)).papers


# -- ingest before digest ----------------------------------------------------------------------


class FakeHF(BaseHTTPRequestHandler):
    status = 500
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        day = self.path.rsplit("date=", 1)[-1]
        file = HF / f"{day}.json"
        body = file.read_bytes() if self.status == 200 and file.is_file() else b"[]"
        if self.status != 200:
            body = json.dumps({"error": "Internal Error"}).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """Serve ``handler`` on a free local port inside the ``with`` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fake_hf():
    FakeHF.requests = []
    with serving(FakeHF) as server:
        yield server


def hf_client(server):
    url = f"http://127.0.0.1:{server.server_address[1]}"
    return lambda: HFDailyClient(url, max_attempts=2, backoff_s=0, sleep=lambda s: None)


async def test_source_failure_still_posts_with_a_freshness_note_and_retries(
    tmp_path, papers, fake_hf
):
    FakeHF.status = 500
    clock = Clock(at_berlin(18, 9))
    older = [p for p in papers if p.list_date <= date(2026, 8, 18)]
    sched = build(tmp_path / "s.db", older, clock, source_factory=hf_client(fake_hf))
    sched.posters["slack"] = poster = Poster()
    sched.digests.sources.record("hf")  # the last refresh that worked: yesterday
    clock.now = at_berlin(19, 9)
    result = await sched.run_due(PLAN)
    assert FakeHF.requests, "the scheduler tried to refresh before the digest"
    assert result.status == "sent" and len(poster.posts) == 1
    text = poster.posts[0][1].text
    assert "data as of Tue 18 Aug" in text and "Latest list available: Tue 18 Aug 2026." in text
    assert sched.digests.sources.status("hf").failing
    sched.scheduler = _Running()
    assert not await sched.refresh_sources()
    assert sched.scheduler.jobs == ["hf-refresh-retry"]
    metrics = sched.digests.metrics.render()[0].decode()
    assert 'paperboy_errors_total{component="refresh:hf"} 2.0' in metrics
    assert 'paperboy_digests_total{platform="slack",status="sent"} 1.0' in metrics


async def test_a_working_source_is_ingested_before_the_digest(tmp_path, papers, fake_hf):
    FakeHF.status = 200
    clock = Clock(at_berlin(19, 9))
    older = [p for p in papers if p.list_date <= date(2026, 8, 18)]
    sched = build(tmp_path / "s.db", older, clock, source_factory=hf_client(fake_hf))
    sched.posters["slack"] = poster = Poster()
    result = await sched.run_due(PLAN)
    todays = {e["paper"]["id"] for e in json.loads((HF / "2026-08-19.json").read_text())}
    assert result.status == "sent" and set(result.reply.paper_ids) <= todays
    assert (
        "Latest list" not in poster.posts[0][1].text and "data as of" not in poster.posts[0][1].text
    )
    assert not sched.digests.sources.status("hf").failing
    metrics = sched.digests.metrics.render()[0].decode()
    assert 'paperboy_ingested_papers_total{outcome="added",source="hf"}' in metrics


class _Running:
    running = True

    def __init__(self):
        self.jobs: list[str] = []

    def add_job(self, func, trigger, **kwargs):
        self.jobs.append(kwargs["id"])


# -- arXiv categories ---------------------------------------------------------------------------

ATOM = HF.parent / "arxiv_atom" / "xiv__arxiv_response.xml"  # a real cat:cs.RO answer, 2 papers


class FakeArxiv(BaseHTTPRequestHandler):
    status = 200
    queries: list[dict[str, list[str]]] = []

    def do_GET(self):  # noqa: N802
        type(self).queries.append(parse_qs(urlsplit(self.path).query))
        ok = self.status == 200
        self.send_response(self.status)
        self.send_header("Content-Type", "application/atom+xml" if ok else "text/plain")
        self.end_headers()
        self.wfile.write(ATOM.read_bytes() if ok else b"Internal Server Error")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_arxiv():
    FakeArxiv.queries = []
    with serving(FakeArxiv) as server:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/query"


async def test_arxiv_categories_are_ingested_even_when_hf_fails(
    tmp_path, papers, fake_hf, fake_arxiv, embedder
):
    FakeHF.status, FakeArxiv.status = 500, 200
    index = PaperIndex.open(tmp_path / "data", embedder)  # the real store, empty
    settings = SchedulerSettings(arxiv_categories=["cs.RO"], arxiv_api_url=fake_arxiv)
    sched = build(
        tmp_path / "s.db",
        papers,
        Clock(at_berlin(19, 9)),
        source_factory=hf_client(fake_hf),
        scheduler_settings=settings,
        index=index,
    )
    assert not await sched.refresh_sources()  # HF failed, arXiv still ran
    assert [(q["search_query"], q["sortBy"], q["sortOrder"], q["max_results"]) for q in
            FakeArxiv.queries] == [(["cat:cs.RO"], ["submittedDate"], ["descending"], ["200"])]  # fmt: skip
    found = index.search(SearchQuery("retrieval-based demonstration decomposer for planners"))
    assert found.hits[0].paper.id == "2510.14968"
    assert found.hits[0].paper.url == "https://arxiv.org/abs/2510.14968"
    assert index.count() == 2
    sources = sched.digests.sources
    assert sources.status("arxiv").last_ok and not sources.status("arxiv").failing
    assert sources.status("hf").failing
    metrics = sched.digests.metrics.render()[0].decode()
    assert 'paperboy_ingested_papers_total{outcome="added",source="arxiv"} 2.0' in metrics
    assert 'paperboy_errors_total{component="refresh:hf"} 1.0' in metrics
    assert 'component="refresh:arxiv"' not in metrics


async def test_a_failing_arxiv_neither_stops_hf_nor_the_digest(
    tmp_path, papers, fake_hf, fake_arxiv
):
    FakeHF.status, FakeArxiv.status = 200, 500
    clock = Clock(at_berlin(19, 9))
    older = [p for p in papers if p.list_date <= date(2026, 8, 18)]
    settings = SchedulerSettings(arxiv_categories=["cs.RO", "cs.CL"])
    sched = build(
        tmp_path / "s.db",
        older,
        clock,
        source_factory=hf_client(fake_hf),
        scheduler_settings=settings,
        arxiv_factory=lambda: ArxivClient(
            fake_arxiv, min_interval_s=0, backoff_s=0, max_attempts=2
        ),
    )
    sched.posters["slack"] = poster = Poster()
    sched.scheduler = _Running()
    result = await sched.run_due(PLAN)  # refreshes both sources first
    assert len(FakeArxiv.queries) == 2  # cs.RO tried twice, then the source gave up
    assert sched.scheduler.jobs == ["arxiv-refresh-retry"]
    todays = {e["paper"]["id"] for e in json.loads((HF / "2026-08-19.json").read_text())}
    assert result.status == "sent" and set(result.reply.paper_ids) <= todays
    assert "could not be refreshed" not in poster.posts[0][1].text
    sources = sched.digests.sources
    assert not sources.status("hf").failing
    assert sources.status("arxiv").failing
    assert "500" in sources.status("arxiv").last_error
    metrics = sched.digests.metrics.render()[0].decode()
    assert 'paperboy_errors_total{component="refresh:arxiv"} 1.0' in metrics
    assert 'paperboy_ingested_papers_total{outcome="added",source="hf"}' in metrics
    assert 'component="refresh:hf"' not in metrics
