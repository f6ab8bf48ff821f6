"""arXiv API: an Atom parser (stdlib ``xml.etree``) and a client that keeps arXiv's rules.

The rules (https://info.arxiv.org/help/api/tou.html): one request every 3 seconds, one
connection at a time. :class:`ArxivClient` spaces every request it sends, retries included, and
retries 429/5xx/network errors with exponential backoff.

:func:`parse_atom` returns an :class:`AtomPage`: the parsed ``outcome`` plus the feed's
``opensearch:totalResults`` (``total_results``) and ``startIndex``. arXiv reports a bad query as
HTTP 200 with one entry titled "Error"; the parser turns it into a problem and sets
``AtomPage.error``, and the client raises :class:`ArxivQueryError` with arXiv's text.
Problem locations are ``<location>:<entry index>`` (0-based) or ``<location>:<line>`` for XML.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

from retrieval.models import (
    Paper,
    ParseOutcome,
    ParseProblem,
    strip_arxiv_version,
)
from retrieval.sources.http import ClosingContext, PoliteHTTP, SourceError
from retrieval.text import normalise_space

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
_ABS_ID = re.compile(r"arxiv\.org/abs/(.+?)/?$")


class ArxivQueryError(SourceError):
    """arXiv rejected the query (its "Error" entry); the message is arXiv's own text."""


@dataclass(slots=True)
class AtomPage:
    """One parsed Atom feed: papers/problems, paging counters and arXiv's error text, if any."""

    outcome: ParseOutcome = field(default_factory=ParseOutcome)
    total_results: int = 0
    start_index: int = 0
    error: str | None = None


def _text(element: ET.Element, path: str) -> str:
    found = element.find(path, NS)
    return normalise_space(found.text) if found is not None and found.text else ""


def _int(element: ET.Element, path: str, default: int) -> int:
    try:
        return int(_text(element, path))
    except ValueError:
        return default


def _is_error_entry(entry: ET.Element, entries: int) -> bool:
    entry_id = _text(entry, "atom:id")
    if "/api/errors" in entry_id:
        return True
    return entries == 1 and _text(entry, "atom:title") == "Error" and "/abs/" not in entry_id


def _entry_to_paper(entry: ET.Element) -> Paper:
    match = _ABS_ID.search(_text(entry, "atom:id"))
    if not match:
        raise ValueError(f"no arXiv abstract id in <id> {_text(entry, 'atom:id')!r}")
    paper_id = strip_arxiv_version(match.group(1))
    title, abstract = _text(entry, "atom:title"), _text(entry, "atom:summary")
    if not title or not abstract:
        raise ValueError("missing " + ("title" if not title else "summary"))
    published = _text(entry, "atom:published")
    authors = (_text(a, "atom:name") for a in entry.findall("atom:author", NS))
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        url=f"https://arxiv.org/abs/{paper_id}",
        authors=tuple(a for a in authors if a),
        published=date.fromisoformat(published[:10]) if published else None,
        source="arxiv",
    )


def _events(data: bytes) -> Iterator[tuple[str, ET.Element]]:
    """(event, element) pairs of ``data`` parsed incrementally; a ``ParseError`` is raised only
    after every event before the break was yielded."""
    parser = ET.XMLPullParser(events=("start", "end"))
    parser.feed(data)  # a syntax error is queued after the events before it
    yield from parser.read_events()
    parser.close()  # raises for a document cut short
    yield from parser.read_events()


def _read_feed(data: bytes, location: str, page: AtomPage) -> tuple[ET.Element | None, list]:
    """The feed element and its complete entries, read incrementally: a cut or broken file
    keeps every entry before the break and reports where it broke."""
    root: ET.Element | None = None
    entries: list[ET.Element] = []
    depth = 0
    try:
        for event, element in _events(data):
            depth += 1 if event == "start" else -1
            if root is None:
                root = element
                if element.tag != f"{{{NS['atom']}}}feed":
                    tag = element.tag.rsplit("}", 1)[-1]
                    reason = f"not an Atom feed: the document is <{tag}>"
                    page.outcome.problems.append(ParseProblem(location, reason))
                    return None, []
            elif event == "end" and depth == 1 and element.tag == f"{{{NS['atom']}}}entry":
                entries.append(element)
    except ET.ParseError as err:
        line = err.position[0] if err.position else 0
        count = len(entries)
        kept = f"; kept the {count} complete entr{'y' if count == 1 else 'ies'} before it"
        reason = f"malformed XML (cut short or broken): {err}{kept if count else ''}"
        page.outcome.problems.append(ParseProblem(f"{location}:{line}", reason))
    return root, entries


