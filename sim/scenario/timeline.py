"""The timeline: the scenario in force on each simulated day, with phases applied once.

Phases are resolved when a scenario is loaded (`Scenario.timeline`, cached on the frozen
scenario); the model, the metrics and the summary all read the values of each day from here, so
a phase's SLA target counts in the outputs of its own days. Message classes may differ between
days (a phase can add or drop a class): per-class arrays use `class_names`, the union over all
days in order of first appearance, and a class absent on a day has no traffic that day. The
classes of `[inbound.<name>]` channels come after all of `[messages]`' (WeChat's), so the WeChat
classes keep their positions whatever channels a scenario adds.
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
    channels: tuple[tuple[str, tuple[str, ...]], ...] = ()  # inbound channel -> its classes

    def date(self, day: int) -> dt.date:
        """Calendar date of simulated day `day`."""
        return self.start + dt.timedelta(days=day)

    def on(self, day: int) -> Scenario:
        """The scenario in force on day `day`."""
        return self.days[day]

    def targets(self, which: str, channel: str | None = None) -> tuple[float, ...]:
        """Each day's `which` target (`first_response` or `resolution`, minutes).

        The service's, or with `channel` that inbound channel's own where it sets one.
        """
        key = f"{which}_target_minutes"
        out = []
        for sc in self.days:
            spec = sc.inbound.get(channel) if channel is not None else None
            own = None if spec is None else getattr(spec, key)
            out.append(own if own is not None else getattr(sc.service, key))
        return tuple(out)


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
    channels: dict[str, dict[str, None]] = {}
    for _, sc in segments:
        for channel, spec in sc.inbound.items():
            channels.setdefault(channel, {}).update(dict.fromkeys(spec.classes))
    for classes in channels.values():
        names.update(classes)
    inbound = tuple((c, tuple(classes)) for c, classes in channels.items())
    return Timeline(start, tuple(days), tuple(names), inbound)
