"""The simulation search: the fewest agents per interval, in time order, backlog carried.

Interval h's agents are fixed at the fewest that meet the target (and the abandonment cap) for
the messages arriving in h, given the agents already fixed for 0..h-1 and so the backlog they
leave, pooled over R replications of the same sampled traffic (common random numbers). A
candidate c is judged by serving every message that arrives before end(h) + target with the
fixed agents, then c agents from start(h) on until every message is answered or abandoned.
Messages of earlier intervals still undecided at start(h) (those of the last `target` minutes)
must keep meeting the target too, so a thin interval cannot spoil its predecessor's answers.

Candidates are tried upward from a floor: the occupancy cap's floor and level x load x
D / (D + T) (fewer agents cannot do that share of the interval's work within the interval and
the target time). Taking the first candidate that meets the target, rather than bisecting, keeps
the answer "the fewest at or above the floor" even where the service level is not monotone in
the agents (priorities and abandonment can make it so), and makes the properties tested in
tests/staffing/test_search.py hold by construction.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model.human_queue import HumanQueue, QueueRecords
from sim.model.roster import StaffSchedule
from sim.staffing.requirements import Grid, occupancy_floor
from sim.staffing.targets import Policy

__all__ = [
    "IntervalOutcomes",
    "IntervalSearch",
    "SearchResult",
    "count_outcomes",
    "level_schedule",
    "search",
    "serve_levels",
    "useful_maximum",
    "work_floor",
]

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class IntervalOutcomes:
    """Per replication (rows) and interval (columns): arrivals, met the target, abandoned."""

    arrived: I64
    met: I64
    abandoned: I64

    def pooled(self, j: int) -> tuple[float, float]:
        """Service level and abandoned share of column `j`, pooled over replications."""
        n = int(self.arrived[:, j].sum())
        if n == 0:
            return float("nan"), float("nan")
        return int(self.met[:, j].sum()) / n, int(self.abandoned[:, j].sum()) / n

    def per_replication(self, j: int) -> tuple[float, ...]:
        """Service level of column `j` in each replication that had arrivals there."""
        n, met = self.arrived[:, j], self.met[:, j]
        return tuple(float(m / a) for m, a in zip(met, n, strict=True) if a > 0)

    def meets(self, j: int, policy: Policy) -> bool:
        """Whether column `j` meets the target and the cap (an empty column always does)."""
        level, abandoned = self.pooled(j)
        if math.isnan(level):
            return True
        cap = policy.max_abandon
        return level >= policy.target.level and (cap is None or abandoned <= cap)


@dataclass(frozen=True)
class IntervalSearch:
    """What the search found for one interval."""

    agents: int  # on the phones
    floor: int  # where the search started
    met: bool  # False: nothing up to the useful maximum met the target, or agents were fixed
    service_level: float  # pooled, at `agents`
    abandoned: float
    per_replication: tuple[float, ...]  # service level of each replication at `agents`
    below: tuple[float, ...]  # ... at agents - 1 when that was tried (empty otherwise)


@dataclass(frozen=True)
class SearchResult:
    """Agents per interval and how each was found."""

    intervals: tuple[IntervalSearch, ...]

    @property
    def agents(self) -> tuple[int, ...]:
        """On-phone agents per interval."""
        return tuple(i.agents for i in self.intervals)


def level_schedule(grid: Grid, levels: Sequence[int]) -> StaffSchedule:
    """Interval levels as a step function; the last level continues past the horizon."""
    return StaffSchedule(tuple(grid.start(h) for h in range(len(levels))), tuple(levels))


def serve_levels(
    records: Sequence[QueueRecords],
    grid: Grid,
    levels: Sequence[int],
    target_minutes: float,
    until: float = math.inf,
    first: int = 0,
) -> IntervalOutcomes:
    """Serve each replication's messages arriving before `until` with `levels` per interval.

    Runs until every offered message is answered or abandoned; returns the outcomes of
    intervals `first` .. len(levels) - 1.
    """
    schedule = level_schedule(grid, levels)
    cols = len(levels) - first
    arrived = np.zeros((len(records), cols), np.int64)
    met, abandoned = np.zeros_like(arrived), np.zeros_like(arrived)
    for r, q in enumerate(records):
        k = int(np.searchsorted(q.arrival, until, "left"))
        queue = HumanQueue(schedule)
        queue.offer(q.arrival[:k], q.priority[:k], q.handle[:k], q.deadline[:k])
        queue.advance(math.inf)
        start = queue.records().start
        arrived[r], met[r], abandoned[r] = count_outcomes(
            grid, q.arrival[:k], start, target_minutes, first, cols
        )
    return IntervalOutcomes(arrived, met, abandoned)


def count_outcomes(
    grid: Grid,
    arrival: NDArray[np.float64],
    start: NDArray[np.float64],
    target_minutes: float,
    first: int,
    cols: int,
    keep: NDArray[np.bool_] | None = None,
) -> tuple[I64, I64, I64]:
    """Per interval `first` .. `first + cols - 1`: arrivals, picked up in the target, abandoned.

    `keep` selects the messages counted (default all).
    """
    col = grid.index(arrival) - first
    k = (col >= 0) & (col < cols)
    if keep is not None:
        k &= keep
    with np.errstate(invalid="ignore"):
        ok = start - arrival <= target_minutes
    return (
        np.bincount(col[k], minlength=cols)[:cols],
        np.bincount(col[k & ok], minlength=cols)[:cols],
        np.bincount(col[k & np.isnan(start)], minlength=cols)[:cols],
    )


def work_floor(
    records: Sequence[QueueRecords],
    grid: Grid,
    h: int,
    policy: Policy,
    only: Callable[[QueueRecords], NDArray[np.bool_]] | None = None,
) -> int:
    """Where the search starts in interval `h`.

    Level x load x D / (D + T), or the occupancy floor if higher; `only` selects the messages
    counted (default all).
    """
    lo, hi = grid.start(h), grid.start(h + 1)
    work = 0.0
    for q in records:
        a, b = np.searchsorted(q.arrival, [lo, hi], "left")
        handle = q.handle[a:b] if only is None else q.handle[a:b][only(q)[a:b]]
        work += float(handle.sum())
    load = work / (len(records) * grid.minutes)
    t = policy.target
    throughput = math.floor(t.level * load * grid.minutes / (grid.minutes + t.minutes))
    return max(throughput, occupancy_floor(load, policy))


def useful_maximum(
    records: Sequence[QueueRecords],
    until: float,
    only: Callable[[QueueRecords], NDArray[np.bool_]] | None = None,
) -> int:
    """Agents beyond which more cannot help: one per message offered so far."""
    if only is None:
        return max(int(np.searchsorted(q.arrival, until, "left")) for q in records)
    return max(int(only(q)[: np.searchsorted(q.arrival, until, "left")].sum()) for q in records)


def search(
    records: Sequence[QueueRecords],
    grid: Grid,
    policy: Policy,
    fixed: Mapping[int, int] | None = None,
    searched: Callable[[int], None] | None = None,
) -> SearchResult:
    """Fewest on-phone agents per interval, in time order with the backlog carried.

    `records` are the routed messages of each replication (e.g. `Traffic.records`);
    intervals in `fixed` get the agents given there and no target of their own: {h: 0} closes
    an interval (its messages wait for the next open one, which is how a night without agents
    raises the morning's requirement). `searched(h)` is told after each interval (progress).
    """
    fixed = fixed or {}
    t = policy.target
    back = math.ceil(t.minutes / grid.minutes)  # earlier intervals still undecided at start(h)
    levels: list[int] = []
    found: list[IntervalSearch] = []
    for h in range(grid.intervals):
        until = grid.start(h + 1) + t.minutes
        if h in fixed:
            given = fixed[h]
            out = serve_levels(records, grid, [*levels, given], t.minutes, until, h)
            level, abandoned = out.pooled(0)
            per_rep = out.per_replication(0)
            found.append(IntervalSearch(given, given, False, level, abandoned, per_rep, ()))
            levels.append(given)
            if searched is not None:
                searched(h + 1)
            continue
        first = max(0, h - back)
        judged = [j for j in range(first, h) if j not in fixed and found[j].met] + [h]
        c = work_floor(records, grid, h, policy)
        floor = c
        ceiling = max(floor, useful_maximum(records, until))
        below: tuple[float, ...] = ()
        while True:
            out = serve_levels(records, grid, [*levels, c], t.minutes, until, first)
            ok = all(out.meets(j - first, policy) for j in judged)
            if ok or c >= ceiling:
                break
            below = out.per_replication(h - first)
            c += 1
        level, abandoned = out.pooled(h - first)
        per_rep = out.per_replication(h - first)
        found.append(IntervalSearch(c, floor, ok, level, abandoned, per_rep, below))
        levels.append(c)
        if searched is not None:
            searched(h + 1)
    return SearchResult(tuple(found))
