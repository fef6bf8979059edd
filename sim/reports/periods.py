"""Hourly rows folded into days, for runs too long to read hour by hour.

A 99-day run has 2,376 hours: hourly lines turn into a solid band. Each figure of such a run
shows one value per day, computed from the hourly rows in a way its caption names (a sum, the
worst hour, the median hour, a weighted mean).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from sim.reports.plotting import Times
from sim.reports.run_folder import F64

__all__ = ["HOURLY_UP_TO_DAYS", "hourly_is_readable", "per_day", "with_end"]

HOURLY_UP_TO_DAYS = 3


def hourly_is_readable(times: Times) -> bool:
    """True for runs short enough to draw hour by hour."""
    return times.size <= 24 * HOURLY_UP_TO_DAYS


def _day_starts(times: Times) -> tuple[Times, np.ndarray]:
    days = times.astype("datetime64[D]")
    first = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    return days[first].astype("datetime64[s]"), first


def per_day(
    times: Times,
    values: F64,
    how: Literal["sum", "max", "median", "weighted"] = "sum",
    weights: F64 | None = None,
) -> tuple[Times, F64]:
    """One value per calendar day from hourly values.

    Args:
        times: hour starts, in order.
        values: one value per hour; NaN = no data that hour.
        how: `sum` (NaN as 0), `max` / `median` over the hours with data, `weighted` mean with
            `weights` over the hours with data (e.g. a share weighted by messages).
        weights: per-hour weights for `weighted`.

    Returns:
        Day starts and one value per day (NaN when no hour of the day had data).
    """
    days, first = _day_starts(times)
    if how == "sum":
        return days, np.add.reduceat(np.nan_to_num(values), first)
    out = np.full(days.size, np.nan)
    bounds = np.r_[first, times.size]
    for d in range(days.size):
        v = values[bounds[d] : bounds[d + 1]]
        ok = ~np.isnan(v)
        if not ok.any():
            continue
        if how == "max":
            out[d] = v[ok].max()
        elif how == "median":
            out[d] = float(np.median(v[ok]))
        else:
            assert weights is not None, "weighted needs weights"
            w = np.nan_to_num(weights[bounds[d] : bounds[d + 1]])[ok]
            out[d] = float((v[ok] * w).sum() / w.sum()) if w.sum() > 0 else np.nan
    return days, out


def with_end(times: Times, values: F64) -> tuple[Times, F64]:
    """Steps drawn to the end of the last period (an hour or a day, from the spacing)."""
    step = times[1] - times[0] if times.size > 1 else np.timedelta64(1, "h")
    return np.r_[times, times[-1:] + step], np.r_[values, values[-1:]]
