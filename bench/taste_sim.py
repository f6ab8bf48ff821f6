"""The simulated channels of the taste replay (hidden interests) and the report of a replay.

A channel "likes" a paper when its cosine to one of the channel's topic descriptions is at
least ``threshold``, or its title has one of the channel's keywords (word start, any case).
The recommender never sees any of this: it only sees the 👍/👎 the simulation presses.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.models import Paper, listing_day

FIRST_DAYS = 5  # "never worse than untuned in the first days"
AFTER = 20  # "after 20 days of feedback"


@dataclass(frozen=True)
class Channel:
    """A hidden interest: topic descriptions, title keywords and the cosine threshold."""

    name: str
    topics: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    threshold: float = 0.45


CHANNELS = (
    Channel(
        "robotics",
        ("robot manipulation and grasping", "embodied agents that navigate homes",
         "vision-language-action models controlling robots"),
        ("robot", "embodied"),
    ),
    Channel(
        "video-gen",
        ("video generation with diffusion models", "text-to-video synthesis",
         "editing and animating videos"),
        ("video",),
    ),
    Channel(
        "llm-reasoning",
        ("reinforcement learning to improve reasoning of large language models",
         "chain-of-thought mathematical reasoning", "reward models for RLHF"),
        ("reasoning",),
    ),
    Channel(
        "speech-audio",
        ("speech recognition and text-to-speech", "music and audio generation",
         "spoken dialogue models"),
        ("speech", "audio", "music"),
    ),
    Channel(
        "3d-vision",
        ("3D reconstruction with Gaussian splatting", "novel view synthesis of 3D scenes",
         "3D object and scene generation"),
        ("3D", "Gaussian splatting"),
    ),
    Channel(
        "efficient-llm",
        ("quantization and pruning for efficient LLM inference",
         "KV cache compression and sparse attention for long context",
         "speculative decoding to speed up generation"),
        ("quantization", "KV cache", "speculative"),
    ),
)  # fmt: skip


def _topic_vectors(texts: list[str], cache: Path) -> dict[str, np.ndarray]:
    file = cache / "taste_topics.json"
    known: dict[str, list[float]] = json.loads(file.read_text()) if file.exists() else {}
    missing = [t for t in texts if t not in known]
    if missing:
        from retrieval.embed import SentenceTransformerEmbedder

        for text, vector in zip(
            missing, SentenceTransformerEmbedder().encode(missing), strict=True
        ):
            known[text] = [float(x) for x in vector]
        cache.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(known))
    return {t: np.asarray(known[t], dtype=np.float32) for t in texts}


def liked_ids(
    papers: list[Paper], vectors: dict[str, np.ndarray], cache: Path
) -> tuple[dict[str, set[str]], dict[str, float]]:
    """Each channel's hidden set of liked paper ids, and the share of papers it likes."""
    topics = _topic_vectors([t for c in CHANNELS for t in c.topics], cache)
    ids = [p.id for p in papers]
    matrix = np.stack([vectors[i] for i in ids])
    liked: dict[str, set[str]] = {}
    for channel in CHANNELS:
        best = (matrix @ np.stack([topics[t] for t in channel.topics]).T).max(axis=1)
        chosen = {pid for pid, cos in zip(ids, best, strict=True) if cos >= channel.threshold}
        pattern = re.compile(
            "|".join(rf"(?<!\w){re.escape(k)}" for k in channel.keywords), re.IGNORECASE
        )
        chosen |= {p.id for p in papers if channel.keywords and pattern.search(p.title)}
        liked[channel.name] = chosen
    share = {name: round(len(ids_) / len(papers), 4) for name, ids_ in liked.items()}
    return liked, share


def _mean(values: list[float]) -> float:
    return round(statistics.mean(values), 4) if values else 0.0


def days_to_get_ahead(tuned: list[float], untuned: list[float], window: int = 10) -> int | None:
    """The first day (1-based) from which the tuned digest's mean precision@5 over the next
    ``window`` days beats the untuned one's; None if it never does."""
    for start in range(len(tuned) - window + 1):
        if _mean(tuned[start : start + window]) > _mean(untuned[start : start + window]):
            return start + 1
    return None


