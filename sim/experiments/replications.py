"""Replications of one variant: mean, standard deviation and 95% CI of every metric.

The sequential rule adds replications until chosen CIs are narrow enough.
The rule (`--halfwidth METRIC=VALUE`, or `METRIC=5%` relative to the mean) is checked on every
prefix of replications 0, 1, 2, ...: the result is the smallest number n >= the starting number
at which every rule holds, or the cap. Replications run in batches as wide as the executor, and
any computed beyond n are dropped, so the rows do not depend on the executor or its width.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.errors import OptionError, Problem
from sim.experiments.executors import Executor, Progress
from sim.experiments.rows import Row, metric_columns
from sim.experiments.runner import run_jobs
from sim.experiments.specs import Cell, Variant, jobs_for
from sim.experiments.table import ResumableTable
from sim.results.stats import mean_ci95

__all__ = ["Halfwidth", "ReplicationRun", "describe", "metric_values", "replicate", "summary_stats"]


def metric_values(rows: Sequence[Mapping[str, Cell]], metric: str) -> list[float]:
    """The metric's values over the rows, skipping rows where it is missing."""
    out = []
    for r in rows:
        v = r.get(metric)
        if isinstance(v, int | float) and not isinstance(v, bool):
            out.append(float(v))
    return out


def summary_stats(values: Sequence[float]) -> dict[str, Cell]:
    """n, mean, std, 95% CI (Student t) and its half-width; None where undefined."""
    n = len(values)
    if n == 0:
        return {
            "n": 0,
            "mean": None,
            "std": None,
            "ci_low": None,
            "ci_high": None,
            "halfwidth": None,
        }
    lo, hi = mean_ci95(values)
    std = float(np.std(values, ddof=1)) if n > 1 else None
    return {
        "n": n,
        "mean": float(np.mean(values)),
        "std": std,
        "ci_low": lo if n > 1 else None,
        "ci_high": hi if n > 1 else None,
        "halfwidth": (hi - lo) / 2 if n > 1 else None,
    }


def describe(rows: Sequence[Row], params: Sequence[str] = ()) -> list[dict[str, Cell]]:
    """One row per run id and metric: n, mean, std, 95% CI (Student t) and its half-width."""
    by_run: dict[str, list[Row]] = {}
    for r in rows:
        by_run.setdefault(str(r["run_id"]), []).append(r)
    out: list[dict[str, Cell]] = []
    for run_id, group in by_run.items():
        for m in metric_columns(group, params):
            out.append({"run_id": run_id, "metric": m, **summary_stats(metric_values(group, m))})
    return out


@dataclass(frozen=True)
class Halfwidth:
    """Stop when the 95% CI half-width of `metric` is at most `width` (x |mean| if relative)."""

    metric: str
    width: float
    relative: bool = False

    @classmethod
    def parse(cls, text: str) -> Halfwidth:
        """`METRIC=VALUE` or `METRIC=VALUE%`; raises `OptionError` naming `--halfwidth`."""
        metric, sep, value = text.partition("=")
        value = value.strip()
        relative = value.endswith("%")
        try:
            width = float(value.rstrip("%"))
        except ValueError:
            width = math.nan
        if not sep or not metric.strip() or not width > 0 or math.isinf(width):
            rule = "must look like METRIC=VALUE or METRIC=VALUE% with VALUE > 0"
            raise OptionError([Problem("--halfwidth", rule, text, True)])
        return cls(metric.strip(), width / 100 if relative else width, relative)

    def met(self, values: Sequence[float]) -> bool:
        """The rule holds for these values (never with fewer than 2)."""
        if len(values) < 2:
            return False
        lo, hi = mean_ci95(values)
        limit = self.width * abs(float(np.mean(values))) if self.relative else self.width
        return (hi - lo) / 2 <= limit


def _check_metrics(rules: Sequence[Halfwidth], rows: Sequence[Row]) -> None:
    known = metric_columns(rows)
    problems = []
    for rule in rules:
        if rule.metric not in known:
            close = difflib.get_close_matches(rule.metric, known, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            problems.append(
                Problem("--halfwidth", f"must name a numeric metric{hint}", rule.metric, True)
            )
    if problems:
        raise OptionError(problems)


def _first_met(rows: Sequence[Row], rules: Sequence[Halfwidth], start: int) -> int | None:
    """Smallest n >= start with every rule met on rows[:n], or None."""
    series = [metric_values(rows, r.metric) for r in rules]
    for n in range(max(start, 2), len(rows) + 1):
        if all(rule.met(v[:n]) for rule, v in zip(rules, series, strict=True)):
            return n
    return None


def _next_size(rows: Sequence[Row], rules: Sequence[Halfwidth], width: int, cap: int) -> int:
    """Next batch end: the estimated n for the widest-missed rule, at least a batch, at most x2."""
    n = len(rows)
    needed = n + width
    for rule in rules:
        v = metric_values(rows, rule.metric)
        if len(v) < 2:
            continue
        limit = rule.width * abs(float(np.mean(v))) if rule.relative else rule.width
        sd = float(np.std(v, ddof=1))
        if limit > 0 and sd > 0:
            t = float(stats.t.ppf(0.975, len(v) - 1))
            needed = max(needed, math.ceil((t * sd / limit) ** 2))
    return min(cap, max(n + width, min(needed, 2 * n)))


@dataclass(frozen=True)
class ReplicationRun:
    """The kept rows and whether the half-width rules were met (True when there were none)."""

    rows: list[Row]
    met: bool


def replicate(
    variant: Variant,
    executor: Executor,
    table: ResumableTable,
    replications: int,
    halfwidth: Sequence[Halfwidth] = (),
    max_replications: int = 200,
    progress: Progress | None = None,
) -> ReplicationRun:
    """`replications` runs, or with `halfwidth` rules: from that many until met or the cap."""
    if not halfwidth:
        rows = run_jobs(jobs_for([variant], range(replications)), executor, table, progress)
        return ReplicationRun(rows, True)
    start = max(2, replications)
    cap = max(start, max_replications)
    planned = start
    while True:
        jobs = jobs_for([variant], range(planned))
        rows = run_jobs(jobs, executor, table, progress)
        _check_metrics(halfwidth, rows)
        n = _first_met(rows, halfwidth, start)
        if n is not None:
            table.write(jobs[:n])  # replications past n were not needed: the table drops them
            return ReplicationRun(rows[:n], True)
        if planned >= cap:
            return ReplicationRun(rows, False)
        planned = _next_size(rows, halfwidth, executor.parallelism, cap)
