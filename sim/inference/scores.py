"""Scores of probabilistic forecasts against what happened: CRPS, interval coverage, MdAPE.

CRPS from samples uses the energy form, CRPS = E|X - y| - E|X - X'| / 2, with the pairwise
term computed from the sorted sample in O(n log n); for a point forecast it is the absolute
error, which is how the naive baselines are scored on the same scale.

Quantiles of a forecast's samples are read at the plotting position p(n + 1) (Hyndman & Fan's
type 6, numpy's "weibull"): the k-th smallest of n samples sits on average at the k/(n + 1)
quantile of the distribution they come from, so an interval between those positions covers a
new outcome at its nominal rate whatever n. numpy's default (type 7) puts it at (k - 1)/(n - 1):
with 50 samples its 95% interval covers 91% on average, its 80% one 77% (measured by the
simulation-based calibration, docs/inference.md).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "LEVELS",
    "central_interval",
    "covered",
    "crps",
    "mdape",
    "pit",
    "predictive_quantile",
]

F64 = NDArray[np.float64]
LEVELS = (0.5, 0.8, 0.95)


def crps(samples: ArrayLike, observed: ArrayLike) -> F64:
    """CRPS of each forecast: `samples` (..., n) against `observed` (...); lower is better."""
    x = np.sort(np.asarray(samples, np.float64), axis=-1)
    y = np.asarray(observed, np.float64)
    n = x.shape[-1]
    spread = np.abs(x - y[..., None]).mean(axis=-1)
    coef = (2.0 * np.arange(1, n + 1) - n - 1) / (n * n)
    out: F64 = spread - (x * coef).sum(axis=-1)
    return out


def predictive_quantile(samples: ArrayLike, q: ArrayLike, axis: int = -1) -> F64:
    """Quantiles `q` of samples along `axis`, at the plotting position p(n + 1) (see above).

    Beyond the outermost positions (p < 1/(n + 1)) the extreme sample is the estimate: too few
    samples for that quantile, and the interval then covers less than its level.
    """
    levels = np.asarray(q, np.float64)
    out: F64 = np.quantile(np.asarray(samples, np.float64), levels, axis=axis, method="weibull")
    return out


def central_interval(samples: ArrayLike, level: float) -> tuple[F64, F64]:
    """The central `level` interval of each forecast's samples (..., n)."""
    lo, hi = predictive_quantile(samples, [(1 - level) / 2, (1 + level) / 2])
    return lo, hi


def covered(samples: ArrayLike, observed: ArrayLike, level: float) -> F64:
    """1.0 where the observation lies in the central `level` interval, else 0.0."""
    lo, hi = central_interval(samples, level)
    y = np.asarray(observed, np.float64)
    return ((y >= lo) & (y <= hi)).astype(np.float64)


def pit(samples: ArrayLike, observed: float) -> float:
    """Where the observation falls in the forecast: (below + ties / 2 + 1/2) / (n + 1).

    The probability integral transform at the same plotting position as the quantiles: uniform
    on (0, 1) when the observation and the n samples are exchangeable, so it says on which side
    an interval missed (near 0: the forecast was too high; near 1: too low).
    """
    x = np.asarray(samples, np.float64)
    below = float((x < observed).sum())
    ties = float((x == observed).sum())
    return (below + ties / 2 + 0.5) / (x.size + 1)


def mdape(predicted: ArrayLike, observed: ArrayLike) -> float:
    """Median absolute percentage error over observations that are not zero (NaN if none)."""
    p, y = np.asarray(predicted, np.float64), np.asarray(observed, np.float64)
    keep = y != 0
    if not keep.any():
        return float("nan")
    return float(np.median(np.abs(p[keep] - y[keep]) / np.abs(y[keep])) * 100)
