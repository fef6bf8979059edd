"""The timeline: the scenario in force on each simulated day, with phases applied once.

Phases are resolved when a scenario is loaded (`Scenario.timeline`, cached on the frozen
scenario); the model, the metrics and the summary all read the values of each day from here, so
a phase's SLA target counts in the outputs of its own days. Message classes may differ between
days (a phase can add or drop a class): per-class arrays use `class_names`, the union over all
days in order of first appearance, and a class absent on a day has no traffic that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

__all__ = ["Timeline", "resolve_timeline"]


@dataclass(frozen=True)
class Timeline:
    """`days[d]` is the scenario in force on day d (0 = scenario.start)."""

    start: dt.date
    days: tuple[Scenario, ...]
    class_names: tuple[str, ...]

    def date(self, day: int) -> dt.date:
        """Calendar date of simulated day `day`."""
        return self.start + dt.timedelta(days=day)

    def on(self, day: int) -> Scenario:
        """The scenario in force on day `day`."""
        return self.days[day]

    def first_response_targets(self) -> tuple[float, ...]:
        """Each day's first-response target (minutes)."""
        return tuple(sc.service.first_response_target_minutes for sc in self.days)

    def resolution_targets(self) -> tuple[float, ...]:
        """Each day's resolution target (minutes)."""
        return tuple(sc.service.resolution_target_minutes for sc in self.days)


def resolve_timeline(scenario: Scenario) -> Timeline:
    """Apply the phases once: one scenario object per segment, shared by the days it covers."""
    from sim.scenario.load import phase_segments  # load imports schema, which holds the cache

    segments = phase_segments(scenario)
    start = scenario.scenario.start
    days: list[Scenario] = []
    k = 0
    for d in range(scenario.scenario.days):
        today = start + dt.timedelta(days=d)
        while k + 1 < len(segments) and segments[k + 1][0] <= today:
            k += 1
        days.append(segments[k][1])
    names: dict[str, None] = {}
    for _, sc in segments:
        names.update(dict.fromkeys(sc.messages.classes))
    return Timeline(start, tuple(days), tuple(names))
