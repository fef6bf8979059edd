"""The shift roster: which shifts, starting when, cover the requirement at least agent-hours.

An integer program (`scipy.optimize.milp`, HiGHS): one whole-number variable per allowed shift
and start, covering every interval's requirement (paid agents, shrinkage included), minimising
agent-hours on shift (a break counts: agents are at work). With one hourly cost for every
agent, least agent-hours is least cost. The horizon is a whole number of days and a shift that
runs past its end wraps to its start: the roster is a daily pattern that repeats, as planners
publish it, so the night shift that starts at 22:00 also covers the first hours of the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import ShiftPatternSpec
from sim.staffing.requirements import EPS, Grid
from sim.units import DAY

__all__ = [
    "DEFAULT_PATTERNS",
    "Roster",
    "ShiftOption",
    "coverage_matrix",
    "shift_options",
    "solve_roster",
]

DEFAULT_PATTERNS = (ShiftPatternSpec(name="8h", length_hours=8),)
"""Used when the scenario lists no `staffing.shift_patterns`: 8 hours, any start, no break."""


@dataclass(frozen=True)
class ShiftOption:
    """One shift at one start: the intervals it puts an agent on the phones for."""

    pattern: str
    start: int  # interval index of the start
    covers: tuple[int, ...]  # interval indices on duty (break excluded), wrapped
    hours: float  # time at work per agent
    break_start: int | None = None  # interval index where the break begins


@dataclass(frozen=True)
class Roster:
    """How many agents take each option, and the coverage that gives."""

    options: tuple[ShiftOption, ...]
    agents: tuple[int, ...]  # per option
    coverage: tuple[int, ...]  # agents on duty per interval

    @property
    def agent_hours(self) -> float:
        """Agent-hours on shift over the horizon."""
        return sum(o.hours * n for o, n in zip(self.options, self.agents, strict=True))

    @property
    def used(self) -> tuple[tuple[ShiftOption, int], ...]:
        """The options taken, with their agents, in start order."""
        return tuple((o, n) for o, n in zip(self.options, self.agents, strict=True) if n > 0)


def _minute(t: dt.time) -> float:
    return t.hour * 60.0 + t.minute + t.second / 60.0


def _steps(minutes: float, grid: Grid, path: str, value: object) -> tuple[int, Problem | None]:
    steps = minutes / grid.minutes
    if abs(steps - round(steps)) > EPS:
        rule = f"must lie on the {grid.minutes:g}-minute staffing interval grid"
        return 0, Problem(path, rule, value, True)
    return round(steps), None


def shift_options(patterns: Sequence[ShiftPatternSpec], grid: Grid) -> tuple[ShiftOption, ...]:
    """Every allowed (shift, start) on the grid; raises `ScenarioError` for off-grid patterns."""
    problems: list[Problem] = []
    per_day = round(DAY / grid.minutes)
    out: list[ShiftOption] = []
    for i, p in enumerate(patterns):
        path = f"staffing.shift_patterns[{i}]"
        before = len(problems)
        length, bad = _steps(p.length_hours * 60, grid, f"{path}.length_hours", p.length_hours)
        problems += [bad] if bad else []
        starts = list(range(per_day))
        if p.starts is not None:
            starts = []
            for k, t in enumerate(p.starts):
                s, bad = _steps(_minute(t), grid, f"{path}.starts[{k}]", t.isoformat("minutes"))
                problems += [bad] if bad else []
                starts.append(s)
        off: set[int] = set()
        brk = None
        if p.break_after_hours is not None:
            brk, bad = _steps(
                p.break_after_hours * 60, grid, f"{path}.break_after_hours", p.break_after_hours
            )
            problems += [bad] if bad else []
            n, bad = _steps(p.break_minutes, grid, f"{path}.break_minutes", p.break_minutes)
            problems += [bad] if bad else []
            if len(problems) == before and (brk <= 0 or brk + n >= length):
                rule = "the break must start after the shift starts and end before it ends"
                where = f"{path}.break_after_hours"
                problems.append(Problem(where, rule, p.break_after_hours, True))
            off = set(range(brk, brk + n))
        if problems:
            continue
        for day in range(grid.intervals // per_day):
            for s in dict.fromkeys(starts):
                first = day * per_day + s
                covers = tuple((first + k) % grid.intervals for k in range(length) if k not in off)
                at = None if brk is None else (first + brk) % grid.intervals
                out.append(ShiftOption(p.name, first, covers, p.length_hours, at))
    if problems:
        raise ScenarioError(problems)
    return tuple(out)


def coverage_matrix(options: Sequence[ShiftOption], intervals: int) -> NDArray[np.float64]:
    """A[i, j] = 1 when option j puts an agent on duty in interval i."""
    a = np.zeros((intervals, len(options)))
    for j, o in enumerate(options):
        a[list(o.covers), j] = 1.0
    return a


def solve_roster(required: Sequence[int], options: Sequence[ShiftOption]) -> Roster:
    """Least agent-hours roster with at least `required[i]` agents on duty in every interval.

    Raises `ScenarioError` when some interval with a requirement is covered by no allowed shift.
    """
    need = np.asarray(required, np.float64)
    a = coverage_matrix(options, need.size)
    uncovered = np.flatnonzero((need > 0) & (a.sum(axis=1) == 0))
    if uncovered.size:
        rule = f"no allowed shift covers interval {int(uncovered[0])}, which needs agents"
        raise ScenarioError([Problem("staffing.shift_patterns", rule)])
    if not options or not need.any():
        return Roster(tuple(options), (0,) * len(options), (0,) * need.size)
    hours = np.asarray([o.hours for o in options])
    res = milp(
        hours,
        constraints=LinearConstraint(a, lb=need, ub=np.inf),
        integrality=np.ones(len(options)),
        bounds=Bounds(0, np.inf),
    )
    if not res.success:  # cannot happen once every needed interval is coverable
        raise RuntimeError(f"roster integer program failed: {res.message}")
    x = np.round(res.x).astype(np.int64)
    cover = (a @ x).astype(np.int64)
    return Roster(tuple(options), tuple(int(v) for v in x), tuple(int(v) for v in cover))
