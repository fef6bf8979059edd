"""Calibration: every field fact beside the model's value, over replications.

A `Target` names a fact (with its source tag from shared/seed-facts.md), the scenario that
should reproduce it, a measure computed from a run, and a tolerance. `calibrate` runs the
replications and `calibration_markdown` writes the table that docs/calibration.md holds. The facts
are only ever compared with, never fed into, the model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.experiments.executors import make_executor, run_ordered
from sim.model.engine import ModelResult, RunSpec, run_one
from sim.results.stats import mean_ci95
from sim.results.summary import summarize
from sim.scenario.load import load_scenario

__all__ = ["TARGETS", "Target", "TargetResult", "calibrate", "calibration_markdown"]

Measure = Callable[[ModelResult], float]


def _fans_on(date: str) -> Measure:
    def measure(r: ModelResult) -> float:
        assert r.followers is not None, "the scenario has no follower model"
        d = (dt.date.fromisoformat(date) - r.spec.scenario.scenario.start).days
        return float(r.followers.fans[d])

    return measure


def _growth(first: str, last: str) -> Measure:
    a, b = _fans_on(first), _fans_on(last)
    return lambda r: b(r) / a(r) - 1.0


def _share(*sources: str) -> Measure:
    def measure(r: ModelResult) -> float:
        by_source = summarize(r)["fans_by_source"]
        total = sum(by_source.values())
        return sum(by_source.get(s, 0) for s in sources) / total if total else float("nan")

    return measure


def _last_day(column: str) -> Measure:
    def measure(r: ModelResult) -> float:
        per_day = round(1440 / r.interval_minutes)
        return float(getattr(r, column)[-per_day:].sum())

    return measure


def _last_day_auto_share(r: ModelResult) -> float:
    return _last_day("auto_replied")(r) / _last_day("received")(r)


@dataclass(frozen=True)
class Target:
    """One fact, the scenario and measure that should reproduce it, and the tolerance."""

    fact: str
    source: str
    scenario: str
    measure_name: str
    measure: Measure
    low: float
    high: float
    fmt: str = ",.0f"


def _summary(key: str) -> Measure:
    return lambda r: float(summarize(r)[key])


Q1 = "xiaomi_2013q1.toml"
FEST = "mifan_festival_2013.toml"
Q1_NB = "xiaomi_2013q1_no_backend.toml"

TARGETS: tuple[Target, ...] = (
    Target(
        "~50k fans after < 1 month (40k-60k)",
        "A",
        Q1,
        "fans on 2013-01-28",
        _fans_on("2013-01-28"),
        40_000,
        60_000,
    ),
    Target(
        "growth stalls near 50k without a back end (40k-60k)",
        "A",
        Q1,
        "fans on 2013-02-28",
        _fans_on("2013-02-28"),
        40_000,
        60_000,
    ),
    Target(
        "~800k fans on 2013-04-09 (+-10%)",
        "A",
        Q1,
        "fans on 2013-04-09",
        _fans_on("2013-04-09"),
        720_000,
        880_000,
    ),
    Target(
        ">10% of fans from Weibo (+-5 points)",
        "A",
        Q1,
        "share from weibo",
        _share("weibo"),
        0.05,
        0.15,
        ".3f",
    ),
    Target(
        "~30% of fans from campaigns (+-5 points)",
        "A",
        Q1,
        "share from campaigns",
        _share("campaign"),
        0.25,
        0.35,
        ".3f",
    ),
    Target(
        "~60% from official site, forum and e-commerce (+-5 points)",
        "A",
        Q1,
        "share from site+forum+store",
        _share("site_forum_store"),
        0.55,
        0.65,
        ".3f",
    ),
    Target(
        "~30,000 inbound messages a day at ~800k fans (+-20%)",
        "B",
        Q1,
        "messages on 2013-04-09",
        _last_day("received"),
        24_000,
        36_000,
    ),
    Target(
        "~28,000 of 30,000 auto-replied, 93.3% (+-2 points)",
        "B",
        Q1,
        "auto-replied share on 2013-04-09",
        _last_day_auto_share,
        0.913,
        0.953,
        ".3f",
    ),
    Target(
        "no back end: fans stay below 100k on 2013-04-09",
        "A",
        Q1_NB,
        "fans on 2013-04-09",
        _fans_on("2013-04-09"),
        0,
        100_000,
    ),
    Target(
        "no back end: growth flattens (last week < 5%)",
        "A",
        Q1_NB,
        "growth 2013-04-02 to 04-09",
        _growth("2013-04-02", "2013-04-09"),
        -1.0,
        0.05,
        ".3f",
    ),
    Target(
        "米粉节: more than 200,000 fans took part",
        "A",
        FEST,
        "participants",
        _summary("participants"),
        200_000,
        400_000,
    ),
    Target(
        "米粉节: the back-end servers were overwhelmed (>= 10% of messages fail)",
        "A",
        FEST,
        "share of messages failed at the server",
        _summary("server_failed_share"),
        0.10,
        1.0,
        ".3f",
    ),
)


@dataclass(frozen=True)
class TargetResult:
    """A target with the model's mean, 95% CI and per-replication values."""

    target: Target
    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean over replications."""
        return float(np.mean(self.values))

    @property
    def ci95(self) -> tuple[float, float]:
        """Student-t 95% confidence interval of the mean."""
        return mean_ci95(self.values)

    @property
    def within(self) -> bool:
        """The mean lies inside the tolerance."""
        return self.target.low <= self.mean <= self.target.high


def _run_measures(args: tuple[Path, int, int, tuple[int, ...]]) -> tuple[int, list[float]]:
    path, seed, replication, indices = args
    result = run_one(RunSpec(load_scenario(path), seed, replication))
    return replication, [TARGETS[i].measure(result) for i in indices]


def calibrate(
    scenario_dir: Path,
    replications: int = 10,
    seed: int = 2013,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    targets: Sequence[Target] = TARGETS,
) -> list[TargetResult]:
    """Run every target's scenario `replications` times (child seeds of `seed`)."""
    by_file: dict[str, list[int]] = {}
    for t in targets:
        by_file.setdefault(t.scenario, []).append(TARGETS.index(t))
    jobs = [
        (scenario_dir / name, seed, r, tuple(idx))
        for name, idx in by_file.items()
        for r in range(replications)
    ]
    values: dict[int, list[float]] = {i: [0.0] * replications for i in range(len(TARGETS))}
    with make_executor(workers) as executor:
        done = run_ordered(executor, _run_measures, jobs, progress)
    for job, (rep, measured) in zip(jobs, done, strict=True):
        for i, v in zip(job[3], measured, strict=True):
            values[i][rep] = v
    return [TargetResult(t, tuple(values[TARGETS.index(t)])) for t in targets]


def calibration_markdown(results: Sequence[TargetResult], replications: int, seed: int) -> str:
    """The calibration table as Markdown."""
    passed = sum(r.within for r in results)
    lines = [
        "# Calibration",
        "",
        "Generated by `fansim calibrate` "
        f"(`--replications {replications} --seed {seed}`); do not edit by hand.",
        "Every fact from `shared/seed-facts.md` (source tags [A]-[E]) beside the model's mean",
        "and 95% confidence interval over the replications; *within* means the mean lies in the",
        "tolerance. The facts are compared with, never written into, the model: see",
        "[model.md](model.md) for the mechanisms and which fact informs each parameter.",
        "",
        f"**{passed} of {len(results)} within tolerance.**",
        "",
        "| fact | source | scenario | measure | model mean | 95% CI | tolerance | within |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t, (lo, hi) = r.target, r.ci95
        f = t.fmt
        lines.append(
            f"| {t.fact} | [{t.source}] | `{t.scenario}` | {t.measure_name} | {r.mean:{f}} | "
            f"{lo:{f}} – {hi:{f}} | {t.low:{f}} – {t.high:{f}} | {'yes' if r.within else 'NO'} |"
        )
    return "\n".join(lines) + "\n"
