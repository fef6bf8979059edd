"""Response times in whole seconds: a mergeable histogram with exact counts and bounded quantiles.

Why: a year of a large account routes tens of millions of messages to agents; keeping every wait
to take a percentile at the end makes memory grow with them. A histogram of 1-second bins grows
with the range of the times instead, merges by adding counts (periods, classes and channels
combine in any order), and answers `numpy.quantile`'s default (linear interpolation between the
two order statistics around rank `p * (n - 1)`) with each order statistic read at the midpoint of
its bin. A time in bin [k, k + 1) s is off by at most half a second there, and so is any
interpolation between two such values: `ERROR_MINUTES` is the bound. A time of exactly 0 (a
message picked up on arrival, the common case) has a bin of its own (-1) and is read as 0.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

__all__ = ["ERROR_MINUTES", "SecondHistogram"]

ERROR_MINUTES = 0.5 / 60.0
"""Largest difference between a quantile of the histogram and the exact one (half a second)."""

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


class SecondHistogram:
    """Counts of times (given in minutes) per whole second, stored sparse and sorted."""

    __slots__ = ("bins", "counts")

    def __init__(self, bins: I64 | None = None, counts: I64 | None = None) -> None:
        self.bins: I64 = np.zeros(0, np.int64) if bins is None else bins
        self.counts: I64 = np.zeros(0, np.int64) if counts is None else counts

    @property
    def count(self) -> int:
        """How many times were added."""
        return int(self.counts.sum())

    def add(self, minutes: F64, weights: I64 | None = None) -> None:
        """Add times (minutes, >= 0), each `weights` times (default once)."""
        if minutes.size == 0:
            return
        m = np.asarray(minutes, np.float64)
        seconds = np.where(m > 0, np.floor(m * 60.0), -1.0).astype(np.int64)
        w = np.ones(seconds.size, np.int64) if weights is None else weights.astype(np.int64)
        self._absorb(np.concatenate([self.bins, seconds]), np.concatenate([self.counts, w]))

    def _absorb(self, bins: I64, counts: I64) -> None:
        unique, inverse = np.unique(bins, return_inverse=True)
        self.bins = unique.astype(np.int64)
        self.counts = np.bincount(inverse, weights=counts, minlength=unique.size).astype(np.int64)

    @classmethod
    def merged(cls, parts: Iterable[SecondHistogram]) -> SecondHistogram:
        """One histogram holding every count of `parts`."""
        out = cls()
        parts = list(parts)
        if parts:
            out._absorb(
                np.concatenate([p.bins for p in parts]), np.concatenate([p.counts for p in parts])
            )
        return out

    def quantile(self, p: float) -> float:
        """The p-quantile in minutes (NaN when empty), within `ERROR_MINUTES` of the exact one."""
        n = self.count
        if n == 0:
            return float("nan")
        position = p * (n - 1)
        lo = int(np.floor(position))
        hi = min(lo + 1, n - 1)
        cum = np.cumsum(self.counts)
        ranks = np.searchsorted(cum, np.asarray([lo, hi]), side="right")
        bins = self.bins[ranks]
        a, b = np.where(bins < 0, 0.0, (bins + 0.5) / 60.0).tolist()
        t = position - lo
        return float(a + (b - a) * t)