def parse_atom(xml_text: str | bytes, location: str) -> AtomPage:
    """Parse an arXiv API Atom feed; malformed XML or entries become problems, never a crash.

    A truncated or broken feed keeps its complete entries and reports the break."""
    page = AtomPage()
    data = xml_text.encode("utf-8") if isinstance(xml_text, str) else xml_text
    if not data.strip():
        page.outcome.problems.append(ParseProblem(location, "the file is empty, not an Atom feed"))
        return page
    root, entries = _read_feed(data, location, page)
    if root is None:
        if not page.outcome.problems:
            page.outcome.problems.append(ParseProblem(location, "no XML element found"))
        return page
    page.total_results = _int(root, "opensearch:totalResults", len(entries))
    page.start_index = _int(root, "opensearch:startIndex", 0)
    if entries and _is_error_entry(entries[0], len(entries)):
        page.error = _text(entries[0], "atom:summary") or "arXiv reported an error"
        page.total_results = 0
        page.outcome.problems.append(
            ParseProblem(f"{location}:0", f"arXiv query error: {page.error}")
        )
        return page
    for index, entry in enumerate(entries):
        try:
            page.outcome.add_clipped(_entry_to_paper(entry), f"{location}:{index}")
        except ValueError as err:
            page.outcome.problems.append(ParseProblem(f"{location}:{index}", str(err)))
    return page


def read_atom_file(path: Path) -> ParseOutcome:
    """Papers from a saved arXiv API response; a file that cannot be read (a folder, no
    permission) is one problem."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return ParseOutcome(problems=[ParseProblem(str(path), f"cannot read the file: {err}")])
    return parse_atom(data, str(path)).outcome


class ArxivClient(ClosingContext):
    """arXiv API client: one request every ``min_interval_s`` (retries included), backoff on
    429/5xx/network errors. ``clock``/``sleep`` are injectable so tests need not wait."""

    def __init__(
        self,
        base_url: str = "http://export.arxiv.org/api/query",
        min_interval_s: float = 3.0,
        timeout: float = 30,
        http: httpx.Client | None = None,
        max_attempts: int = 4,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        *,
        backoff_s: float = 3.0,
        ids_per_request: int = 100,
    ) -> None:
        self.base_url = base_url
        self.ids_per_request = ids_per_request
        self._http = PoliteHTTP(
            http,
            timeout=timeout,
            max_attempts=max_attempts,
            min_interval_s=min_interval_s,
            backoff_s=backoff_s,
            clock=clock,
            sleep=sleep,
        )

    def _query(self, params: dict[str, str | int]) -> AtomPage:
        response = self._http.get(self.base_url, params=params)
        location = f"{self.base_url}?start={params.get('start', 0)}"
        page = parse_atom(response.content, location)
        if page.error is not None:
            raise ArxivQueryError(f"arXiv rejected the query: {page.error}")
        return page

    def search(
        self,
        query: str,
        start: int = 0,
        max_results: int = 100,
        sort_by: str = "submittedDate",
        sort_order: str = "descending",
    ) -> AtomPage:
        """One page of results for ``query`` in arXiv syntax (e.g. ``cat:cs.CL AND ti:x``)."""
        return self._query(
            {
                "search_query": query,
                "start": start,
                "max_results": max_results,
                "sortBy": sort_by,
                "sortOrder": sort_order,
            }
        )

    def recent(self, category: str, max_results: int = 200) -> ParseOutcome:
        """The newest ``max_results`` submissions of ``category`` (e.g. ``cs.LG``), in one
        request sorted by submission date."""
        return self.search(f"cat:{category}", max_results=max_results).outcome

    def by_ids(self, ids: list[str]) -> ParseOutcome:
        """Papers for arXiv ids (versions are stripped), ``ids_per_request`` per request."""
        wanted = list(dict.fromkeys(strip_arxiv_version(i) for i in ids if i.strip()))
        outcome = ParseOutcome()
        for first in range(0, len(wanted), self.ids_per_request):
            chunk = wanted[first : first + self.ids_per_request]
            params = {"id_list": ",".join(chunk), "start": 0, "max_results": len(chunk)}
            outcome.extend(self._query(params).outcome)
        return outcome

    def category_range(
        self,
        category: str,
        since: date,
        until: date,
        page_size: int = 200,
        max_results: int = 2000,
    ) -> ParseOutcome:
        """Papers of ``category`` submitted ``since..until`` (inclusive), newest first, paging
        until arXiv's ``totalResults`` or ``max_results``."""
        query = f"cat:{category} AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"
        outcome = ParseOutcome()
        start, total = 0, max_results
        while start < min(total, max_results):
            size = min(page_size, max_results - start)
            page = self.search(query, start=start, max_results=size)
            outcome.extend(page.outcome)
            total = page.total_results
            got = len(page.outcome.papers) + len(page.outcome.problems)
            if got == 0 and start < min(total, max_results):
                outcome.problems.append(
                    ParseProblem(
                        f"{self.base_url}?start={start}",
                        f"arXiv returned an empty page before totalResults={total}; stopped",
                    )
                )
                break
            start += got
        return outcome

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        self._http.close()
