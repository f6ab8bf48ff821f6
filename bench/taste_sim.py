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

from retrieval.models import Paper

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


def summarise(
    runs: list, days: list[date], liked: dict[str, set[str]], share: dict[str, float], papers: int
) -> dict[str, Any]:
    """Per channel and method: mean precision@5 over the first days and after ``AFTER`` days
    of feedback, the ratio to untuned, days to get ahead; plus a Markdown table."""
    base = runs[0].precision
    methods: dict[str, Any] = {}
    rows = [
        "| channel (liked share) | untuned P@5 after 20 d | "
        + " | ".join(f"{r.method} P@5 after 20 d (x untuned) | {r.method} first 5 d vs untuned"
                     f" | {r.method} days to get ahead" for r in runs[1:])
        + " |",
    ]  # fmt: skip
    rows.append("|" + "---|" * (2 + 3 * (len(runs) - 1)))
    per_channel_rows: dict[str, list[str]] = {
        c: [f"{c} ({share[c]:.1%})", f"{_mean(base[c][AFTER:]):.3f}"] for c in base
    }
    for run in runs[1:]:
        channels = {}
        for name, tuned in run.precision.items():
            untuned = base[name]
            after, after_base = _mean(tuned[AFTER:]), _mean(untuned[AFTER:])
            first, first_base = _mean(tuned[:FIRST_DAYS]), _mean(untuned[:FIRST_DAYS])
            ahead = days_to_get_ahead(tuned, untuned)
            worse = sum(
                t < u for t, u in zip(tuned[:FIRST_DAYS], untuned[:FIRST_DAYS], strict=True)
            )
            channels[name] = {
                "p5_after_20_days": after,
                "untuned_p5_after_20_days": after_base,
                "ratio": round(after / after_base, 2) if after_base else None,
                "p5_first_days": first,
                "untuned_p5_first_days": first_base,
                "first_days_worse_than_untuned": worse,
                "days_to_get_ahead": ahead,
            }
            ratio = f"{after / after_base:.1f}x" if after_base else "n/a"
            per_channel_rows[name] += [
                f"{after:.3f} ({ratio})",
                f"{first:.2f} vs {first_base:.2f}",
                str(ahead),
            ]
        mean_after = _mean([c["p5_after_20_days"] for c in channels.values()])
        mean_base = _mean([c["untuned_p5_after_20_days"] for c in channels.values()])
        methods[run.method] = {
            "channels": channels,
            "mean_p5_after_20_days": mean_after,
            "untuned_mean_p5_after_20_days": mean_base,
            "mean_ratio": round(mean_after / mean_base, 2) if mean_base else None,
            "mean_p5_first_days": _mean([c["p5_first_days"] for c in channels.values()]),
            "untuned_mean_p5_first_days": _mean(
                [c["untuned_p5_first_days"] for c in channels.values()]
            ),
            "seconds": round(run.seconds, 1),
            "per_day_p5": run.precision,
        }
    rows += ["| " + " | ".join(cells) + " |" for cells in per_channel_rows.values()]
    best = max(methods, key=lambda m: methods[m]["mean_p5_after_20_days"])
    means = " · ".join(
        f"{m}: mean P@5 after 20 d {v['mean_p5_after_20_days']:.3f} vs untuned "
        f"{v['untuned_mean_p5_after_20_days']:.3f} ({v['mean_ratio']}x); first {FIRST_DAYS} d "
        f"{v['mean_p5_first_days']:.3f} vs {v['untuned_mean_p5_first_days']:.3f}"
        for m, v in methods.items()
    )
    return {
        "days": len(days),
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "papers": papers,
        "reactions": {"up_to_liked": 0.7, "down_to_others": 0.3, "flipped": 0.05},
        "liked_share": share,
        "untuned_per_day_p5": base,
        "methods": {m: {k: v for k, v in d.items()} for m, d in methods.items()},
        "best_method": best,
        "table": "\n".join(rows) + f"\n\n{means}\nbest: {best}",
    }
