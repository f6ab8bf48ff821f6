"""Local JSON Lines files (``.jsonl`` or ``.jsonl.gz``): one paper object per line.

Required: ``title`` and ``abstract``. Optional: ``id``, ``url``, ``authors`` (a list of names,
or one string separated by commas and/or " and "), ``published`` (date or datetime string),
``upvotes``, ``comments``, ``github_stars``, ``ai_summary``, ``list_date``.
Also understood, so the recorded dumps load as they are: ``arxiv_id`` / ``paper_id`` (for
``id``), ``created`` / ``announce_date`` (for ``published``) and ``year`` (published on
January 1st of that year). A ``comments`` value that is text rather than a number (the arXiv
dumps use it for the author's comment) is ignored. Lines without an id get ``title_id(title)``.
Problem locations are ``<path>:<line number>`` (1-based).
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from retrieval.models import (
    Paper,
    ParseOutcome,
    ParseProblem,
    is_arxiv_id,
    strip_arxiv_version,
    title_id,
)
from retrieval.sources.hf import validation_reason
from retrieval.text import normalise_space

_AUTHOR_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def _to_date(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            return datetime.fromisoformat(text).date()
    return None if value == "" else value


def _to_authors(value: Any) -> Any:
    if isinstance(value, str):
        return [a for a in _AUTHOR_SPLIT.split(value) if a.strip()]
    return [] if value is None else value


def _count_or_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip().isdigit():
        return None
    return value


_Date = Annotated[date | None, BeforeValidator(_to_date)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    title: str
    abstract: str
    id: str | None = Field(None, validation_alias=AliasChoices("id", "arxiv_id", "paper_id"))
    url: str | None = None
    authors: Annotated[list[str], BeforeValidator(_to_authors)] = []
    published: _Date = Field(
        None, validation_alias=AliasChoices("published", "created", "announce_date")
    )
    year: int | None = None
    upvotes: int | None = None
    comments: Annotated[int | None, BeforeValidator(_count_or_none)] = None
    github_stars: int | None = None
    ai_summary: str | None = None
    list_date: _Date = None


def _record_to_paper(record: _Record) -> Paper:
    title, abstract = normalise_space(record.title), normalise_space(record.abstract)
    if not title or not abstract:
        raise ValueError("empty " + ("title" if not title else "abstract"))
    paper_id = normalise_space(record.id)
    if paper_id and is_arxiv_id(strip_arxiv_version(paper_id)):
        paper_id = strip_arxiv_version(paper_id)
    published = record.published
    if published is None and record.year:
        published = date(record.year, 1, 1)
    return Paper(
        id=paper_id or title_id(title),
        title=title,
        abstract=abstract,
        url=normalise_space(record.url),
        authors=tuple(normalise_space(a) for a in record.authors if a.strip()),
        published=published,
        upvotes=record.upvotes,
        comments=record.comments,
        github_stars=record.github_stars,
        ai_summary=normalise_space(record.ai_summary),
        list_date=record.list_date,
        source="jsonl",
    )


def _open(path: Path, mode: str, gz: bool) -> IO[bytes]:
    return gzip.open(path, mode) if gz else open(path, mode)  # noqa: SIM115


def parse_line(raw: bytes | str, location: str) -> Paper | ParseProblem | None:
    """One JSONL line -> a Paper, a ParseProblem, or ``None`` for a blank line."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    if not text.strip():
        return None
    try:
        obj = json.loads(text)
    except ValueError as err:
        return ParseProblem(location, f"not valid JSON: {err}")
    if not isinstance(obj, dict):
        return ParseProblem(location, f"expected a JSON object, got {type(obj).__name__}")
    try:
        return _record_to_paper(_Record.model_validate(obj))
    except ValidationError as err:
        return ParseProblem(location, validation_reason(err))
    except ValueError as err:
        return ParseProblem(location, str(err))


def read_jsonl(path: Path) -> ParseOutcome:
    """Papers from a ``.jsonl``/``.jsonl.gz`` file; bad lines become ``file:line`` problems."""
    path = Path(path)
    outcome = ParseOutcome()
    line_no = 0
    with _open(path, "rb", path.suffix == ".gz") as handle:
        try:
            for line_no, raw in enumerate(handle, start=1):
                try:
                    result = parse_line(raw, f"{path}:{line_no}")
                except UnicodeDecodeError as err:
                    result = ParseProblem(f"{path}:{line_no}", f"not UTF-8: {err}")
                if isinstance(result, Paper):
                    outcome.papers.append(result)
                elif result is not None:
                    outcome.problems.append(result)
        except (OSError, EOFError) as err:
            outcome.problems.append(
                ParseProblem(f"{path}:{line_no + 1}", f"file truncated or corrupt: {err}")
            )
    return outcome


def paper_to_record(paper: Paper) -> dict[str, Any]:
    """The JSONL object for a paper (the format :func:`read_jsonl` reads); empty fields omitted."""
    record: dict[str, Any] = {
        "id": paper.id,
        "title": paper.title,
        "abstract": paper.abstract,
        "url": paper.url,
        "authors": list(paper.authors),
        "published": paper.published.isoformat() if paper.published else None,
        "upvotes": paper.upvotes,
        "comments": paper.comments,
        "github_stars": paper.github_stars,
        "ai_summary": paper.ai_summary,
        "list_date": paper.list_date.isoformat() if paper.list_date else None,
    }
    return {k: v for k, v in record.items() if v not in (None, "", [])}


def write_jsonl(papers: Iterable[Paper], path: Path) -> int:
    """Write papers as JSON Lines (gzip when ``path`` ends in ``.gz``), atomically.

    Returns the number of papers written."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    try:
        with _open(tmp, "wb", path.suffix == ".gz") as handle:
            for paper in papers:
                line = json.dumps(paper_to_record(paper), ensure_ascii=False) + "\n"
                handle.write(line.encode("utf-8"))
                count += 1
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count
