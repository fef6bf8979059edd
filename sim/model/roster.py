"""Agents on duty as a step function of time, built from an hourly roster or named shifts.

The schedule is a pure function of time (`agents_at`), so tests and later load profiles can query
it without running anything. Times are minutes from the start of the first simulated day.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sim.scenario.schema import AgentGroupSpec, ServiceSpec, ShiftSpec
from sim.units import DAY

__all__ = ["DAY", "StaffSchedule", "build_schedule", "build_schedule_by_day", "daily_pattern"]


@dataclass(frozen=True)
class StaffSchedule:
    """Agents on duty from `times[k]` until `times[k+1]`; `times[0]` is 0."""

    times: tuple[float, ...]
    agents: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.times or self.times[0] != 0.0 or len(self.times) != len(self.agents):
            raise ValueError("times must start at 0 and pair one-to-one with agents")
        if any(b <= a for a, b in zip(self.times, self.times[1:], strict=False)):
            raise ValueError("times must be strictly increasing")
        if any(a < 0 for a in self.agents):
            raise ValueError("agents must be >= 0")

    def agents_at(self, t: float) -> int:
        """Agents rostered at time `t` (minutes)."""
        return self.agents[max(0, bisect.bisect_right(self.times, t) - 1)]

    def agent_minutes(self, until: float) -> float:
        """Rostered agent-minutes in [0, until] (overtime to finish a message not included)."""
        total = 0.0
        bounds = [*self.times[1:], float("inf")]
        for t0, t1, a in zip(self.times, bounds, self.agents, strict=True):
            if t0 >= until:
                break
            total += a * (min(t1, until) - t0)
        return total


def _minute_of(t: dt.time) -> float:
    return t.hour * 60.0 + t.minute + t.second / 60.0


def _shift_pattern(shifts: tuple[ShiftSpec, ...]) -> list[tuple[float, int]]:
    cuts = {0.0}
    for sh in shifts:
        cuts |= {_minute_of(sh.start), _minute_of(sh.end)}
    pattern = []
    for m in sorted(cuts):
        on = 0
        for sh in shifts:
            s, e = _minute_of(sh.start), _minute_of(sh.end)
            covers = s <= m < e if s < e else (m >= s or m < e)
            on += sh.agents if covers else 0
        pattern.append((m, on))
    return pattern


def daily_pattern(service: ServiceSpec | AgentGroupSpec) -> list[tuple[float, int]]:
    """One day's roster (of the service or of one agent group) as (minute, agents) steps."""
    if service.agents_by_hour is not None:
        return [(h * 60.0, a) for h, a in enumerate(service.agents_by_hour)]
    if service.shifts is not None:
        return _shift_pattern(service.shifts)
    raise ValueError("service needs agents_by_hour or shifts")


def build_schedule(service: ServiceSpec, days: int) -> StaffSchedule:
    """Repeat one daily roster over `days` days."""
    return build_schedule_by_day([service] * days)


def build_schedule_by_day(services: Sequence[ServiceSpec | AgentGroupSpec]) -> StaffSchedule:
    """Day d follows `services[d]`'s roster; equal neighbouring steps are merged.

    Phases change rosters at midnight: the early hours of a day follow that day's roster.
    """
    times: list[float] = []
    agents: list[int] = []
    patterns: dict[int, list[tuple[float, int]]] = {}  # by object: days of one phase share it
    for d, service in enumerate(services):
        pattern = patterns.get(id(service))
        if pattern is None:
            pattern = patterns[id(service)] = daily_pattern(service)
        for minute, on in pattern:
            if agents and agents[-1] == on:
                continue
            times.append(d * DAY + minute)
            agents.append(on)
    return StaffSchedule(tuple(times), tuple(agents))
