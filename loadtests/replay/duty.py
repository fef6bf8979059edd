"""Agents on duty during a replay and how long each holds a message: the scenario's roster.

A replay compresses time by the speed-up X and multiplies the arrival rates by the scale S, so
in wall time human-routed messages arrive at S x X times the modelled rate. An agent's handle
time drawn from the scenario's class distribution is divided by X (it too runs X times faster),
so one agent answers X times as many messages per wall second; to keep every agent as busy as in
the model the number on duty is the roster's count times S (rounded half up; `agent_scale`
overrides S). The roster is `sim.model.roster`'s schedule of the day the profile's window falls
on (phases applied), read at the profile's clock time of each wall instant.

Pure: no Locust, no gevent; the agent greenlets (`loadtests.replay.net.agents`) and the load
report's model prediction (`loadtests.report.agent_times`) both read the same `DutyPlan`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from loadtests.replay.profile import Profile
from loadtests.replay.schedule import ReplayPlan
from sim.dists import Distribution
from sim.model.roster import build_schedule_by_day
from sim.scenario.schema import Scenario
from sim.scenario.timeline import resolve_timeline
from sim.units import DAY

__all__ = ["DutyPlan", "draw_wall_seconds", "duty_plan", "handle_times", "replay_day"]


@dataclass(frozen=True)
class DutyPlan:
    """Agents on duty from `times[k]` (wall seconds from the replay's start) until the next."""

    times: tuple[float, ...]
    agents: tuple[int, ...]
    end: float  # wall seconds: agents claim nothing after this
    speedup: float
    scale: float  # applied to the roster's counts
    day: int = 0  # the scenario day (index) the replay starts on: its classes' handle times

    def __post_init__(self) -> None:
        if not self.times or self.times[0] != 0.0 or len(self.times) != len(self.agents):
            raise ValueError("times must start at 0 and pair one-to-one with agents")
        if self.speedup <= 0 or self.end <= 0:
            raise ValueError(f"speedup(={self.speedup}) and end(={self.end}) must be > 0")

    def on_duty(self, wall: float) -> int:
        """Agents on duty `wall` seconds into the replay (0 after the end)."""
        if wall >= self.end:
            return 0
        return self.agents[max(0, bisect.bisect_right(self.times, wall) - 1)]

    @property
    def most(self) -> int:
        """The most agents on duty at once (greenlets to start)."""
        return max(self.agents)

    def as_dict(self) -> dict[str, Any]:
        """JSON form (the worker's record, read back by the load report)."""
        return {
            "times": list(self.times),
            "agents": list(self.agents),
            "end": self.end,
            "speedup": self.speedup,
            "scale": self.scale,
            "day": self.day,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DutyPlan:
        """Inverse of `as_dict`."""
        return cls(
            tuple(float(t) for t in d["times"]),
            tuple(int(a) for a in d["agents"]),
            float(d["end"]),
            float(d["speedup"]),
            float(d["scale"]),
            int(d["day"]),
        )


def _half_up(x: float) -> int:
    return math.floor(x + 0.5)


def replay_day(scenario: Scenario, profile: Profile, plan: ReplayPlan) -> tuple[int, dt.datetime]:
    """(index of the scenario day the replay starts on, the profile's clock time at its start)."""
    first = dt.datetime.fromisoformat(profile.first_second) + dt.timedelta(seconds=plan.start)
    day = (first.date() - scenario.scenario.start).days
    days = resolve_timeline(scenario).days
    if not 0 <= day < len(days):
        raise ValueError(
            f"the profile's window ({first.isoformat()}) is outside the scenario's days "
            f"({scenario.scenario.start}, {len(days)} days): replay a profile of this scenario"
        )
    return day, first


def duty_plan(
    scenario: Scenario, profile: Profile, plan: ReplayPlan, agent_scale: float | None = None
) -> DutyPlan:
    """The roster over the replayed window, in wall seconds, scaled like the load."""
    scale = plan.scale if agent_scale is None else agent_scale
    if scale <= 0:
        raise ValueError(f"agent_scale(={scale}) must be > 0")
    day, first = replay_day(scenario, profile, plan)
    days = resolve_timeline(scenario).days
    roster = build_schedule_by_day([d.service for d in days[day : day + 2]])
    m0 = (first - dt.datetime.combine(first.date(), dt.time())).total_seconds() / 60.0
    span = float(plan.window(profile)[1].sum())  # profile seconds replayed
    m1 = min(m0 + span / 60.0, float(len(days[day : day + 2]) * DAY))
    cuts = [m0] + [t for t in roster.times if m0 < t < m1]
    times = tuple((m - m0) * 60.0 / plan.speedup for m in cuts)
    agents = tuple(_half_up(roster.agents_at(m) * scale) for m in cuts)
    return DutyPlan(times, agents, span / plan.speedup, plan.speedup, scale, day)


def handle_times(scenario: Scenario, day: int = 0) -> dict[str, Distribution]:
    """Each class's handle-time distribution on scenario day `day` (minutes, phases applied)."""
    classes = resolve_timeline(scenario).days[day].messages.classes
    return {n: c.handle_time_minutes.build() for n, c in classes.items()}


def draw_wall_seconds(
    dists: dict[str, Distribution], cls: str, speedup: float, rng: np.random.Generator
) -> float:
    """One handle time of class `cls` in wall seconds (minutes x 60 / speed-up)."""
    dist = dists.get(cls)
    if dist is None:
        raise KeyError(f"class {cls!r} is not in the scenario (its handle time is unknown)")
    return float(dist.sample(rng, 1)[0]) * 60.0 / speedup
