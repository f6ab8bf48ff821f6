"""Replay benchmark of channel taste: does 👍/👎 feedback make each channel's digest better?

The recorded Hugging Face days (``../shared/data/hf_daily_papers``, 2025-06 .. 2026-08) arrive
one list day at a time. Each simulated channel has a hidden interest (a few topic descriptions
and keywords; a paper is "liked" when its cosine to one description passes a threshold, or its
title has a keyword) that the recommender never sees. Every day each channel gets its digest
from the real composition path (``DigestService.compose`` -> ``select_digest`` with the
channel's ``TasteBook``), and reacts through the real button path
(``bot.chat.feedback.record_button_feedback`` into a throw-away state database): 👍 to a liked
item (70 %), 👎 to a share of the rest (30 %), 5 % of the reactions flipped. The untuned
trending digest of the same days is composed by the same service without a taste.

Output: per channel and day precision@5 of both, per method (Rocchio, logistic), a summary
table on stdout and ``bench/results/taste_replay.json``.

    python bench/taste_replay.py [--days N] [--methods rocchio,logistic]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.taste_data import CACHE, ROOT, load_papers, load_vectors  # noqa: E402
from bench.taste_sim import CHANNELS, Channel, liked_ids, oracle_p5, summarise  # noqa: E402
from bot.chat.feedback import record_button_feedback  # noqa: E402
from bot.chat.reply import ChatRequest  # noqa: E402
from bot.digest.plans import PlanBook  # noqa: E402
from bot.digest.service import DigestService  # noqa: E402
from bot.settings import ChannelPlan, DigestSettings  # noqa: E402
from bot.store.db import StateDB  # noqa: E402
from bot.store.ledger import DigestLedger  # noqa: E402
from bot.store.plans import ChannelPlans  # noqa: E402
from bot.store.sources import SourceHealth  # noqa: E402
from bot.store.state import BotState  # noqa: E402
from bot.taste.book import TasteBook  # noqa: E402
from bot.taste.votes import TasteVotes  # noqa: E402
from retrieval.digest import MemoryDigestIndex  # noqa: E402
from retrieval.models import Paper, listing_day  # noqa: E402

OUT = ROOT / "bench" / "results" / "taste_replay.json"
UP, DOWN, FLIP = 0.7, 0.3, 0.05


@dataclass
class Run:
    """One replay of every channel with one learner (or none: ``method`` "trending")."""

    method: str
    precision: dict[str, list[float]]
    seconds: float


def _index(papers: list[Paper], vectors: dict[str, np.ndarray]) -> MemoryDigestIndex:
    by_text = {p.text: vectors[p.id] for p in papers}
    return MemoryDigestIndex(papers, embed=lambda texts: np.stack([by_text[t] for t in texts]))


def replay(
    method: str,
    papers: list[Paper],
    vectors: dict[str, np.ndarray],
    days: list[date],
    liked: dict[str, set[str]],
    seed: int = 7,
) -> Run:
    """Replay ``days`` for every channel; ``method`` "trending" = no taste (the baseline)."""
    started = time.perf_counter()
    index = _index(papers, vectors)
    precision: dict[str, list[float]] = {c.name: [] for c in CHANNELS}
    with tempfile.TemporaryDirectory() as tmp:
        db = StateDB.open(Path(tmp) / "state.sqlite3")
        state, clock = BotState(db), [datetime(2025, 6, 2, tzinfo=UTC)]
        book = None
        if method != "trending":
            book = TasteBook(
                TasteVotes(db), index, index.vectors, lambda: clock[0].date(), method=method
            )
        plans = [
            ChannelPlan(name=c.name, platform="slack", channel_id=c.name, count=5) for c in CHANNELS
        ]
        service = DigestService(
            index,
            DigestLedger(db),
            DigestSettings(plans=plans),
            PlanBook(plans, ChannelPlans(db)),
            SourceHealth(db),
            lambda: clock[0],
            taste=book,
        )
        rng = random.Random(seed)
        for day in days:
            clock[0] = datetime(day.year, day.month, day.day, 9, tzinfo=UTC)
            for plan in plans:
                digest, _reply = service.compose(plan, day, clock[0])
                shown = [item.paper.id for item in digest.items]
                hits = sum(pid in liked[plan.name] for pid in shown)
                precision[plan.name].append(hits / 5)
                _react(state, plan.name, shown, liked[plan.name], rng)
        db.close()
    return Run(method, precision, time.perf_counter() - started)


def _react(state: BotState, channel: str, shown: list[str], liked: set[str], rng) -> None:
    """The channel's members press 👍/👎 under some items (the per-paper buttons)."""
    for pid in shown:
        likes = pid in liked
        if rng.random() < FLIP:
            likes = not likes
        chance = UP if likes else DOWN
        if rng.random() < chance:
            request = ChatRequest("", platform="slack", channel_id=channel, user_id="member")
            record_button_feedback(state, request, f"{'up' if likes else 'down'} paper {pid}")


def main(argv: list[str] | None = None) -> dict:
    """Run the replay and write the results; returns them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=0, help="first N list days only (0: all)")
    parser.add_argument("--methods", default="rocchio,logistic")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    papers = load_papers()
    vectors = load_vectors(papers)
    papers = [p for p in papers if p.id in vectors]
    days = sorted({d for p in papers if (d := listing_day(p))})
    days = days[: args.days] if args.days else days
    liked, thresholds = liked_ids(papers, vectors, CACHE)
    runs = [replay("trending", papers, vectors, days, liked)]
    runs += [replay(m, papers, vectors, days, liked) for m in args.methods.split(",")]
    oracle = {c.name: oracle_p5(papers, days, liked[c.name]) for c in CHANNELS}
    report = summarise(runs, days, oracle, thresholds, len(papers))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(report["table"])
    print(f"\nwritten {args.out}")
    return report


__all__ = ["Channel", "main", "replay"]

if __name__ == "__main__":
    main()