def oracle_p5(papers: list[Paper], days: list[date], liked: set[str]) -> list[float]:
    """The best precision@5 any digest of each day could reach (the day's liked papers)."""
    by_day: dict[date, int] = {}
    for paper in papers:
        if (day := listing_day(paper)) is not None and paper.id in liked:
            by_day[day] = by_day.get(day, 0) + 1
    return [min(5, by_day.get(day, 0)) / 5 for day in days]


def _channel(tuned: list[float], untuned: list[float], best: list[float]) -> dict[str, Any]:
    window = slice(AFTER, AFTER + 20)
    return {
        "p5_after_20_days": _mean(tuned[AFTER:]),
        "untuned_p5_after_20_days": _mean(untuned[AFTER:]),
        "oracle_p5_after_20_days": _mean(best[AFTER:]),
        "p5_days_21_40": _mean(tuned[window]),
        "untuned_p5_days_21_40": _mean(untuned[window]),
        "oracle_p5_days_21_40": _mean(best[window]),
        "p5_first_days": _mean(tuned[:FIRST_DAYS]),
        "untuned_p5_first_days": _mean(untuned[:FIRST_DAYS]),
        "first_days_worse_than_untuned": sum(
            t < u for t, u in zip(tuned[:FIRST_DAYS], untuned[:FIRST_DAYS], strict=True)
        ),
        "days_to_get_ahead": days_to_get_ahead(tuned, untuned),
    }


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def summarise(
    runs: list, days: list[date], oracle: dict[str, list[float]], share: dict[str, float],
    papers: int,
) -> dict[str, Any]:  # fmt: skip
    """Per channel and method: mean precision@5 in the first days, in days 21-40 and on every
    day after ``AFTER`` days of feedback, against untuned and the oracle; plus a table."""
    base = runs[0].precision
    methods: dict[str, Any] = {}
    for run in runs[1:]:
        channels = {n: _channel(run.precision[n], base[n], oracle[n]) for n in run.precision}
        totals = {
            key: _mean([c[key] for c in channels.values()])
            for key in next(iter(channels.values()))
            if key.startswith(("p5", "untuned", "oracle"))
        }
        methods[run.method] = {
            "channels": channels,
            "mean": totals,
            "ratio_after_20_days": _ratio(
                totals["p5_after_20_days"], totals["untuned_p5_after_20_days"]
            ),
            "ratio_days_21_40": _ratio(totals["p5_days_21_40"], totals["untuned_p5_days_21_40"]),
            "seconds": round(run.seconds, 1),
            "per_day_p5": run.precision,
        }
    best = max(methods, key=lambda m: methods[m]["mean"]["p5_after_20_days"])
    return {
        "days": len(days),
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "papers": papers,
        "reactions": {"up_to_liked": 0.7, "down_to_others": 0.3, "flipped": 0.05},
        "liked_share": share,
        "untuned_per_day_p5": base,
        "oracle_per_day_p5": oracle,
        "methods": methods,
        "best_method": best,
        "table": _table(methods, share, best),
    }


def _table(methods: dict[str, Any], share: dict[str, float], best: str) -> str:
    names = list(methods)
    head = (
        "| channel (liked share) | untuned | "
        + " | ".join(f"{m}{' (chosen)' if m == best else ''}" for m in names)
        + " | oracle | days 21-40: untuned / tuned / oracle | first 5 days: untuned / tuned |"
    )
    rows = [head, "|" + "---|" * (len(names) + 5)]

    def line(label: str, values: dict[str, dict[str, float]]) -> str:
        b = values[best]
        cells = [label, f"{b['untuned_p5_after_20_days']:.3f}"]
        cells += [
            f"{values[m]['p5_after_20_days']:.3f} "
            f"({_ratio(values[m]['p5_after_20_days'], b['untuned_p5_after_20_days'])}x)"
            for m in names
        ]
        cells += [
            f"{b['oracle_p5_after_20_days']:.3f}",
            f"{b['untuned_p5_days_21_40']:.3f} / {b['p5_days_21_40']:.3f} / "
            f"{b['oracle_p5_days_21_40']:.3f}",
            f"{b['untuned_p5_first_days']:.2f} / {b['p5_first_days']:.2f}",
        ]
        return "| " + " | ".join(cells) + " |"

    for name in share:
        rows.append(
            line(f"{name} ({share[name]:.1%})", {m: methods[m]["channels"][name] for m in names})
        )
    rows.append(line("**mean of 6**", {m: methods[m]["mean"] for m in names}))
    return "\n".join(rows)
