"""Sane bounds on what one paper may hold, applied where records are read.

A record over a size limit is kept, shortened, with a warning naming it: a 10 MB abstract would
otherwise be embedded, indexed and scanned for snippets on every question that surfaces it.
A count out of range (negative, or beyond :data:`MAX_COUNT`) is a bad record, never stored:
Chroma keeps integers past 64 bits as floats that no numpy column can hold.

=================  ===============  =================================================
field              limit            over the limit
=================  ===============  =================================================
``title``          1,000 chars      cut at a word, with "…"
``abstract``       20,000 chars     cut at a word, with "…"
``ai_summary``     5,000 chars      cut at a word, with "…"
``url``            2,000 chars      dropped (a cut URL is a wrong link)
``authors``        200 names        the first 200 kept
each author name   300 chars        cut at a word, with "…"
``id``             200 chars        the record is skipped
counts             0..1,000,000,000 the record is skipped (upvotes, comments, stars)
=================  ===============  =================================================
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeGuard

from retrieval.models import Paper
from retrieval.text import shorten

MAX_TITLE = 1_000
MAX_ABSTRACT = 20_000
MAX_SUMMARY = 5_000
MAX_URL = 2_000
MAX_AUTHORS = 200
MAX_AUTHOR_NAME = 300
MAX_ID = 200
MAX_COUNT = 1_000_000_000


def count_in_range(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an int count a paper can hold (0..MAX_COUNT; bools are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def clip_paper(paper: Paper) -> tuple[Paper, list[str]]:
    """``paper`` within the size limits, and one sentence per field that had to be shortened."""
    changes: dict[str, object] = {}
    notes: list[str] = []
    for name, limit in (("title", MAX_TITLE), ("abstract", MAX_ABSTRACT)):
        value = getattr(paper, name)
        if len(value) > limit:
            changes[name] = shorten(value, limit)
            notes.append(f"{name} of {len(value):,} characters cut to {limit:,}")
    if len(paper.ai_summary) > MAX_SUMMARY:
        changes["ai_summary"] = shorten(paper.ai_summary, MAX_SUMMARY)
        notes.append(f"ai_summary of {len(paper.ai_summary):,} characters cut to {MAX_SUMMARY:,}")
    if len(paper.url) > MAX_URL:
        changes["url"] = ""
        notes.append(f"url of {len(paper.url):,} characters dropped (limit {MAX_URL:,})")
    authors = paper.authors
    if len(authors) > MAX_AUTHORS:
        notes.append(f"{len(authors):,} authors cut to the first {MAX_AUTHORS}")
        authors = authors[:MAX_AUTHORS]
    if any(len(a) > MAX_AUTHOR_NAME for a in authors):
        notes.append(f"author names over {MAX_AUTHOR_NAME} characters cut")
        authors = tuple(shorten(a, MAX_AUTHOR_NAME) for a in authors)
    if authors != paper.authors:
        changes["authors"] = authors
    return (replace(paper, **changes) if changes else paper), notes  # type: ignore[arg-type]
