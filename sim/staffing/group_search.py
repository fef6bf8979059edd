"""The simulation search for agent groups: the fewest agents per group and interval.

Groups interact (a message goes to the first group serving its class with a free chat slot), so
every candidate is judged by serving the whole grouped system (`GroupQueue`) on the same sampled
traffic, R replications pooled. A group is judged on the messages of its skills (its classes),
whoever answers them, against its own policy; with disjoint skills that is exactly the
single-pool search run on each group's messages alone, and the search below then gives each
group the same agents (tests/staffing/test_groups.py checks it).

In time order, with the backlog carried as in `sim.staffing.search`, interval h is solved for
all groups at once:

1. each group starts at its floor: level x load x D / (D + T) and the occupancy floor, over the
   load of the classes only it serves (shared classes may be answered elsewhere, so they give no
   lower bound), divided by its chats per agent (an agent holding k chats does at most k
   agents' work, stretch only slows it);
2. while some group misses (in h, or in an earlier interval still undecided that met before),
   every missing group below its useful maximum gets one more agent, and all are served again.
   With an occupancy cap a group also misses while its agents x chats are fewer than the work
   it is charged with in h (`GroupOutcomes.work`: what it answered, shared classes included)
   over the cap: the cap follows the work the group actually does, not only its own classes;
3. when groups share classes, a group that grew may now carry more than it needs: each group in
   turn gives back agents while every group still meets (never below its floor). With disjoint
   skills this step cannot remove anything (one agent fewer was tried and missed) and is skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sim.model.group_queue import AgentGroup, GroupQueue
from sim.model.human_queue import QueueRecords
from sim.staffing.requirements import EPS, Grid
from sim.staffing.search import (
    IntervalOutcomes,
    IntervalSearch,
    SearchResult,
    count_outcomes,
    level_schedule,
    useful_maximum,
    work_floor,
)
from sim.staffing.targets import Policy

__all__ = ["GroupOutcomes", "GroupSystem", "search_groups", "serve_groups"]

Selector = Callable[[QueueRecords], NDArray[np.bool_]]


@dataclass(frozen=True)
class GroupSystem:
    """The groups being staffed (their rosters are replaced), the classes, each group's policy.

    A message's class is its `QueueRecords.tag` (as the engine offers grouped traffic).
    """

    groups: tuple[AgentGroup, ...]
    classes: int
    policies: tuple[Policy, ...]

    def own(self, g: int) -> Selector:
        """Selects the messages group `g` is judged on: those of its skills."""
        skills = np.asarray(self.groups[g].skills, np.int64)
        return lambda q: np.isin(q.tag, skills)

    def exclusive(self, g: int) -> Selector:
        """Selects the messages of the classes group `g` alone serves."""
        others = {s for i, x in enumerate(self.groups) if i != g for s in x.skills}
        only = np.asarray([s for s in self.groups[g].skills if s not in others], np.int64)
        return lambda q: np.isin(q.tag, only)

    @property
    def first_group(self) -> NDArray[np.int64]:
        """Per class, the first group (in file order) serving it: where arrivals try first."""
        out = np.full(self.classes, -1, np.int64)
        for g in reversed(range(len(self.groups))):
            out[list(self.groups[g].skills)] = g
        return out

    @property
    def disjoint(self) -> bool:
        """No class is served by two groups."""
        skills = [s for g in self.groups for s in g.skills]
        return len(skills) == len(set(skills))


@dataclass(frozen=True)
class GroupOutcomes:
    """Per group: the outcomes of its skills' messages, and the work it is charged with.

    `work[g, j]`: handle minutes of the messages arriving in column j that group g answered,
    plus those nobody answered whose class g is the first to serve, summed over replications
    (with disjoint skills: the group's offered work). What the occupancy cap is applied to.
    """

    outcomes: tuple[IntervalOutcomes, ...]
    work: NDArray[np.float64]

    def __getitem__(self, g: int) -> IntervalOutcomes:
        return self.outcomes[g]


def serve_groups(
    records: Sequence[QueueRecords],
    grid: Grid,
    system: GroupSystem,
    levels: Sequence[Sequence[int]],
    until: float = math.inf,
    first: int = 0,
) -> GroupOutcomes:
    """Serve each replication's messages arriving before `until`, group g with `levels[g]`.

    Runs until every offered message is answered or abandoned; returns, per group, the outcomes
    of its skills' messages in intervals `first` .. len(levels[g]) - 1, against its policy.
    """
    groups = tuple(
        replace(g, schedule=level_schedule(grid, lv))
        for g, lv in zip(system.groups, levels, strict=True)
    )
    n = len(groups)
    cols = len(levels[0]) - first
    arrived = np.zeros((n, len(records), cols), np.int64)
    met, abandoned = np.zeros_like(arrived), np.zeros_like(arrived)
    work = np.zeros((n, cols))
    for r, q in enumerate(records):
        k = int(np.searchsorted(q.arrival, until, "left"))
        tag = q.tag[:k]
        queue = GroupQueue(groups, system.classes)
        queue.offer(q.arrival[:k], q.priority[:k], q.handle[:k], q.deadline[:k], tag, skill=tag)
        queue.advance(math.inf)
        start = queue.records().start
        for g, spec in enumerate(groups):
            keep = np.isin(tag, np.asarray(spec.skills, np.int64))
            minutes = system.policies[g].target.minutes
            arrived[g, r], met[g, r], abandoned[g, r] = count_outcomes(
                grid, q.arrival[:k], start, minutes, first, cols, keep
            )
        served = queue.group_records().group
        charged = np.where(served >= 0, served, system.first_group[tag])
        col = grid.index(q.arrival[:k]) - first
        ok = (col >= 0) & (col < cols)
        np.add.at(work, (charged[ok], col[ok]), q.handle[:k][ok])
    return GroupOutcomes(
        tuple(IntervalOutcomes(arrived[g], met[g], abandoned[g]) for g in range(n)), work
    )


@dataclass(frozen=True)
class _Interval:
    """One interval being solved: the levels fixed before it and how candidates are judged."""

    records: Sequence[QueueRecords]
    grid: Grid
    system: GroupSystem
    levels: Sequence[Sequence[int]]  # per group, intervals first .. h - 1 fixed
    judged: Sequence[Sequence[int]]  # per group, intervals that must (still) meet
    until: float
    first: int

    def serve(self, cand: Sequence[int]) -> GroupOutcomes:
        """Every group's outcomes with candidate agents `cand` in this interval."""
        lv = [[*fixed, x] for fixed, x in zip(self.levels, cand, strict=True)]
        return serve_groups(self.records, self.grid, self.system, lv, self.until, self.first)

    def occupancy_need(self, outs: GroupOutcomes, g: int) -> int:
        """Agents group `g` needs in this interval for the occupancy cap on its work there."""
        cap = self.system.policies[g].max_occupancy
        if cap is None:
            return 0
        col = len(self.levels[g]) - self.first
        load = float(outs.work[g, col]) / (len(self.records) * self.grid.minutes)
        return math.ceil(load / (cap * self.system.groups[g].max_chats) - EPS)

    def missing(self, outs: GroupOutcomes, cand: Sequence[int]) -> list[int]:
        """Groups missing their policy in some judged interval, or under their occupancy need."""
        return [
            g
            for g, (out, pol) in enumerate(zip(outs.outcomes, self.system.policies, strict=True))
            if not all(out.meets(j - self.first, pol) for j in self.judged[g])
            or cand[g] < self.occupancy_need(outs, g)
        ]


def _solve(
    iv: _Interval, floors: Sequence[int], ceilings: Sequence[int], col: int
) -> tuple[list[int], GroupOutcomes, list[tuple[float, ...]]]:
    """Grow missing groups from their floors, then give back slack; see the module docstring."""
    n = len(floors)
    c = list(floors)
    below: list[tuple[float, ...]] = [() for _ in range(n)]
    outs = iv.serve(c)
    while True:
        grow = [
            g for g in iv.missing(outs, c) if c[g] < max(ceilings[g], iv.occupancy_need(outs, g))
        ]
        if not grow:
            break
        for g in grow:
            below[g] = outs[g].per_replication(col)
            c[g] += 1
        outs = iv.serve(c)
    if not iv.system.disjoint and not iv.missing(outs, c):
        for g in range(n):
            while c[g] > floors[g]:
                trial = [*c[:g], c[g] - 1, *c[g + 1 :]]
                trial_outs = iv.serve(trial)
                if iv.missing(trial_outs, trial):
                    below[g] = trial_outs[g].per_replication(col)
                    break
                c, outs = trial, trial_outs
    return c, outs, below


def search_groups(
    records: Sequence[QueueRecords],
    grid: Grid,
    system: GroupSystem,
    fixed: Mapping[int, int] | None = None,
) -> tuple[SearchResult, ...]:
    """Fewest on-phone agents per group and interval, in time order with the backlog carried.

    `fixed` as in `sim.staffing.search.search` ({h: 0} closes interval h for every group).
    """
    fixed = fixed or {}
    n = len(system.groups)
    longest = max(p.target.minutes for p in system.policies)
    back = math.ceil(longest / grid.minutes)
    levels: list[list[int]] = [[] for _ in range(n)]
    found: list[list[IntervalSearch]] = [[] for _ in range(n)]
    for h in range(grid.intervals):
        until = grid.start(h + 1) + longest
        if h in fixed:
            first, c = h, [fixed[h]] * n
            floors = c
            below: list[tuple[float, ...]] = [()] * n
            outs = serve_groups(records, grid, system, [[*lv, fixed[h]] for lv in levels], until, h)
            short = set(range(n))  # a fixed interval has no target of its own
        else:
            first = max(0, h - back)
            judged = [
                [j for j in range(first, h) if j not in fixed and found[g][j].met] + [h]
                for g in range(n)
            ]
            floors = [
                work_floor(records, grid, h, system.policies[g], system.exclusive(g))
                // system.groups[g].max_chats
                for g in range(n)
            ]
            ceilings = [
                max(floors[g], useful_maximum(records, until, system.own(g))) for g in range(n)
            ]
            iv = _Interval(records, grid, system, levels, judged, until, first)
            c, outs, below = _solve(iv, floors, ceilings, h - first)
            short = set(iv.missing(outs, c))
        for g in range(n):
            level, abandoned = outs[g].pooled(h - first)
            per_rep = outs[g].per_replication(h - first)
            kept = below[g] if c[g] > floors[g] else ()
            found[g].append(
                IntervalSearch(c[g], floors[g], g not in short, level, abandoned, per_rep, kept)
            )
            levels[g].append(c[g])
    return tuple(SearchResult(tuple(f)) for f in found)
