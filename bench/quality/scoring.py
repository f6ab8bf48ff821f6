"""Running a ranker over queries and averaging per-query metrics."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Sequence

from bench.quality.metrics import mean


def run_all(
    rank: Callable[[dict], list[str]], queries: Sequence[dict]
) -> tuple[list[list[str]], float]:
    """Rank every query; returns the rankings and the median wall time per query in ms."""
    rankings, clock = [], []
    for query in queries:
        started = time.perf_counter()
        rankings.append(rank(query))
        clock.append((time.perf_counter() - started) * 1000)
    return rankings, round(statistics.median(clock), 1) if clock else 0.0


def averages(scores: dict[str, dict[str, float]], qids: Iterable[str] | None = None) -> dict:
    """Mean of each metric over ``qids`` (all queries when None), with the query count."""
    chosen = [scores[q] for q in (scores if qids is None else qids) if q in scores]
    names = list(chosen[0]) if chosen else []
    return {"queries": len(chosen), **{n: mean([c[n] for c in chosen]) for n in names}}
