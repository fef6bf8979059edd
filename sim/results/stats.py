"""Summary statistics over replications."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["mean_ci95"]


def mean_ci95(values: Sequence[float]) -> tuple[float, float]:
    """Student-t 95% confidence interval of the mean (a point when there is one value)."""
    x = np.asarray(values, np.float64)
    if x.size < 2:
        return (float(x.mean()), float(x.mean()))
    half = float(stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return (float(x.mean()) - half, float(x.mean()) + half)
