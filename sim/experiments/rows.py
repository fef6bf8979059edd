"""One run -> one tidy row: identity, parameters, every numeric summary metric.

Nested summary figures (`by_class`, `fans_by_source`, ...) become dotted columns such as
`by_class.order.answered`. Text and dated-list figures (the scenario name, a target that changes
by phase) are not metrics and are left out; the run's identity columns say what ran.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sim import __version__
from sim.experiments.specs import Cell, Job
from sim.model.engine import run_one
from sim.results.summary import summarize

__all__ = ["ID_COLUMNS", "Row", "metric_columns", "numeric_metrics", "run_row"]

Row = dict[str, Cell]

ID_COLUMNS = ("run_id", "scenario", "replication", "seed", "params_hash", "version")
"""The columns that identify a row; parameters follow them, then the metrics."""

_NOT_METRICS = frozenset(
    {"scenario", "seed", "replication", "params_hash", "version", "start", "days"}
)


def numeric_metrics(summary: Mapping[str, Any], prefix: str = "") -> dict[str, float | int | None]:
    """Numeric figures of a summary, nested ones under dotted names; NaN becomes None."""
    out: dict[str, float | int | None] = {}
    for key, value in summary.items():
        if not prefix and key in _NOT_METRICS:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out |= numeric_metrics(value, f"{name}.")
        elif isinstance(value, bool | str | list | tuple):
            continue
        elif isinstance(value, int):
            out[name] = value
        elif isinstance(value, float):
            # 10 significant digits, as in every output file, so a row read back from a
            # table equals the row computed (resumed and fresh runs agree exactly)
            out[name] = float(f"{value:.10g}") if math.isfinite(value) else None
        elif value is None:
            out[name] = None  # a figure with no data in this run (e.g. no server window)
    return out


def run_row(job: Job) -> Row:
    """Run one job and return its row (a top-level function, so executors can pickle it)."""
    spec = job.spec
    v = job.variant
    row: Row = {
        "run_id": v.run_id,
        "scenario": spec.scenario.scenario.name,
        "replication": spec.replication,
        "seed": spec.seed,
        "params_hash": v.params_hash,
        "version": __version__,
    }
    row |= dict(v.params)
    row |= numeric_metrics(summarize(run_one(spec)))
    return row


def metric_columns(rows: Sequence[Mapping[str, Cell]], params: Sequence[str] = ()) -> list[str]:
    """Metric columns of the rows in first-seen order (identity and parameters excluded)."""
    skip = set(ID_COLUMNS) | set(params)
    seen: dict[str, None] = {}
    for row in rows:
        for k in row:
            if k not in skip:
                seen.setdefault(k, None)
    return list(seen)
