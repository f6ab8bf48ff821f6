"""Papers as Chroma records: the metadata a :class:`~retrieval.models.Paper` is stored with, and
the Paper rebuilt from a record (Chroma metadata holds no None, so absent numbers are -1).

Reading never fails on a bad stored value (a count out of range, a float, text, an impossible
date, as an older version could store): the value is read as absent, so one record cannot stop
every question. :func:`bad_fields` names such values for a warning."""

from __future__ import annotations

from datetime import date
from typing import Any

from retrieval.limits import count_in_range
from retrieval.models import Paper

_NONE_INT = -1


def day_to_yyyymmdd(day: date | None) -> int:
    """``date(2024, 3, 5)`` -> ``20240305``, the form dates are stored in (and Chroma ``where``
    filters compare); ``None`` -> ``-1``."""
    return day.year * 10000 + day.month * 100 + day.day if day else _NONE_INT


def yyyymmdd_to_day(value: Any) -> date | None:
    """``20240305`` -> ``date(2024, 3, 5)``; anything that is not a valid yyyymmdd int (``-1``,
    a missing field, ``20241399``, a float) -> ``None``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 99991231:
        return None
    try:
        return date(value // 10000, value // 100 % 100, value % 100)
    except ValueError:
        return None


def stored_count(value: Any) -> int | None:
    """A stored count (upvotes, comments, stars) or ``None``: absent (``-1``) and bad values
    (out of range, not an int) alike."""
    return value if count_in_range(value) else None


_COUNTS = ("upvotes", "comments", "github_stars")
_DAYS = ("published", "list_date")


def bad_fields(meta: dict[str, Any]) -> list[str]:
    """``name=value`` for each stored count or date that cannot be read (and is read as absent)."""
    bad = [
        f"{k}={meta[k]!r}"
        for k in _COUNTS
        if meta.get(k, _NONE_INT) != _NONE_INT and stored_count(meta[k]) is None
    ]
    bad += [
        f"{k}={meta[k]!r}"
        for k in _DAYS
        if meta.get(k, _NONE_INT) != _NONE_INT and yyyymmdd_to_day(meta[k]) is None
    ]
    return bad


def _count_to_store(value: int | None) -> int:
    """A count as stored: ``-1`` when absent or out of range (the sources already skip such
    records; this keeps any other caller from storing a value no reader can hold)."""
    return value if count_in_range(value) else _NONE_INT


def paper_metadata(paper: Paper) -> dict[str, Any]:
    """Chroma metadata for a paper (Chroma forbids None, so absent numbers are -1; so are
    counts out of range)."""
    return {
        "title": paper.title,
        "url": paper.url,
        "authors": "; ".join(paper.authors),
        "published": day_to_yyyymmdd(paper.published),
        "list_date": day_to_yyyymmdd(paper.list_date),
        "upvotes": _count_to_store(paper.upvotes),
        "comments": _count_to_store(paper.comments),
        "github_stars": _count_to_store(paper.github_stars),
        "ai_summary": paper.ai_summary,
        "source": paper.source,
        "text_hash": paper.text_hash,
    }


def paper_from_record(paper_id: str, meta: dict[str, Any], document: str | None) -> Paper:
    """Rebuild a Paper from a Chroma record (document = abstract)."""
    authors = tuple(a for a in str(meta.get("authors", "")).split("; ") if a)
    return Paper(
        id=paper_id,
        title=str(meta.get("title", "")),
        abstract=document or "",
        url=str(meta.get("url", "")),
        authors=authors,
        published=yyyymmdd_to_day(meta.get("published")),
        upvotes=stored_count(meta.get("upvotes")),
        comments=stored_count(meta.get("comments")),
        github_stars=stored_count(meta.get("github_stars")),
        ai_summary=str(meta.get("ai_summary", "")),
        list_date=yyyymmdd_to_day(meta.get("list_date")),
        source=str(meta.get("source", "")),
    )
