"""Re-ordering relevance candidates for "newest" and "trending" questions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from retrieval.models import Order, Paper, publication_day


def order_candidates(
    ranked: list[tuple[str, float]], papers: dict[str, Paper], order: Order, today: date
) -> list[tuple[str, float]]:
    """Re-order ``ranked`` (id, relevance) by date or trending score; relevance breaks ties."""
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
    scored = [(pid, trending_score(papers[pid], now).score) for pid, _ in present]
    return sorted(scored, key=lambda item: item[1], reverse=True)
