"""Hugging Face daily papers: parser for the raw API JSON (both layouts) and a polite client.

``GET https://huggingface.co/api/daily_papers?date=YYYY-MM-DD`` returns a JSON list of entries.
Every layout seen so far (current, legacy 2024-2025, the compact 2024 wire format) keeps what we
need in ``entry.paper`` (``id``, ``title``, ``summary``, ``upvotes``, ``authors``...) and the
comment count in ``entry.numComments``; only optional fields come and go, so one tolerant model
reads them all. Locations of problems are ``<location>:<index in the list>`` (0-based).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from retrieval.limits import MAX_COUNT
from retrieval.models import (
    Paper,
    ParseOutcome,
    ParseProblem,
    strip_arxiv_version,
)
from retrieval.sources.http import ClosingContext, PoliteHTTP
from retrieval.text import normalise_space

_DAY_FILE = re.compile(r"^(?:daily_papers_)?(\d{4}-\d{2}-\d{2})\.json$")


class _Author(BaseModel):
    name: str = ""
    hidden: bool = False


_Count = Annotated[int | None, Field(ge=0, le=MAX_COUNT)]  # out of range: the entry is skipped


class _HFPaper(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    id: str = Field(min_length=1)
    title: str
    summary: str
    authors: list[_Author] = []
    upvotes: _Count = None
    githubStars: _Count = None  # noqa: N815 (wire name)
    ai_summary: str | None = None
    publishedAt: datetime | None = None  # noqa: N815
    submittedOnDailyAt: datetime | None = None  # noqa: N815


class _HFEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    paper: _HFPaper
    numComments: _Count = None  # noqa: N815
    publishedAt: datetime | None = None  # noqa: N815


def validation_reason(err: ValidationError) -> str:
    """A short, readable reason from a pydantic error ("missing paper.summary; ...")."""
    parts = []
    for item in err.errors():
        where = ".".join(str(p) for p in item["loc"]) or "record"
        parts.append(f"missing {where}" if item["type"] == "missing" else f"{where}: {item['msg']}")
    return "; ".join(parts)


def _entry_to_paper(entry: _HFEntry, list_date: date | None) -> Paper:
    p = entry.paper
    title, abstract = normalise_space(p.title), normalise_space(p.summary)
    if not title:
        raise ValueError("empty paper.title")
    if p.submittedOnDailyAt is not None:
        list_date = p.submittedOnDailyAt.date()
    elif list_date is None and entry.publishedAt is not None:
        list_date = entry.publishedAt.date()
    paper_id = strip_arxiv_version(p.id)
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        url=f"https://huggingface.co/papers/{paper_id}",
        authors=tuple(
            normalise_space(a.name) for a in p.authors if not a.hidden and a.name.strip()
        ),
        published=p.publishedAt.date() if p.publishedAt else None,
        upvotes=p.upvotes,
        comments=entry.numComments,
        github_stars=p.githubStars,
        ai_summary=normalise_space(p.ai_summary),
        list_date=list_date,
        source="hf",
    )


def parse_daily_papers(
    payload: object, location: str, list_date: date | None = None
) -> ParseOutcome:
    """Papers from one decoded ``daily_papers`` response; bad entries become problems.

    ``list_date`` (e.g. from the file name) is used when an entry lacks
    ``paper.submittedOnDailyAt``; failing both, the entry's own ``publishedAt`` date.
    """
    outcome = ParseOutcome()
    if not isinstance(payload, list):
        detail = payload.get("error") if isinstance(payload, dict) else None
        reason = f"expected a JSON list of daily papers, got {type(payload).__name__}"
        outcome.problems.append(ParseProblem(location, f"{reason}: {detail}" if detail else reason))
        return outcome
    for index, raw in enumerate(payload):
        where = f"{location}:{index}"
        if not isinstance(raw, dict) or not isinstance(raw.get("paper"), dict):
            outcome.problems.append(ParseProblem(where, "entry has no 'paper' object"))
            continue
        try:
            outcome.add_clipped(_entry_to_paper(_HFEntry.model_validate(raw), list_date), where)
        except ValidationError as err:
            outcome.problems.append(ParseProblem(where, validation_reason(err)))
        except ValueError as err:
            outcome.problems.append(ParseProblem(where, str(err)))
    return outcome


def read_daily_dir(
    path: Path, since: date | None = None, until: date | None = None
) -> ParseOutcome:
    """Read every ``YYYY-MM-DD.json`` / ``daily_papers_YYYY-MM-DD.json`` in ``path`` (not
    recursive), oldest first, optionally limited to ``since..until`` (inclusive).
    The list date comes from the file name; an unreadable file is one problem."""
    dated: list[tuple[date, Path]] = []
    outcome = ParseOutcome()
    for file in Path(path).iterdir():
        match = _DAY_FILE.match(file.name)
        if not match or not file.is_file():
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            outcome.problems.append(ParseProblem(str(file), "file name is not a valid date"))
            continue
        if (since is None or day >= since) and (until is None or day <= until):
            dated.append((day, file))
    for day, file in sorted(dated):
        try:
            payload = json.loads(file.read_bytes())
        except (OSError, ValueError) as err:
            outcome.problems.append(ParseProblem(str(file), f"not valid JSON: {err}"))
            continue
        outcome.extend(parse_daily_papers(payload, str(file), list_date=day))
    return outcome


class HFDailyClient(ClosingContext):
    """Client for ``/api/daily_papers``: retries with backoff on network errors, 429 (honouring
    ``Retry-After``) and 5xx; other 4xx raise :class:`~retrieval.sources.http.SourceHTTPError`."""

    def __init__(
        self,
        base_url: str = "https://huggingface.co",
        timeout: float = 20,
        http: httpx.Client | None = None,
        max_attempts: int = 4,
        *,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = base_url.rstrip("/") + "/api/daily_papers"
        self._http = PoliteHTTP(
            http,
            timeout=timeout,
            max_attempts=max_attempts,
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
            sleep=sleep,
        )

    def fetch_day(self, day: date) -> ParseOutcome:
        """The daily list for ``day`` (an empty list is a normal answer, e.g. on weekends)."""
        response = self._http.get(self.url, params={"date": day.isoformat()})
        location = f"{self.url}?date={day.isoformat()}"
        try:
            payload = response.json()
        except ValueError as err:
            return ParseOutcome(problems=[ParseProblem(location, f"not valid JSON: {err}")])
        return parse_daily_papers(payload, location, list_date=day)

    def fetch_range(self, since: date, until: date) -> ParseOutcome:
        """Every weekday's list from ``since`` to ``until`` inclusive, oldest first."""
        outcome = ParseOutcome()
        day = since
        while day <= until:
            if day.weekday() < 5:
                outcome.extend(self.fetch_day(day))
            day += timedelta(days=1)
        return outcome

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        self._http.close()
