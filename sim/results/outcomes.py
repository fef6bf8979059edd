"""Per-message outcomes and targets: what the summary, the hourly rows and channel rows share.

A routed message is answered (picked up by an agent by the horizon), abandoned (its fan's
patience ran out first) or still queued. Its targets are those in force on the day it arrived,
for its channel: `[inbound.<name>]` targets for that channel's classes (the service's where it
gives none), the service's for the WeChat classes. SLA attainment is the share met among
messages whose outcome is known (answered, abandoned, or waiting past the target).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.model.engine import ModelResult
from sim.model.human_queue import QueueRecords
from sim.scenario.timeline import Timeline
from sim.units import DAY

__all__ = [
    "dated",
    "dated_target",
    "message_targets",
    "outcomes",
    "quantile",
    "sla",
    "sla_flags",
]

F64 = NDArray[np.float64]
Bool = NDArray[np.bool_]


def quantile(x: F64, p: float) -> float:
    """The p-quantile of `x`, NaN when it is empty."""
    return float(np.quantile(x, p)) if x.size else float("nan")


def message_targets(result: ModelResult, which: str) -> F64:
    """Each routed message's target (minutes): its channel's, on the day it arrived.

    `which` is `first_response` or `resolution`.
    """
    tl = result.spec.timeline
    per_day = np.asarray(tl.targets(which), np.float64)
    day = np.minimum((result.queue.arrival // DAY).astype(np.int64), per_day.size - 1)
    if not tl.channels:
        return np.asarray(per_day[day], np.float64)
    table = np.repeat(per_day[:, None], len(result.class_names), axis=1)
    for channel, classes in tl.channels:
        columns = [result.class_names.index(c) for c in classes]
        table[:, columns] = np.asarray(tl.targets(which, channel), np.float64)[:, None]
    return np.asarray(table[day, result.queue.tag], np.float64)


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


def outcomes(q: QueueRecords) -> dict[str, Bool]:
    """Per message: `answered`, `abandoned` or `queued` at the horizon."""
    answered = ~np.isnan(q.start)
    abandoned = ~answered & (q.deadline <= q.horizon)
    return {"answered": answered, "abandoned": abandoned, "queued": ~answered & ~abandoned}


def sla_flags(q: QueueRecords, elapsed: F64, target: F64) -> tuple[Bool, Bool]:
    """Per message: target met; outcome known (answered, abandoned, or waiting past target)."""
    out = outcomes(q)
    answered, abandoned = out["answered"], out["abandoned"]
    waiting_late = out["queued"] & (q.horizon - q.arrival > target)
    with np.errstate(invalid="ignore"):
        met = answered & (elapsed <= target)
    return met, answered | abandoned | waiting_late


def sla(q: QueueRecords, elapsed: F64, target: F64, among: Bool | None = None) -> float:
    """Share of messages (of those `among` picks) that met `target`; NaN if none is known."""
    met, decided = sla_flags(q, elapsed, target)
    if among is not None:
        met, decided = met & among, decided & among
    n = int(decided.sum())
    return int(met.sum()) / n if n else float("nan")
