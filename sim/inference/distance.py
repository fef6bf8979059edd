"""Summary statistics and the distance between a simulated account and the observed one.

Statistics: weekly totals of new follows, of unfollows and, where the history gives them
(`follows_<source>` columns), of follows by source over the history, on a log(1 + x)
scale (weeks smooth the day-to-day Poisson noise; the log makes a 10% miss count the same at
100 and at 10,000 a week), each past campaign's reported figures (`sim.inference.event_stats`,
log(1 + x)), and each sparse fact's figure at its date. History statistics are scaled by their
spread across the first generation's simulations (the median absolute deviation, as adaptive
distances do), as are events, facts by their stated tolerance; the distance is the root mean
square of the scaled differences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.inference.data import SOURCE_PREFIX, History
from sim.inference.event_stats import EventTarget, figure_total
from sim.inference.events import SHARE_PREFIX, Fact
from sim.inference.simulator import Trajectory

__all__ = ["WEEK", "Observed", "distance", "mad_scales"]

F64 = NDArray[np.float64]
WEEK = 7


def _weekly(x: NDArray[np.int64]) -> F64:
    """Totals of consecutive 7-day blocks (the last one may be shorter), log(1 + x)."""
    starts = np.arange(0, len(x), WEEK)
    return np.log1p(np.add.reduceat(x.astype(np.float64), starts)) if len(x) else np.zeros(0)


def _fact_value(traj: Trajectory, day: int, metric: str) -> float:
    if metric.startswith(SHARE_PREFIX):  # fans by source: counted at the last day only
        by_source = traj.fans_by_source or {}
        total = sum(by_source.values())
        mine = by_source.get(metric.removeprefix(SHARE_PREFIX), 0)
        return mine / total if total else 0.0
    series = {
        "new_follows": traj.follows,
        "unfollows": traj.unfollows,
        "net_follows": traj.net,
        "cumulative_follows": traj.fans,
        "messages": traj.messages,
        "messages_to_humans": traj.to_humans,
    }[metric]
    assert series is not None, "message facts need the whole model (Simulator.whole)"
    return float(series[day])


@dataclass(frozen=True)
class Observed:
    """What a fit is matched to: a history and/or facts, placed on the scenario's days."""

    start: dt.date  # the scenario's first day
    history: History | None
    facts: tuple[Fact, ...] = ()
    events: tuple[EventTarget, ...] = ()  # past campaigns' reported figures

    @property
    def offset(self) -> int:
        """Scenario day of the history's first row."""
        return 0 if self.history is None else (self.history.start - self.start).days

    @property
    def last_day(self) -> int:
        """Last scenario day the data speak about (a fit simulates up to it)."""
        days = [(f.date - self.start).days for f in self.facts]
        days += [e.last_day for e in self.events]
        if self.history is not None:
            days.append(self.offset + len(self.history.dates) - 1)
        return max(days)

    @property
    def sources(self) -> tuple[str, ...]:
        """Sources whose follows the history gives (`follows_<source>` columns)."""
        extra = {} if self.history is None else self.history.extra
        return tuple(k.removeprefix(SOURCE_PREFIX) for k in extra if k.startswith(SOURCE_PREFIX))

    def _series(self, traj: Trajectory) -> list[NDArray[np.int64]]:
        assert self.history is not None
        lo, hi = self.offset, self.offset + len(self.history.dates)
        zero = np.zeros(len(traj.follows), np.int64)
        by_source = [traj.follows_by_source.get(s, zero) for s in self.sources]
        return [x[lo:hi] for x in (traj.follows, traj.unfollows, *by_source)]

    def stats(self, traj: Trajectory) -> F64:
        """The simulated account's statistics, in the order of `observed_stats`."""
        parts = []
        if self.history is not None:
            parts += [_weekly(x) for x in self._series(traj)]
        if self.events:
            runs = traj.campaigns
            assert runs is not None, "event figures need the whole model (Simulator.whole)"
            totals = [figure_total(runs.get(e.campaign), e.figure, e.last_day) for e in self.events]
            parts.append(np.log1p(np.asarray(totals, np.float64)))
        facts = [_fact_value(traj, (f.date - self.start).days, f.metric) for f in self.facts]
        parts.append(np.asarray(facts, np.float64))
        return np.concatenate(parts)

    def observed_stats(self) -> F64:
        """The data's statistics."""
        parts = []
        if self.history is not None:
            h = self.history
            by_source = [h.extra[SOURCE_PREFIX + s] for s in self.sources]
            parts += [_weekly(x) for x in (h.new_follows, h.unfollows, *by_source)]
        if self.events:
            parts.append(np.log1p(np.asarray([e.value for e in self.events], np.float64)))
        parts.append(np.asarray([f.value for f in self.facts], np.float64))
        return np.concatenate(parts)

    def fixed_scales(self) -> F64:
        """Scales that do not adapt (facts' tolerances); NaN where `mad_scales` decides."""
        h = self.history
        n = 0 if h is None else (2 + len(self.sources)) * len(_weekly(h.new_follows))
        n += len(self.events)  # events scale as the history does
        return np.concatenate([np.full(n, np.nan), [f.tolerance for f in self.facts]])


def mad_scales(simulated: F64, fixed: F64) -> F64:
    """Per statistic: the fixed scale where given, else the MAD across simulations (floored)."""
    med = np.median(simulated, axis=0)
    mad = 1.4826 * np.median(np.abs(simulated - med), axis=0)
    floor = 0.01  # a statistic that never varies (e.g. zero unfollows) must not divide by zero
    return np.where(np.isnan(fixed), np.maximum(mad, floor), fixed)


def distance(stats: F64, observed: F64, scales: F64) -> F64:
    """Root mean square of scaled differences; one row of `stats` per simulation."""
    out: F64 = np.sqrt(np.mean(((stats - observed) / scales) ** 2, axis=-1))
    return out
