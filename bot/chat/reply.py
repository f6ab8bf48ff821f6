"""The neutral request and reply that every platform adapter translates to and from.

Adapters turn a platform event into a :class:`ChatRequest`, hand it to the command router and
render the :class:`Reply` it returns (Block Kit, embeds, terminal). Nothing here is platform
specific.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from retrieval.models import Paper, listing_day

ReplyKind = Literal["results", "digest", "help", "info", "error"]
ActionKind = Literal["more", "similar", "feedback"]


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One thing a user asked, stripped of platform detail.

    ``text`` is what the user typed with the bot mention / slash-command name removed, e.g.
    ``"fast FFT-based attention papers"``, ``"similar 2105.03824"``, ``"digest"``, ``"help"``.
    ``is_admin`` is decided by the adapter from platform permissions (workspace admin, Manage
    Channels, a configured role or allow-list) and gates digest-plan changes. ``thread_id`` is
    the thread the answer goes to (Slack's thread ``ts``), "" when there is none; with the
    channel and user it names the conversation whose latest answer a typed ``more`` pages.
    """

    text: str
    platform: str = "cli"
    channel_id: str = "cli"
    user_id: str = "cli"
    is_admin: bool = False
    thread_id: str = ""


@dataclass(frozen=True, slots=True)
class ReplyItem:
    """One paper in a reply."""

    paper_id: str
    title: str
    url: str
    authors: tuple[str, ...] = ()
    date: str | None = None
    upvotes: int | None = None
    snippet: str = ""
    why: str = ""
    score: float | None = None

    @classmethod
    def listed(
        cls, paper: Paper, day: date, snippet: str, why: str, score: float | None = None
    ) -> ReplyItem:
        """A paper of a daily list (digest, recommendation, alert): its first three authors and
        the day it was listed (else published, else ``day``)."""
        return cls(
            paper_id=paper.id,
            title=paper.title,
            url=paper.link,
            authors=paper.authors[:3],
            date=(listing_day(paper) or day).isoformat(),
            upvotes=paper.upvotes,
            snippet=snippet,
            why=why,
            score=score,
        )


@dataclass(frozen=True, slots=True)
class Action:
    """A button under a reply. ``command`` is text the router understands when pressed
    (``"more 3f9a1c"``, ``"similar 2105.03824"``, ``"feedback up 3f9a1c"``); it is at most
    100 characters so it fits Discord's ``custom_id`` and Slack's button ``value``."""

    kind: ActionKind
    label: str
    command: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot answers: a title, numbered paper items, free text, a footer and buttons."""

    title: str
    items: tuple[ReplyItem, ...] = ()
    text: str = ""
    footer: str = ""
    actions: tuple[Action, ...] = ()
    kind: ReplyKind = "results"
    first_rank: int = 1
    paper_ids: tuple[str, ...] = field(default=())

    def to_text(self) -> str:
        """Plain-text rendering: the fallback for notifications, terminals and tests."""
        lines = [self.title]
        if self.text:
            lines += ["", self.text]
        for number, item in enumerate(self.items, start=self.first_rank):
            meta = [m for m in (item.date, _upvotes(item.upvotes)) if m]
            lines.append("")
            lines.append(f"{number}. {item.title}" + (f" ({', '.join(meta)})" if meta else ""))
            lines.append(f"   {item.url}")
            if item.snippet:
                lines.append(f"   {item.snippet}")
            if item.why:
                lines.append(f"   why: {item.why}")
        if self.footer:
            lines += ["", self.footer]
        return "\n".join(lines)


def _upvotes(upvotes: int | None) -> str:
    return "" if upvotes is None else f"{upvotes} upvote" + ("" if upvotes == 1 else "s")
