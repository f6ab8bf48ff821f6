"""Local JSON Lines files (``.jsonl`` or ``.jsonl.gz``): one paper object per line.

Required: ``title`` and ``abstract``. Optional: ``id``, ``url``, ``authors`` (a list of names,
or one string separated by commas and/or " and "), ``published`` (date or datetime string),
``upvotes``, ``comments``, ``github_stars``, ``ai_summary``, ``list_date``.
Also understood, so the recorded dumps load as they are: ``arxiv_id`` / ``paper_id`` (for
``id``), ``created`` / ``announce_date`` (for ``published``) and ``year`` (published on
January 1st of that year). A ``comments`` value that is text rather than a number (the arXiv
dumps use it for the author's comment) is ignored. Lines without an id get ``title_id(title)``.

A line is skipped and reported when it is not JSON (nesting too deep included), when a field has
the wrong type (text fields must be text; only ``id`` may be a number), or when a count is outside
``0..limits.MAX_COUNT``; a record over the size limits of :mod:`retrieval.limits` is shortened
with a warning. Problem and warning locations are ``<path>:<line number>`` (1-based).
"""

from __future__ import annotations

import codecs
import gzip
import json
import os
import re
import zlib
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import IO, Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationError,
)

from retrieval.limits import MAX_COUNT, MAX_ID
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


def _number_to_str(value: Any) -> Any:
    """Ids may be written as numbers (``2105.03824``); every other text field must be text."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


_Date = Annotated[date | None, BeforeValidator(_to_date)]
_Count = Annotated[int | None, Field(ge=0, le=MAX_COUNT)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: StrictStr
    abstract: StrictStr
    id: Annotated[StrictStr | None, BeforeValidator(_number_to_str), Field(max_length=MAX_ID)] = (
        Field(None, validation_alias=AliasChoices("id", "arxiv_id", "paper_id"))
    )
    url: StrictStr | None = None
    authors: Annotated[list[StrictStr], BeforeValidator(_to_authors)] = []
    published: _Date = Field(
        None, validation_alias=AliasChoices("published", "created", "announce_date")
    )
    year: Annotated[int | None, Field(ge=1, le=9999)] = None
    upvotes: _Count = None
    comments: Annotated[_Count, BeforeValidator(_count_or_none)] = None
    github_stars: _Count = None
    ai_summary: StrictStr | None = None
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
    except RecursionError:
        return ParseProblem(location, "JSON nested too deeply to read")
    except ValueError as err:
        return ParseProblem(location, f"not valid JSON: {err}")
    if not isinstance(obj, dict):
        return ParseProblem(location, f"expected a JSON object, got {type(obj).__name__}")
    try:
        return _record_to_paper(_Record.model_validate(obj))
    except ValidationError as err:
        return ParseProblem(location, validation_reason(err))
    except (ValueError, OverflowError, RecursionError) as err:
        return ParseProblem(location, str(err) or type(err).__name__)


class _FileReader:
    """Collects one file's papers, keeping the first record of an id unless a later line
    repeats it with other text: then the later line wins and the earlier is reported."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcome = ParseOutcome()
        self._seen: dict[str, tuple[int, int, str]] = {}  # id -> (line, position, text hash)
        self._dropped: set[int] = set()  # positions of papers replaced by a later line

    def add(self, line_no: int, raw: bytes) -> None:
        where = f"{self.path}:{line_no}"
        try:
            result = parse_line(raw, where)
        except UnicodeDecodeError as err:
            result = ParseProblem(where, f"not UTF-8: {err}")
        if result is None:
            return
        if isinstance(result, ParseProblem):
            self.outcome.problems.append(result)
            return
        earlier = self._seen.get(result.id)
        if earlier is not None and earlier[2] != result.text_hash:
            first_line, position, _ = earlier
            self._dropped.add(position)
            self.outcome.problems.append(
                ParseProblem(
                    f"{self.path}:{first_line}",
                    f"id {result.id!r} appears again at {where} with other text; "
                    f"kept {where} (the later line), skipped this one",
                )
            )
        self._seen[result.id] = (line_no, len(self.outcome.papers), result.text_hash)
        self.outcome.add_clipped(result, where)

    def finish(self) -> ParseOutcome:
        papers = self.outcome.papers
        self.outcome.papers = [p for i, p in enumerate(papers) if i not in self._dropped]
        return self.outcome


def read_jsonl(path: Path) -> ParseOutcome:
    """Papers from a ``.jsonl``/``.jsonl.gz`` file; bad lines become ``file:line`` problems.

    A UTF-8 byte order mark before the first line is ignored. Fields over the size limits of
    :mod:`retrieval.limits` are shortened with a ``file:line`` warning. When two lines share an
    id with different text, the later is kept and the earlier reported."""
    path = Path(path)
    reader = _FileReader(path)
    try:
        handle = _open(path, "rb", path.suffix == ".gz")
    except OSError as err:
        reader.outcome.problems.append(ParseProblem(str(path), f"cannot read the file: {err}"))
        return reader.finish()
    line_no = 0
    with handle:
        try:
            for line_no, raw in enumerate(handle, start=1):
                reader.add(line_no, raw.removeprefix(codecs.BOM_UTF8) if line_no == 1 else raw)
        except (OSError, EOFError, zlib.error) as err:
            reader.outcome.problems.append(
                ParseProblem(f"{path}:{line_no + 1}", f"file truncated or corrupt: {err}")
            )
    return reader.finish()


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
