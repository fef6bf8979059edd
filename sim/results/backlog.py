"""Messages waiting for an agent over time, from the per-message records.

A routed message that was not picked up at once waits from its arrival until it is picked up
or abandoned; the level is the count waiting. The summary, the hourly rows and the service
levels of a period (sim.results.service_periods) all read it from here.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.model.human_queue import QueueRecords

__all__ = ["Backlog", "area_since"]

F64 = NDArray[np.float64]


def area_since(points: F64, bounds: F64) -> F64:
    """For sorted `points`: sum over points p <= T of (T - p), for each bound T."""
    prefix = np.concatenate([[0.0], np.cumsum(points)])
    k = np.searchsorted(points, bounds, side="right")
    return np.asarray(k * bounds - prefix[k], np.float64)


class Backlog:
    """Messages waiting over time: +1 at arrival (if it waited), -1 when picked up or abandoned."""

    def __init__(self, q: QueueRecords) -> None:
        waited = np.isnan(q.start) | (q.start > q.arrival)
        self.arrivals = q.arrival[waited]  # already sorted: records are in arrival order
        leave = np.fmin(q.start, q.deadline)[waited]
        self.leaves = np.sort(leave[leave <= q.horizon])
        # the level peaks just after arrivals; leaves at the same instant count first
        k = np.arange(1, self.arrivals.size + 1)
        self.after_arrival = k - np.searchsorted(self.leaves, self.arrivals, side="right")

    def level(self, at: F64) -> NDArray[np.int64]:
        """Messages waiting at each time in `at`."""
        arrived = np.searchsorted(self.arrivals, at, side="right")
        return arrived - np.searchsorted(self.leaves, at, side="right")

    def area(self, until: float) -> float:
        """Integral of the level over [0, until]: total minutes spent waiting by then."""
        t = np.asarray([until])
        return float((area_since(self.arrivals, t) - area_since(self.leaves, t))[0])

    def peak(self) -> int:
        """Most messages waiting at once."""
        return int(self.after_arrival.max()) if self.after_arrival.size else 0

    def peak_within(self, spans: list[tuple[float, float]]) -> int:
        """Most messages waiting at once within the spans `[from, to)` (minutes).

        Levels at the edges and just after each arrival inside count: the rule of
        timeseries.csv's hourly `backlog_max`, so an hour-aligned period's peak is the largest
        of its hours'.
        """
        best = 0
        for lo, hi in spans:
            best = max(best, int(self.level(np.asarray([lo, hi], np.float64)).max()))
            a, b = np.searchsorted(self.arrivals, [lo, hi], side="left")
            if b > a:
                best = max(best, int(self.after_arrival[a:b].max()))
        return best
