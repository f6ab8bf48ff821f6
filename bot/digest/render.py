"""A selected digest -> the neutral :class:`~bot.chat.reply.Reply` every platform renders
(also the quiet-day reply when nothing qualified), with notes on how fresh the data is."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.chat.reply import Action, Reply, ReplyItem
from bot.settings import ChannelPlan
from bot.store.sources import SourceStatus
from retrieval.digest import Digest

FOOTER = "Ask me: @Paperboy <question> or /papers similar <id>"


def day_label(d: date) -> str:
    """``Wed 19 Aug 2026``."""
    return d.strftime("%a %d %b %Y")


def freshness_notes(digest: Digest, source: SourceStatus | None) -> list[str]:
    """Say when the paper source could not be refreshed, and when the latest list is older
    than the digest's day."""
    notes = []
    if source is not None and source.failing:
        as_of = (
            datetime.fromtimestamp(source.last_ok, UTC).strftime("%a %d %b %H:%M UTC")
            if source.last_ok
            else f"the list of {day_label(digest.list_day)}"
            if digest.list_day
            else "an unknown time"
        )
        notes.append(f"Paper sources could not be refreshed just now; data as of {as_of}.")
    if digest.list_day is not None and digest.list_day < digest.day:
        notes.append(f"Latest list available: {day_label(digest.list_day)}.")
    return notes


def _summary(digest: Digest, topic: str) -> str:
    about = f' matching "{topic}"' if topic else ""
    if digest.quiet:
        where = f"the list of {day_label(digest.list_day)}" if digest.list_day else "recent lists"
        return f"Quiet day: no new papers{about} on {where}."
    text = (
        f"Top {len(digest.items)} of {digest.candidates} papers{about} on the Hugging "
        f"Face daily list, by upvotes, comments and GitHub stars weighed against age."
    )
    bare = sum(i.trending.basis == "relevance" for i in digest.items)
    if bare:
        how = "relevance to the topic and recency" if topic else "recency"
        whom = "these papers" if bare == len(digest.items) else f"{bare} of these papers"
        text += (
            f" No popularity signal (upvotes, comments, stars) is known for {whom} "
            f"(arXiv-only), so they are ranked by {how}."
        )
    return text


def vote_actions(items: tuple[ReplyItem, ...], first: int = 1) -> tuple[Action, ...]:
    """👍/👎 buttons for each of the first five papers: a vote on one paper, which teaches the
    channel's taste (see :mod:`bot.taste.votes`)."""
    return tuple(
        Action("feedback", f"{emoji} #{n}", f"feedback {way} paper {item.paper_id}")
        for n, item in enumerate(items[:5], start=first)
        for emoji, way in (("👍", "up"), ("👎", "down"))
    )


def render_digest(digest: Digest, plan: ChannelPlan, source: SourceStatus | None) -> Reply:
    """The neutral digest Reply of ``plan``; ``source`` is the health of its paper source."""
    topic = plan.topic.strip()
    title = f"Trending papers — {day_label(digest.day)}" + (f" · {topic}" if topic else "")
    text = " ".join([_summary(digest, topic), *freshness_notes(digest, source)])
    items = tuple(
        ReplyItem.listed(i.paper, digest.day, i.summary, i.why, round(i.trending.score, 4))
        for i in digest.items
    )
    actions = tuple(
        Action("similar", f"Similar to #{n}", f"similar {item.paper_id}")
        for n, item in enumerate(items[:5], start=1)
    ) + vote_actions(items)
    return Reply(
        title=title,
        items=items,
        text=text,
        footer=FOOTER,
        actions=actions,
        kind="digest",
        paper_ids=tuple(item.paper_id for item in items),
    )
