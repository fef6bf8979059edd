"""Agents per interval from closed forms, and the planners' caps (shrinkage, occupancy).

The closed forms are a pre-screen: each interval on its own, in steady state, with Poisson
arrivals and exponential handling (Erlang C) plus exponential patience (Erlang A). What they
ignore (the backlog carried between intervals, priorities, non-exponential times) is what the
simulation search (`sim.staffing.search`) adds.

Caps, as workforce planners apply them (docs/staffing.md):
- occupancy: on-phone agents >= offered load / max_occupancy, a floor under any requirement;
- shrinkage: paid agents = on-phone agents / (1 - shrinkage), rounded up; the roster covers
  paid agents, and a roster is simulated with floor(paid x (1 - shrinkage)) agents on the phones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.analytic.erlang import ErlangA, agents_for_service_level
from sim.model.human_queue import QueueRecords
from sim.staffing.targets import Policy, ServiceTarget

__all__ = [
    "EPS",
    "Grid",
    "IntervalLoad",
    "erlang_a_agents",
    "erlang_c_agents",
    "interval_load",
    "occupancy_floor",
    "on_phones",
    "paid_agents",
]

F64 = NDArray[np.float64]
EPS = 1e-9  # tolerance on ratios that should be whole numbers (0.7 x 10 / 0.7 is 10, not 10.01)


@dataclass(frozen=True)
class Grid:
    """`intervals` staffing intervals of `minutes` each, from time 0 (the first midnight)."""

    minutes: float
    intervals: int

    def index(self, t: F64) -> NDArray[np.int64]:
        """Interval of each time (minutes); times past the horizon fall in the last one."""
        return np.minimum((t // self.minutes).astype(np.int64), self.intervals - 1)

    def start(self, h: int) -> float:
        """Start of interval `h` (minutes)."""
        return h * self.minutes


@dataclass(frozen=True)
class IntervalLoad:
    """Per interval, over the replications: arrivals per minute, mean handle and abandon rate."""

    rate: F64  # messages per minute
    mean_handle: F64  # minutes
    abandon_rate: F64  # per minute; 0 = nobody gives up

    @property
    def offered(self) -> F64:
        """Offered load in Erlangs: arrival rate x mean handle (mean busy agents needed)."""
        return np.asarray(self.rate * self.mean_handle, np.float64)


def interval_load(records: Sequence[QueueRecords], grid: Grid) -> IntervalLoad:
    """Estimate each interval's load from the sampled routed messages of every replication.

    The abandon rate is the finite-patience share over their mean patience (1 / mean patience
    when everybody's patience is finite, as for exponential patience; 0 when nobody gives up).
    """
    n = grid.intervals
    count, handle = np.zeros(n), np.zeros(n)
    finite, patience = np.zeros(n), np.zeros(n)
    for q in records:
        h = grid.index(q.arrival)
        count += np.bincount(h, minlength=n)[:n]
        handle += np.bincount(h, q.handle, minlength=n)[:n]
        wait = q.deadline - q.arrival
        ok = np.isfinite(wait)
        finite += np.bincount(h[ok], minlength=n)[:n]
        patience += np.bincount(h[ok], wait[ok], minlength=n)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_handle = np.where(count > 0, handle / count, 0.0)
        theta = np.where(finite > 0, (finite / np.maximum(count, 1)) / patience, 0.0)
    rate = count / (len(records) * grid.minutes)
    return IntervalLoad(rate, mean_handle, np.nan_to_num(theta))


def erlang_c_agents(rate: float, handle: float, target: ServiceTarget) -> int:
    """Fewest agents for the target by Erlang C (0 for an interval without traffic)."""
    if rate <= 0 or handle <= 0:
        return 0
    return agents_for_service_level(rate, 1.0 / handle, target.minutes, target.level)


def erlang_a_agents(
    rate: float,
    handle: float,
    abandon_rate: float,
    target: ServiceTarget,
    max_abandon: float | None,
) -> int:
    """Fewest agents meeting the target (and the abandonment cap) by Erlang A.

    Starts at level x load: fewer agents cannot answer that share even with nobody waiting
    (the answered share is at most agents / load). Without abandonment this is Erlang C.
    """
    if rate <= 0 or handle <= 0:
        return 0
    if abandon_rate <= 0:
        return erlang_c_agents(rate, handle, target)
    load = rate * handle
    c = max(1, math.floor(target.level * load))
    while True:
        q = ErlangA(rate, 1.0 / handle, c, abandon_rate)
        if q.service_level(target.minutes) >= target.level and (
            max_abandon is None or q.prob_abandon <= max_abandon
        ):
            return c
        c += 1


def occupancy_floor(load: float, policy: Policy) -> int:
    """On-phone agents the occupancy cap alone asks for: load / max_occupancy, rounded up."""
    if policy.max_occupancy is None or load <= 0:
        return 0
    return math.ceil(load / policy.max_occupancy - EPS)


def paid_agents(on_phone: int, policy: Policy) -> int:
    """Agents to roster so `on_phone` remain after shrinkage: on_phone / (1 - shrinkage)."""
    return math.ceil(on_phone / (1.0 - policy.shrinkage) - EPS)


def on_phones(paid: int, policy: Policy) -> int:
    """Agents actually answering when `paid` are rostered: floor(paid x (1 - shrinkage))."""
    return math.floor(paid * (1.0 - policy.shrinkage) + EPS)
