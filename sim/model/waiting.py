"""Messages waiting for an agent over time, swept as the queue settles them.

A routed message that was not picked up at once waits from its arrival until it is picked up or
abandoned; the level is the count waiting. Outputs read it at fixed times (hour edges, the ends
of campaign periods: the `probes`) and at its peaks, which come just after arrivals (a leave at
the same instant counts first). Why a sweep: the whole run's arrival and leave times would grow
with the routed messages; the tally gives the arrivals (of settled messages, and of those still
waiting as soon as they wait) and the leaves of settled messages, and every event before the
`frontier` is then known, so the sweep keeps only the events from the frontier on. The level
is an exact count: the same figures as sorting every event of the run.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["WaitingLevels"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class WaitingLevels:
    """Levels at the probes, and the highest level just after an arrival between two probes."""

    def __init__(self, probes: F64) -> None:
        self.probes = probes  # sorted, unique, from 0
        self.level = np.zeros(probes.size, np.int64)  # waiting at each probe (events <= it)
        self.segment_peak = np.zeros(max(probes.size - 1, 1), np.int64)
        self._arrivals = np.zeros(0, np.float64)  # pending: at or after the frontier
        self._leaves = np.zeros(0, np.float64)
        self._arrived = 0  # events already swept
        self._left = 0
        self._probed = 0

    def add(self, arrivals: F64, leaves: F64, frontier: float) -> None:
        """Arrivals of messages that waited and leaves of settled messages (any order).

        Every arrival and leave before `frontier` must have been given by now.
        """
        a = np.sort(np.concatenate([self._arrivals, arrivals]))
        lv = np.sort(np.concatenate([self._leaves, leaves]))
        na = int(np.searchsorted(a, frontier, side="left"))
        nl = int(np.searchsorted(lv, frontier, side="left"))
        done_a, done_l = a[:na], lv[:nl]
        if na:
            after = self._arrived + np.arange(1, na + 1) - self._left
            after -= np.searchsorted(done_l, done_a, side="right")
            seg = np.searchsorted(self.probes, done_a, side="right") - 1
            seg = np.clip(seg, 0, self.segment_peak.size - 1)
            np.maximum.at(self.segment_peak, seg, after)
        p_hi = int(np.searchsorted(self.probes, frontier, side="left"))
        if p_hi > self._probed:
            p = self.probes[self._probed : p_hi]
            self.level[self._probed : p_hi] = (
                self._arrived
                + np.searchsorted(done_a, p, side="right")
                - self._left
                - np.searchsorted(done_l, p, side="right")
            )
            self._probed = p_hi
        self._arrived += na
        self._left += nl
        self._arrivals, self._leaves = a[na:], lv[nl:]

    def index(self, t: float) -> int:
        """Position of probe `t` (it must be one)."""
        i = int(np.searchsorted(self.probes, t))
        if i >= self.probes.size or self.probes[i] != t:
            raise ValueError(f"{t} is not a probe of the waiting levels")
        return i

    def peak(self) -> int:
        """Most messages waiting at once over the run."""
        return int(self.segment_peak.max())

    def peak_within(self, spans: list[tuple[float, float]]) -> int:
        """Most messages waiting at once within spans `[from, to)` whose ends are probes.

        Levels at the ends and just after each arrival inside count, as timeseries.csv's
        `backlog_max`.
        """
        best = 0
        for lo, hi in spans:
            i, j = self.index(lo), self.index(hi)
            inside = int(self.segment_peak[i:j].max()) if j > i else 0
            best = max(best, int(self.level[i]), int(self.level[j]), inside)
        return best

    def hourly(self, hours: int) -> tuple[I64, I64]:
        """Per hour: the level at its end and the most waiting at once within it."""
        edges = np.searchsorted(self.probes, 60.0 * np.arange(hours + 1))
        end = self.level[edges[1:]]
        inside = np.maximum.reduceat(self.segment_peak, edges[:-1]) if hours else end
        peak = np.maximum(np.maximum(self.level[edges[:-1]], end), inside)
        return end.astype(np.int64), peak.astype(np.int64)
