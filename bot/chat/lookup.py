"""Finding the paper a "papers like ..." question names: a quoted title in the library, or an
arXiv id that is not in the library yet (fetched from the arXiv API and ingested)."""

from __future__ import annotations

import logging
import re
from typing import Protocol

from retrieval.index import PaperIndex
from retrieval.models import Paper
from retrieval.sources.arxiv import ArxivClient

log = logging.getLogger(__name__)
_QUOTES = "\"'“”‘’«»"
_QUOTED_LIKE = re.compile(
    r"^(?:(?:show\s+me|find(?:\s+me)?|give\s+me)\s+)?"
    r"(?:(?:papers?|articles?|more|something|anything|work|others?)\s+)?"
    rf"(?:similar(?:\s+papers?)?(?:\s+to)?|related\s+to|like)\s*:?\s*[{_QUOTES}](?P<t>[^{_QUOTES}]+)"
    rf"[{_QUOTES}]\s*[?.!]?$",
    re.I,
)


def quoted_title(question: str) -> str | None:
    """The title in ``papers like "FNet: Mixing Tokens ..."``, or None."""
    m = _QUOTED_LIKE.match(question.strip())
    return m["t"].strip() if m else None


def unquote(text: str) -> str:
    """``text`` without surrounding quotes."""
    return text.strip().strip(_QUOTES).strip()


class PaperFetcher(Protocol):
    """Fetches one paper by arXiv id from outside the library."""

    def fetch(self, arxiv_id: str) -> Paper | None: ...


class ArxivFetcher:
    """One-paper fetches from the arXiv API (``id_list``), quick to give up: a chat is waiting."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url
        self.timeout = timeout

    def fetch(self, arxiv_id: str) -> Paper | None:
        """The paper, or None when arXiv has no such id. Raises :class:`SourceError` when arXiv
        cannot be reached or answers with an error."""
        with ArxivClient(
            self.base_url, min_interval_s=0, timeout=self.timeout, max_attempts=2, backoff_s=0.5
        ) as client:
            papers = client.by_ids([arxiv_id]).papers
        return next((p for p in papers if p.id == arxiv_id), papers[0] if papers else None)


def add_from_arxiv(
    index: PaperIndex, fetcher: PaperFetcher | None, arxiv_id: str
) -> tuple[str | None, str]:
    """Fetch ``arxiv_id`` and ingest it: ``(id of the paper in the library, "")``, or
    ``(None, why not)`` for the user. A paper whose title the library already has (the demo
    corpus lists some papers by title only) is not added twice: that copy is used."""
    if fetcher is None:
        return (
            None,
            f"I don't have {arxiv_id} in my library, and fetching from arXiv is turned off.",
        )
    try:
        paper = fetcher.fetch(arxiv_id)
    except Exception as error:  # offline, refused, garbled: the user gets a sentence either way
        log.warning("could not fetch %s from arXiv: %s", arxiv_id, error)
        return None, f"I don't have {arxiv_id} in my library and couldn't reach arXiv to fetch it."
    if paper is None:
        return None, f"arXiv has no paper {arxiv_id}, and it isn't in my library."
    known = index.find_title(paper.title)
    if known is not None:
        return known.id, ""
    index.ingest([paper])
    log.info("fetched %s from arXiv into the library", paper.id)
    return paper.id, ""
