"""Small immutable models shared by every part of the retrieval core.

Nothing here knows about Chroma, chat platforms or settings files.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from retrieval.text import normalise_space as normalise_space  # re-exported (older imports)

_ARXIV_VERSION = re.compile(r"v\d+$")

Order = Literal["relevance", "newest", "trending"]


def strip_arxiv_version(arxiv_id: str) -> str:
    """``2105.03824v2`` -> ``2105.03824``; ids without a version are returned unchanged."""
    return _ARXIV_VERSION.sub("", arxiv_id.strip())


def title_id(title: str) -> str:
    """A stable id for a paper that has no arXiv id, derived from its normalised title."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    key = " ".join(re.findall(r"[a-z0-9]+", folded))
    return "title:" + hashlib.sha1(key.encode()).hexdigest()[:16]


def is_arxiv_id(paper_id: str) -> bool:
    """True for new-style (``2105.03824``) and old-style (``cs/9809007``) arXiv ids."""
    return bool(re.fullmatch(r"\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7}", paper_id))


@dataclass(frozen=True, slots=True)
class Paper:
    """One research paper, normalised from any source.

    ``list_date`` is the Hugging Face daily list the paper appeared on (if any);
    ``upvotes``/``comments``/``github_stars`` are ``None`` when the source has no such signal.
    """

    id: str
    title: str
    abstract: str
    url: str = ""
    authors: tuple[str, ...] = ()
    published: date | None = None
    upvotes: int | None = None
    comments: int | None = None
    github_stars: int | None = None
    ai_summary: str = ""
    list_date: date | None = None
    source: str = ""

    @property
    def link(self) -> str:
        """The paper's URL, falling back to its arXiv abstract page or an arXiv title search."""
        if self.url:
            return self.url
        if is_arxiv_id(self.id):
            return f"https://arxiv.org/abs/{self.id}"
        from urllib.parse import quote_plus

        return f"https://arxiv.org/search/?searchtype=title&query={quote_plus(self.title)}"

    @property
    def text(self) -> str:
        """The text that is embedded and indexed: title and abstract."""
        return f"{self.title}. {self.abstract}"

    @property
    def text_hash(self) -> str:
        """Fingerprint of the embedded text: unchanged hash means no re-embedding."""
        return hashlib.sha1(self.text.encode()).hexdigest()

    @property
    def has_popularity(self) -> bool:
        """Whether any popularity signal (upvotes, comments, stars) is known."""
        return any(v is not None for v in (self.upvotes, self.comments, self.github_stars))


def publication_day(paper: Paper) -> date | None:
    """The date a user sees and filters by: the publication date wins, else the HF list day.

    Used for date filters and "newest first" (the catalogue's ``day`` column is the same rule).
    """
    return paper.published or paper.list_date


def listing_day(paper: Paper) -> date | None:
    """The day a paper counts as new: the HF list day wins, else the publication date.

    Used for trending age and digest days (a paper published in May and listed on HF today is
    today's news); the catalogue's ``listed_between`` is the same rule.
    """
    return paper.list_date or paper.published


@dataclass(frozen=True, slots=True)
class Hit:
    """A search result: the paper, its fused score and the sentence that explains the match."""

    paper: Paper
    score: float
    snippet: str = ""
    rank: int = 0


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A question after parsing: free text plus filters taken from its own words."""

    text: str = ""
    since: date | None = None
    until: date | None = None
    author: str | None = None
    order: Order = "relevance"
    similar_to: str | None = None
    limit: int = 10
    offset: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def has_date_filter(self) -> bool:
        """True when a date range restricts the results."""
        return self.since is not None or self.until is not None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Hits for one query, with the query as understood (so replies can echo the filters)."""

    query: SearchQuery
    hits: tuple[Hit, ...]
    total_candidates: int = 0
    anchor: Paper | None = None
    best_similarity: float | None = None  # the best dense cosine among allowed papers

    @property
    def has_more(self) -> bool:
        """Whether another page could be asked for."""
        return self.total_candidates > self.query.offset + len(self.hits)


@dataclass(frozen=True, slots=True)
class ParseProblem:
    """A record that could not be read: where it was and why. The rest of the batch still lands."""

    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.reason}"


@dataclass(slots=True)
class ParseOutcome:
    """Papers read from a source, the records that were skipped (``problems``) and the records
    kept with a change the user should know of (``warnings``, e.g. an abstract cut to size)."""

    papers: list[Paper] = field(default_factory=list)
    problems: list[ParseProblem] = field(default_factory=list)
    warnings: list[ParseProblem] = field(default_factory=list)

    def extend(self, other: ParseOutcome) -> None:
        """Append another outcome's papers, problems and warnings."""
        self.papers.extend(other.papers)
        self.problems.extend(other.problems)
        self.warnings.extend(other.warnings)

    def add_clipped(self, paper: Paper, location: str) -> None:
        """Append ``paper`` within the size limits of :mod:`retrieval.limits`, with a warning at
        ``location`` when it had to be shortened."""
        from retrieval.limits import clip_paper

        clipped, notes = clip_paper(paper)
        if notes:
            self.warnings.append(ParseProblem(location, f"{paper.id}: " + "; ".join(notes)))
        self.papers.append(clipped)


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What an ingest did: counts a user can check."""

    seen: int
    added: int
    updated_text: int
    updated_metadata: int
    unchanged: int
    problems: tuple[ParseProblem, ...] = ()

    @property
    def embedded(self) -> int:
        """Number of papers whose text was embedded in this run."""
        return self.added + self.updated_text
