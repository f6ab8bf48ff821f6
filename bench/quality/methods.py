"""The ranking methods the quality benchmark compares, and per-question wins and losses.

A method is a search ``mode`` plus, for hybrid search, a :class:`retrieval.fusion.Fusion`:

* ``dense``: cosine of the whole paper only; ``lexical``: BM25 only;
* ``hybrid-rrf``: the hybrid search as it was before the sentence signal (plain reciprocal rank
  fusion, equal weights);
* ``hybrid``: the shipped fusion (:data:`retrieval.fusion.SHIPPED`).

Variants for tuning are written ``maxsim=0.5,depth=50,cov=1,lex=1,k=60`` (``--variant``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

from retrieval.fusion import SHIPPED, TODAY, Fusion

BASELINE = "hybrid-rrf"
_KEYS = {
    "maxsim": "maxsim",
    "cov": "coverage_power",
    "lex": "lexical_weight",
    "floor": "dense_floor",
}


@dataclass(frozen=True)
class Method:
    """One way of ranking: the search mode and, for hybrid, the fusion."""

    name: str
    mode: str
    fusion: Fusion | None = None


METHODS = {
    "dense": Method("dense", "dense"),
    "lexical": Method("lexical", "lexical"),
    BASELINE: Method(BASELINE, "hybrid", TODAY),
    "hybrid": Method("hybrid", "hybrid", SHIPPED),
}


def parse_variant(text: str) -> Method:
    """A hybrid method from ``key=value`` pairs over the shipped fusion (see module doc)."""
    fusion = SHIPPED
    for pair in text.split(","):
        key, _, value = pair.partition("=")
        if key == "k":
            fusion = replace(fusion, k=int(value))
        elif key == "lexpool":
            fusion = replace(fusion, lexical_pool=bool(int(value)))
        elif key == "depth":
            fusion = replace(fusion, depth=int(value))
        elif key in _KEYS:
            fusion = replace(fusion, **{_KEYS[key]: float(value)})
        else:
            raise ValueError(f"unknown fusion setting {key!r} in {text!r}")
    return Method(text, "hybrid", fusion)


def methods(names: Sequence[str], variants: Sequence[str] = ()) -> list[Method]:
    """The named methods followed by the variants."""
    return [METHODS[n] for n in names] + [parse_variant(v) for v in variants]


@contextmanager
def using(index, method: Method) -> Iterator[str]:
    """Set ``index``'s fusion for ``method`` while the block runs; yields the search mode."""
    before = index.fusion
    if method.fusion is not None:
        index.fusion = method.fusion
    try:
        yield method.mode
    finally:
        index.fusion = before


def wins_losses(
    scores: Mapping[str, float], baseline: Mapping[str, float], margin: float = 0.005
) -> dict[str, object]:
    """Per question: better / worse than ``baseline`` by more than ``margin``, or tied."""
    wins = sorted(q for q in scores if scores[q] > baseline.get(q, 0.0) + margin)
    losses = sorted(q for q in scores if scores[q] < baseline.get(q, 0.0) - margin)
    return {
        "wins": len(wins),
        "losses": len(losses),
        "ties": len(scores) - len(wins) - len(losses),
        "won": wins,
        "lost": losses,
    }
