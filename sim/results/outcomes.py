"""Targets and shares the summary, the hourly rows and the channel rows share.

A routed message's targets are those in force on the day it arrived, for its channel
(`[inbound.<name>]` targets for that channel's classes, the service's where it gives none);
the model applies them as it tallies messages (`sim.model.tally`). SLA attainment is the share
met among messages whose outcome is known (answered, abandoned, or waiting past the target).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sim.model.engine import ModelResult
from sim.scenario.timeline import Timeline

__all__ = ["dated", "dated_target", "share"]


def share(met: int, known: int) -> float:
    """`met / known`, NaN when no outcome is known."""
    return met / known if known else float("nan")


def dated(values: Sequence[float], tl: Timeline) -> float | list[dict[str, Any]]:
    """Per-day values as one number, or as dated steps `[{from, minutes}]` when they change."""
    if len(set(values)) == 1:
        return values[0]
    return [
        {"from": tl.date(d).isoformat(), "minutes": v}
        for d, v in enumerate(values)
        if d == 0 or values[d - 1] != v
    ]


def dated_target(result: ModelResult, which: str) -> float | list[dict[str, Any]]:
    """The service's target as one number, or its dated values when phases change it."""
    tl = result.spec.timeline
    return dated(tl.targets(which), tl)
