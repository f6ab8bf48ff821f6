"""arXiv: the Atom parser on the real recordings, the client on a local server with a fake clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from retrieval.sources.arxiv import ArxivClient, ArxivQueryError, parse_atom, read_atom_file
from retrieval.sources.http import SourceHTTPError
from tests.scripted_server import Canned, ScriptedServer

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ATOM = DATA / "arxiv_atom"
XIV = ATOM / "xiv__arxiv_response.xml"
ZOIA = ATOM / "zoia__arxiv_response.xml"

pytestmark = pytest.mark.skipif(not ATOM.is_dir(), reason="../shared/data is not available")

ERROR_ENTRY = """<entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345678</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.12345678</summary>
    <updated>2024-03-12T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.12345678"
          rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>"""


def _split_feed() -> tuple[str, list[str], str]:
    """The real xiv feed as (head, entries, tail) so tests can rebuild feeds from real parts."""
    text = XIV.read_text()
    head, _, rest = text.partition("<entry>")
    entries = ["<entry>" + e for e in rest.split("<entry>")]
    last, _, tail = entries[-1].rpartition("</entry>")
    entries[-1] = last + "</entry>"
    return head, entries, tail


def _feed(entries: list[str], total: int) -> str:
    head, _, tail = _split_feed()
    head = re.sub(r"(<opensearch:totalResults[^>]*>)\d+", rf"\g<1>{total}", head)
    return head + "\n  ".join(entries) + tail


def _real_entry(new_id: str, index: int = 0) -> str:
    entry = _split_feed()[1][index]
    old = re.search(r"<id>http://arxiv.org/abs/(.+?)</id>", entry).group(1)
    return entry.replace(old, new_id)


# --- parser on the real recordings -----------------------------------------------------------


@pytest.mark.parametrize("path", [XIV, ZOIA], ids=["xiv", "zoia"])
def test_recorded_feeds_parse(path: Path) -> None:
    text = path.read_text()
    page = parse_atom(text, path.name)
    raw_ids = re.findall(r"<id>http://arxiv.org/abs/(.+?)</id>", text)
    raw_published = re.findall(r"<published>(\d{4}-\d\d-\d\d)", text)

    assert page.outcome.problems == [] and page.error is None
    assert page.total_results == int(re.search(r"totalResults[^>]*>(\d+)<", text).group(1))
    assert [p.id for p in page.outcome.papers] == [re.sub(r"v\d+$", "", i) for i in raw_ids]
    assert all(not re.search(r"v\d+$", p.id) for p in page.outcome.papers)
    for paper, published in zip(page.outcome.papers, raw_published, strict=True):
        assert paper.url == f"https://arxiv.org/abs/{paper.id}"
        assert paper.published == date.fromisoformat(published)
        assert paper.source == "arxiv"
        assert paper.authors and all(a.strip() == a for a in paper.authors)
        assert "\n" not in paper.title + paper.abstract
        assert not paper.abstract.startswith(" ")


def test_zoia_lookup_details() -> None:
    (paper,) = read_atom_file(ZOIA).papers
    raw = ZOIA.read_text()
    assert paper.authors == tuple(re.findall(r"<name>(.+?)</name>", raw))
    assert paper.title.split() == re.search(r"<entry>.*?<title>(.+?)</title>", raw, re.S)[1].split()


def test_old_style_ids_lose_their_version() -> None:
    text = ZOIA.read_text().replace("1601.00001v1", "cs/9809007v2")
    (paper,) = parse_atom(text.encode(), "old").outcome.papers
    assert paper.id == "cs/9809007"
    assert paper.url == "https://arxiv.org/abs/cs/9809007"


def test_error_entry_is_a_problem_not_a_paper() -> None:
    page = parse_atom(_feed([ERROR_ENTRY], total=1), "bad-query")
    assert page.outcome.papers == []
    assert page.error == "incorrect id format for 1234.12345678"
    assert [p.location for p in page.outcome.problems] == ["bad-query:0"]
    assert "incorrect id format" in page.outcome.problems[0].reason
    assert page.total_results == 0


def test_malformed_xml_is_a_problem() -> None:
    truncated = XIV.read_text()[:1500]
    page = parse_atom(truncated, "cut.xml")
    assert page.outcome.papers == []
    assert len(page.outcome.problems) == 1
    assert page.outcome.problems[0].location.startswith("cut.xml:")
    assert "malformed XML" in page.outcome.problems[0].reason


def test_entry_without_title_is_skipped_and_the_rest_lands() -> None:
    _, entries, _ = _split_feed()
    untitled = re.sub(r"<title>.*?</title>", "", entries[0], flags=re.S)
    page = parse_atom(_feed([untitled, entries[1]], total=2), "feed")
    assert [p.id for p in page.outcome.papers] == ["2510.14827"]
    assert [p.location for p in page.outcome.problems] == ["feed:0"]


# --- client against a local server, with a fake clock ----------------------------------------


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class PagedFeed:
    """Serves ``total`` real-looking entries, honouring ``start`` and ``max_results``."""

    def __init__(self, total: int) -> None:
        self.total = total

    def __call__(self, path: str, query: dict[str, str]) -> Canned:
        if "id_list" in query:
            ids = query["id_list"].split(",")
            return Canned(200, _feed([_real_entry(i + "v1") for i in ids], len(ids)).encode())
        start, size = int(query.get("start", 0)), int(query.get("max_results", 10))
        ids = [f"2510.{20000 + n}v1" for n in range(start, min(start + size, self.total))]
        entries = [_real_entry(i, n % 2) for n, i in enumerate(ids)]
        return Canned(200, _feed(entries, self.total).encode())


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def arxiv_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer(PagedFeed(total=5))
    yield server
    server.close()


@pytest.fixture
def sent_at() -> list[float]:
    return []


@pytest.fixture
def client(
    arxiv_server: ScriptedServer, fake_time: FakeTime, sent_at: list[float]
) -> Iterator[ArxivClient]:
    http = httpx.Client(
        timeout=5, event_hooks={"request": [lambda _: sent_at.append(fake_time.now)]}
    )
    with (
        http,
        ArxivClient(
            arxiv_server.url + "/api/query", http=http, clock=fake_time.clock, sleep=fake_time.sleep
        ) as c,
    ):
        yield c


def test_search_sends_the_query_parameters(
    client: ArxivClient, arxiv_server: ScriptedServer
) -> None:
    page = client.search("cat:cs.RO AND ti:neural", start=2, max_results=2, sort_by="relevance")
    assert arxiv_server.requests == [
        (
            "/api/query",
            {
                "search_query": "cat:cs.RO AND ti:neural",
                "start": "2",
                "max_results": "2",
                "sortBy": "relevance",
                "sortOrder": "descending",
            },
        )
    ]
    assert [p.id for p in page.outcome.papers] == ["2510.20002", "2510.20003"]
    assert page.total_results == 5


def test_by_ids_strips_versions_and_batches(
    client: ArxivClient, arxiv_server: ScriptedServer
) -> None:
    client.ids_per_request = 2
    outcome = client.by_ids(["2510.14968v3", "1601.00001", "cs/9809007v1", "1601.00001v2"])

    assert [q["id_list"] for _, q in arxiv_server.requests] == [
        "2510.14968,1601.00001",
        "cs/9809007",
    ]
    assert [p.id for p in outcome.papers] == ["2510.14968", "1601.00001", "cs/9809007"]


def test_category_range_pages_until_total(
    client: ArxivClient, arxiv_server: ScriptedServer
) -> None:
    outcome = client.category_range("cs.RO", date(2025, 10, 15), date(2025, 10, 16), page_size=2)

    queries = [q for _, q in arxiv_server.requests]
    assert {q["search_query"] for q in queries} == {
        "cat:cs.RO AND submittedDate:[202510150000 TO 202510162359]"
    }
    assert [(q["start"], q["max_results"]) for q in queries] == [("0", "2"), ("2", "2"), ("4", "2")]
    assert len(outcome.papers) == 5 and len({p.id for p in outcome.papers}) == 5


def test_category_range_stops_at_max_results(
    client: ArxivClient, arxiv_server: ScriptedServer
) -> None:
    outcome = client.category_range(
        "cs.RO", date(2025, 10, 15), date(2025, 10, 16), page_size=2, max_results=3
    )
    assert [q["max_results"] for _, q in arxiv_server.requests] == ["2", "1"]
    assert len(outcome.papers) == 3


def test_category_range_stops_on_an_empty_page(
    client: ArxivClient, arxiv_server: ScriptedServer
) -> None:
    arxiv_server.queue.append(Canned(200, _feed([], total=5).encode()))
    outcome = client.category_range("cs.RO", date(2025, 10, 15), date(2025, 10, 16))
    assert outcome.papers == []
    assert len(arxiv_server.requests) == 1
    assert "empty page" in outcome.problems[0].reason


def test_requests_are_three_seconds_apart(
    client: ArxivClient, fake_time: FakeTime, sent_at: list[float]
) -> None:
    client.category_range("cs.RO", date(2025, 10, 15), date(2025, 10, 16), page_size=2)
    client.search("ti:robot")

    assert len(sent_at) == 4
    assert sent_at[0] == 0.0  # the first request does not wait
    assert all(b - a >= 3.0 for a, b in zip(sent_at, sent_at[1:], strict=False))


def test_retries_keep_the_spacing_and_back_off(
    client: ArxivClient, arxiv_server: ScriptedServer, fake_time: FakeTime, sent_at: list[float]
) -> None:
    arxiv_server.queue.extend([Canned(503, b"busy"), Canned(429, b"", {"Retry-After": "1"})])
    page = client.search("ti:robot", max_results=2)

    assert len(page.outcome.papers) == 2
    assert len(arxiv_server.requests) == 3
    assert all(b - a >= 3.0 for a, b in zip(sent_at, sent_at[1:], strict=False))
    assert 1.0 in fake_time.sleeps  # Retry-After honoured (then topped up to 3 s by spacing)


def test_arxiv_error_entry_raises(client: ArxivClient, arxiv_server: ScriptedServer) -> None:
    arxiv_server.queue.append(Canned(200, _feed([ERROR_ENTRY], total=1).encode()))
    with pytest.raises(ArxivQueryError, match="incorrect id format for 1234.12345678"):
        client.by_ids(["1234.12345678"])


def test_persistent_5xx_raises_after_max_attempts(
    client: ArxivClient, arxiv_server: ScriptedServer
) -> None:
    arxiv_server.queue.extend(Canned(500, b"oops") for _ in range(4))
    with pytest.raises(SourceHTTPError, match="500"):
        client.search("ti:robot")
    assert len(arxiv_server.requests) == 4


def test_bad_request_is_not_retried(client: ArxivClient, arxiv_server: ScriptedServer) -> None:
    arxiv_server.queue.append(Canned(400, b"bad"))
    with pytest.raises(SourceHTTPError, match="400"):
        client.search("ti:robot")
    assert len(arxiv_server.requests) == 1
