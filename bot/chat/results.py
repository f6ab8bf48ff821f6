"""Search results -> a neutral :class:`Reply`: items, paging, and the honest "nothing" answers
(nothing really matches; nothing in the dates asked for, and how old the library is)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from bot.chat.reply import Action, Reply, ReplyItem
from retrieval.evidence import nothing_matches
from retrieval.models import Hit, SearchResult
from retrieval.query import describe_filters

STALE_DAYS = 7


@dataclass(frozen=True, slots=True)
class Asked:
    """What the user asked, as the reply should name it."""

    question: str  # the text to run again for the next page
    label: str = ""  # how the title names it, when not the question's own words
    platform: str = "cli"


def title_for(asked: Asked, result: SearchResult) -> str:
    """ "Papers like “X”", "Papers for “question”" plus the filters in brackets."""
    query = result.query
    if result.anchor is not None:
        title = f"Papers like “{result.anchor.title}”"
    elif asked.label:
        title = f"Papers like {asked.label}"
    else:
        title = f"Papers for “{query.text or asked.question}”"
    filters = describe_filters(replace(query, similar_to=None))
    return f"{title} ({filters})" if filters else title


def empty_reply(asked: Asked, result: SearchResult, newest: date | None, today: date) -> Reply:
    """No hits: say so, and when a date filter found nothing in an old library, how old it is."""
    query = result.query
    filters = describe_filters(query)
    parts = ["No papers matched" + (f" {filters}" if filters else "") + ".", *query.notes]
    if query.has_date_filter and newest is not None and (today - newest).days > STALE_DAYS:
        parts.append(
            f"My newest paper is from {newest.isoformat()} ({(today - newest).days} days ago). "
            "An admin can refresh the library with "
            f"`paperboy ingest hf --since {(newest + timedelta(days=1)).isoformat()}`."
        )
    return Reply(title=title_for(asked, result), text=" ".join(parts), kind="results")


def no_match_reply(asked: Asked, result: SearchResult) -> Reply | None:
    """A "nothing really matches" reply when the best paper is far from the question (first page
    of a text search only), else None."""
    query = result.query
    if result.anchor is not None or query.offset or not query.text or not result.hits:
        return None
    if not nothing_matches(query.text, result.best_similarity, result.hits[0].paper):
        return None
    return Reply(
        title=title_for(asked, result),
        text=(
            "Nothing in my library really matches that. Try other words for the topic, a paper "
            'title in quotes (`papers like "FNet: Mixing Tokens with Fourier Transforms"`) or '
            "an arXiv id (`similar 2607.27230`)."
        ),
        kind="results",
    )


def results_reply(asked: Asked, result: SearchResult, token: str, hints: str) -> Reply:
    """A page of results with paging, "similar" and feedback buttons; ``token`` pages it and
    ``hints`` (the footer's tail) says what to type next."""
    query = result.query
    ids = [h.paper.id for h in result.hits]
    actions = []
    if result.has_more:
        actions.append(Action("more", "More results", f"more {token}"))
    actions.append(Action("similar", "Similar to #1", f"similar {ids[0]}"))
    actions.append(Action("feedback", "👍", f"feedback up {token}"))
    actions.append(Action("feedback", "👎", f"feedback down {token}"))
    shown = f"{query.offset + 1}-{query.offset + len(result.hits)}"
    return Reply(
        title=title_for(asked, result),
        items=tuple(to_item(hit) for hit in result.hits),
        text=" ".join(query.notes),
        footer=f"Results {shown} · {hints}",
        actions=tuple(actions),
        first_rank=query.offset + 1,
        paper_ids=tuple(ids),
    )


def to_item(hit: Hit) -> ReplyItem:
    """A search hit as a neutral reply item."""
    paper = hit.paper
    day = paper.published or paper.list_date
    return ReplyItem(
        paper_id=paper.id,
        title=paper.title,
        url=paper.link,
        authors=paper.authors,
        date=day.isoformat() if day else None,
        upvotes=paper.upvotes,
        snippet=hit.snippet,
        score=round(hit.score, 4),
    )
