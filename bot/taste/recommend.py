"""``recommend``: papers from the recent lists this channel is likely to like, each with its
reason, and a line on how much feedback that rests on. With no feedback, a friendly word on how
to give some, and the trending papers meanwhile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from bot.chat.reply import Action, Reply, ReplyItem
from bot.digest.render import vote_actions
from bot.taste.book import RecentPapers, TasteBook
from bot.taste.votes import VoteSummary
from retrieval.digest import LIKED_WHY, one_line_summary
from retrieval.models import Paper
from retrieval.taste import ChannelTaste
from retrieval.trending import explain, trending_score

MIN_WEIGHT = 0.75  # asked for recommendations, the taste leads as soon as there is one
COLD_TEXT = (
    "I don't know this channel's taste yet: nobody has rated papers here. React 👍 or 👎 to "
    "papers in my answers and digests (or use the 👍/👎 buttons, or “Similar”), and "
    "`recommend` will learn from it. Meanwhile, here are the trending papers of the last "
    "{days} days."
)


class Recommender:
    """Builds the ``recommend`` reply of a channel from its :class:`TasteBook`."""

    def __init__(
        self,
        book: TasteBook,
        papers: RecentPapers,
        today: Callable[[], date],
        lookup: Callable[[str], Paper | None] = lambda _id: None,
        *,
        days: int = 14,
        count: int = 5,
    ) -> None:
        self.book = book
        self.papers = papers
        self.today = today
        self.lookup = lookup
        self.days = days
        self.count = count

    def recommend(self, platform: str, channel_id: str) -> Reply:
        """The channel's recommendations (or the trending papers when it has no taste yet)."""
        today = self.today()
        now = datetime.combine(today, time(23, 59), tzinfo=UTC)
        model, summary = self.book.model(platform, channel_id)
        rated = set(model.liked)
        pool = self.papers.papers_between(today - timedelta(days=self.days), today)
        candidates = {p.id: p for p in pool if p.id not in rated}
        scores = {pid: trending_score(p, now) for pid, p in candidates.items()}
        order = sorted(candidates, key=lambda pid: (scores[pid].score, pid), reverse=True)
        liked: dict[str, str] = {}
        if not model.cold:
            boosted = ChannelTaste(
                replace(model, weight=max(model.weight, MIN_WEIGHT)), self.book.vectors
            )
            order, liked = boosted.rerank(order)
        items = tuple(
            self._item(
                candidates[pid], explain(candidates[pid], scores[pid], today), liked.get(pid)
            )
            for pid in order[: self.count]
        )
        return self._reply(items, summary, cold=model.cold)

    def _item(self, paper: Paper, trending: str, near: str | None) -> ReplyItem:
        why = trending
        if near is not None:
            title = getattr(self.lookup(near), "title", "")
            liked = f"{LIKED_WHY} (like “{title[:80]}”)" if title else LIKED_WHY
            why = f"{liked}; {trending}"
        return ReplyItem.listed(paper, self.today(), one_line_summary(paper), why)

    def _reply(self, items: tuple[ReplyItem, ...], summary: VoteSummary, cold: bool) -> Reply:
        if cold:
            title, text = "Trending papers (no taste yet)", COLD_TEXT.format(days=self.days)
        else:
            title = "Recommended for this channel"
            text = (
                f"Based on {summary.describe()}: papers from the last {self.days} days' lists "
                "closest to what this channel liked, blended with what is trending."
            )
        if not items:
            text += f" No papers were listed in the last {self.days} days."
        actions = tuple(
            Action("similar", f"Similar to #{n}", f"similar {item.paper_id}")
            for n, item in enumerate(items, start=1)
        ) + vote_actions(items)
        return Reply(
            title=title,
            items=items,
            text=text,
            footer="👍/👎 on a paper teaches me this channel's taste.",
            actions=actions,
            kind="results",
            paper_ids=tuple(item.paper_id for item in items),
        )
