"""Summary statistics shared by the benchmark scripts."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentiles_ms(samples_ms: Sequence[float], digits: int) -> dict[str, float]:
    """``{"p50_ms": ..., "p95_ms": ...}`` of millisecond samples (numpy's linear
    interpolation), rounded to ``digits`` decimals."""
    return {f"p{q}_ms": round(float(np.percentile(samples_ms, q)), digits) for q in (50, 95)}
