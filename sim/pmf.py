"""Binomial and negative-binomial probabilities that stay finite for every probability in [0, 1].

SciPy 1.17's `binom.pmf` and `nbinom.pmf` raise OverflowError (Boost's `ibeta_derivative`) for
probabilities near the smallest normal double (about 5.6e-309 to 1.6e-305, the range widening
with n), which a scenario may legitimately state. Below `TINY` the log-space form here is used
instead (relative error about n x 1e-15 from the log-gamma differences, exact at k = 0); above
it SciPy's own values are returned unchanged, so outputs for a seed stay what they were.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

__all__ = ["TINY", "binomial_pmf", "negative_binomial_pmf"]

TINY = 1e-250


def binomial_pmf(k: ArrayLike, n: int, p: float) -> NDArray[np.float64]:
    """P(Binomial(n, p) = k) for each k (0 outside 0..n)."""
    if p >= TINY:
        return np.asarray(stats.binom.pmf(k, n, p), np.float64)
    kk = np.asarray(k, np.float64)
    inside = (kk >= 0) & (kk <= n)
    kc = np.where(inside, kk, 0.0)
    log = (
        special.gammaln(n + 1.0) - special.gammaln(kc + 1.0) - special.gammaln(n - kc + 1.0)
        + special.xlogy(kc, p) + special.xlog1py(n - kc, -p)
    )  # fmt: skip
    return np.where(inside, np.exp(log), 0.0)


def negative_binomial_pmf(k: ArrayLike, n: int, p: float) -> NDArray[np.float64]:
    """P(k failures before the n-th success), success probability p (SciPy's `nbinom`)."""
    if p >= TINY:
        return np.asarray(stats.nbinom.pmf(k, n, p), np.float64)
    kk = np.asarray(k, np.float64)
    inside = kk >= 0
    kc = np.where(inside, kk, 0.0)
    log = (
        special.gammaln(kc + n) - special.gammaln(kc + 1.0) - special.gammaln(float(n))
        + special.xlogy(n, p) + special.xlog1py(kc, -p)
    )  # fmt: skip
    return np.where(inside, np.exp(log), 0.0)
