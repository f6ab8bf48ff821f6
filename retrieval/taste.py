"""Channel taste: a linear preference over paper vectors, learnt from a channel's ratings.

Pure math over unit vectors (no settings, no chat platforms, no state database). A channel's
👍/👎 and "Similar" clicks arrive as :class:`Rating` s (a paper id and a signed weight); the
learner fits a direction ``w`` in the embedding space and scores a paper by ``x · w``.

Two learners, chosen by measurement in ``bench/taste_replay.py`` (see bench/README.md):

- ``rocchio``: ``w = mean(liked) - beta * mean(disliked) - gamma * mean(background)``;
- ``logistic``: L2-regularised logistic regression, rated papers against random recent papers
  as weak negatives (arxiv-sanity's per-user SVM, with a logistic loss).

The taste never overrides trending on little evidence: :func:`blend_weight` grows with the
number of votes, and :func:`blend` mixes the two orders by rank, so a channel with no ratings
gets exactly the trending order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Method = Literal["rocchio", "logistic"]
DEFAULT_METHOD: Method = "logistic"
CLOSE_TO_LIKED = 0.45  # cosine at which a paper is "close to papers this channel liked"


@dataclass(frozen=True, slots=True)
class Rating:
    """One signal on one paper: ``weight`` > 0 liked (👍 1.0, a "Similar" click 0.5, a vote on
    a whole message spread over its papers), < 0 disliked."""

    paper_id: str
    weight: float


@dataclass(frozen=True, slots=True)
class TasteModel:
    """A fitted preference: ``direction`` (None = no taste yet), the liked papers' vectors (for
    "close to papers this channel liked") and how much evidence it rests on."""

    direction: np.ndarray | None = None
    liked: Mapping[str, np.ndarray] = field(default_factory=dict)
    likes: int = 0
    dislikes: int = 0
    weight: float = 0.0

    @property
    def cold(self) -> bool:
        """True when there is nothing to re-rank with (trending order stands)."""
        return self.direction is None or self.weight <= 0.0

    def score(self, vectors: Mapping[str, np.ndarray]) -> dict[str, float]:
        """``x · w`` per paper id (empty for a cold model)."""
        if self.direction is None:
            return {}
        return {pid: float(np.asarray(vec) @ self.direction) for pid, vec in vectors.items()}

    def closest_liked(self, vector: np.ndarray) -> tuple[str, float] | None:
        """The liked paper nearest to ``vector`` and its cosine, or None when none is liked."""
        if not self.liked:
            return None
        ids = list(self.liked)
        sims = np.stack([self.liked[i] for i in ids]) @ np.asarray(vector)
        best = int(np.argmax(sims))
        return ids[best], float(sims[best])


def blend_weight(votes: float, half: float = 6.0, cap: float = 0.9) -> float:
    """How much the taste counts against trending after ``votes`` ratings: 0 with none,
    ``cap / 2`` at ``half`` votes, approaching ``cap``."""
    votes = max(0.0, votes)
    return cap * votes / (votes + half)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _rocchio(
    pos: np.ndarray, pos_w: np.ndarray, neg: np.ndarray, neg_w: np.ndarray, background: np.ndarray
) -> np.ndarray:
    direction = (pos_w[:, None] * pos).sum(0) / pos_w.sum()
    if len(neg):
        direction = direction - 0.5 * (neg_w[:, None] * neg).sum(0) / neg_w.sum()
    if len(background):
        direction = direction - 0.25 * background.mean(0)
    return _unit(direction)


def _logistic(
    pos: np.ndarray,
    pos_w: np.ndarray,
    neg: np.ndarray,
    neg_w: np.ndarray,
    background: np.ndarray,
    l2: float = 0.01,
    steps: int = 300,
) -> np.ndarray:
    """Weighted logistic regression by full-batch gradient descent (a few hundred rows), the
    classes balanced: liked papers weigh 1 in all, disliked ones 1/2, the background the rest."""
    x = np.concatenate([pos, neg, background]).astype(np.float64)
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg) + len(background))])
    neg_share = 0.5 if len(neg) and len(background) else 1.0
    sample_w = np.concatenate(
        [
            pos_w / pos_w.sum(),
            neg_w / neg_w.sum() * neg_share if len(neg) else neg_w,
            np.full(
                len(background), (1.0 - neg_share if len(neg) else 1.0) / max(1, len(background))
            ),
        ]
    )
    sample_w = sample_w / sample_w.sum()
    w, b = np.zeros(x.shape[1]), 0.0
    rate = 4.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        error = sample_w * (p - y)
        w -= rate * (x.T @ error + l2 * w)
        b -= rate * error.sum()
    return _unit(w)


def fit_taste(
    ratings: Sequence[Rating],
    vectors: Mapping[str, np.ndarray],
    background: np.ndarray | None = None,
    method: Method = DEFAULT_METHOD,
) -> TasteModel:
    """Fit a channel's taste from its ratings (votes on one paper are summed first).

    ``vectors`` maps paper ids to unit vectors (ratings of papers without one are skipped);
    ``background`` holds vectors of random recent papers (weak negatives). With no liked paper
    the model is cold: dislikes alone do not re-rank.
    """
    net: dict[str, float] = {}
    for rating in ratings:
        if rating.paper_id in vectors:
            net[rating.paper_id] = net.get(rating.paper_id, 0.0) + rating.weight
    liked = {pid: np.asarray(vectors[pid], dtype=np.float64) for pid, w in net.items() if w > 0}
    disliked = [pid for pid, w in net.items() if w < 0]
    likes = sum(1 for r in ratings if r.weight > 0)
    dislikes = sum(1 for r in ratings if r.weight < 0)
    if not liked:
        return TasteModel(likes=likes, dislikes=dislikes)
    pos = np.stack(list(liked.values()))
    pos_w = np.array([net[pid] for pid in liked])
    dim = pos.shape[1]
    neg = np.stack([vectors[pid] for pid in disliked]) if disliked else np.zeros((0, dim))
    neg_w = np.array([-net[pid] for pid in disliked])
    back = np.zeros((0, dim)) if background is None else np.asarray(background, dtype=np.float64)
    fit: Callable[..., np.ndarray] = _logistic if method == "logistic" else _rocchio
    direction = fit(pos, pos_w, neg, neg_w, back)
    evidence = sum(abs(w) for w in net.values())
    return TasteModel(direction, liked, likes, dislikes, blend_weight(evidence))


def _percentiles(order: Sequence[str]) -> dict[str, float]:
    """1.0 for the first id, 0.0 for the last."""
    n = len(order)
    return {pid: 1.0 - (i / (n - 1) if n > 1 else 0.0) for i, pid in enumerate(order)}


def blend(trending_order: Sequence[str], taste: Mapping[str, float], weight: float) -> list[str]:
    """``trending_order`` re-ranked by ``(1 - weight) * trending + weight * taste``: trending as
    the rank percentile among these papers (1.0 first, 0.0 last), taste scaled to 0..1 among
    them; ties keep the trending order. ``weight`` 0 or no taste scores: the trending order."""
    if weight <= 0 or not taste:
        return list(trending_order)
    trend = _percentiles(trending_order)
    raw = [taste.get(pid) for pid in trending_order]
    known = [s for s in raw if s is not None]
    low, high = min(known, default=0.0), max(known, default=0.0)
    span = high - low
    liked = {
        pid: ((s - low) / span if span > 0 else 0.0) if s is not None else 0.0
        for pid, s in zip(trending_order, raw, strict=True)
    }
    position = {pid: i for i, pid in enumerate(trending_order)}
    return sorted(
        trending_order,
        key=lambda pid: (-((1 - weight) * trend[pid] + weight * liked[pid]), position[pid]),
    )


@dataclass(frozen=True, slots=True)
class ChannelTaste:
    """A channel's fitted model with the way to fetch paper vectors: what digest selection
    (:func:`retrieval.digest.select_digest`) and ``recommend`` re-rank with."""

    model: TasteModel
    vectors: Callable[[Sequence[str]], Mapping[str, np.ndarray]]

    def rerank(self, trending_order: Sequence[str]) -> tuple[list[str], dict[str, str]]:
        """``trending_order`` blended with the taste, and for each paper close to one the
        channel liked, that liked paper's id (the "why")."""
        if self.model.cold or not trending_order:
            return list(trending_order), {}
        vectors = self.vectors(list(trending_order))
        order = blend(trending_order, self.model.score(vectors), self.model.weight)
        notes: dict[str, str] = {}
        for pid, vector in vectors.items():
            nearest = self.model.closest_liked(vector)
            if nearest is not None and nearest[0] != pid and nearest[1] >= CLOSE_TO_LIKED:
                notes[pid] = nearest[0]
        return order, notes
