"""Re-ordering relevance candidates for "newest" and "trending" questions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from retrieval.models import Order, Paper, publication_day


def order_candidates(
    ranked: list[tuple[str, float]], papers: dict[str, Paper], order: Order, today: date
) -> list[tuple[str, float]]:
    """Re-order ``ranked`` (id, relevance) by date or trending score; relevance breaks ties.

    For "trending", a paper with a popularity signal (upvotes, comments, stars) always comes
    before one without: the score of a paper with no signal is only its recency, which must
    never outrank a paper people actually voted for."""
    if order == "relevance":
        return ranked
    present = [(pid, score) for pid, score in ranked if pid in papers]
    if order == "newest":
        return sorted(
            present,
            key=lambda item: (publication_day(papers[item[0]]) or date.min, item[1]),
            reverse=True,
        )
    from retrieval.trending import trending_score

    now = datetime.combine(today, time(12), tzinfo=UTC)
    scored = [
        (papers[pid].has_popularity, trending_score(papers[pid], now).score, pid)
        for pid, _ in present
    ]
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(pid, score) for _, score, pid in scored]
