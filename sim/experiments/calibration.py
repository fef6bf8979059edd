"""Calibration: every field fact beside the model's value, over replications.

A `Target` names a fact (with its source tag from shared/seed-facts.md), the scenario that
should reproduce it, a measure computed from a run, and a tolerance. `calibrate` runs the
replications and `calibration_markdown` writes the table that docs/calibration.md holds. The facts
are only ever compared with, never fed into, the model.
"""

from __future__ import annotations

import datetime as dt
import pickle
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from sim.model.engine import ModelResult, RunSpec, run_one
from sim.results.stats import mean_ci95
from sim.results.summary import summarize
from sim.scenario.load import load_scenario

__all__ = [
    "TARGETS",
    "Measure",
    "Status",
    "Target",
    "TargetResult",
    "calibrate",
    "calibration_markdown",
]

Measure = Callable[[ModelResult], float]


# The built-in measures are small frozen dataclasses rather than closures so that they pickle:
# with `workers > 1` each job carries its targets' measures to a worker process.


@dataclass(frozen=True)
class _FansOn:
    date: str

    def __call__(self, r: ModelResult) -> float:
        assert r.followers is not None, "the scenario has no follower model"
        d = (dt.date.fromisoformat(self.date) - r.spec.scenario.scenario.start).days
        return float(r.followers.fans[d])


@dataclass(frozen=True)
class _Growth:
    first: str
    last: str

    def __call__(self, r: ModelResult) -> float:
        return _FansOn(self.last)(r) / _FansOn(self.first)(r) - 1.0


@dataclass(frozen=True)
class _Share:
    sources: tuple[str, ...]

    def __call__(self, r: ModelResult) -> float:
        by_source = summarize(r)["fans_by_source"]
        total = sum(by_source.values())
        return sum(by_source.get(s, 0) for s in self.sources) / total if total else float("nan")


@dataclass(frozen=True)
class _LastDay:
    column: str

    def __call__(self, r: ModelResult) -> float:
        per_day = round(1440 / r.interval_minutes)
        return float(getattr(r, self.column)[-per_day:].sum())


def _last_day_auto_share(r: ModelResult) -> float:
    return _LastDay("auto_replied")(r) / _LastDay("received")(r)


@dataclass(frozen=True)
class _SummaryKey:
    key: str

    def __call__(self, r: ModelResult) -> float:
        return float(summarize(r)[self.key])


@dataclass(frozen=True)
class _TakingPart:
    """Campaign participants (each campaign day's, summed) over the fans on `date`."""

    date: str

    def __call__(self, r: ModelResult) -> float:
        return _SummaryKey("participants")(r) / _FansOn(self.date)(r)


@dataclass(frozen=True)
class _UnfollowRise:
    """Unfollow rate (unfollows / fans a day) over the week to `late` over the week to `early`."""

    early: str
    late: str

    def __call__(self, r: ModelResult) -> float:
        tr = r.followers
        assert tr is not None, "the scenario has no follower model"

        def rate(date: str) -> float:
            d = (dt.date.fromisoformat(date) - r.spec.scenario.scenario.start).days
            fans = np.maximum(tr.fans[d - 7 : d].astype(float), 1.0)  # fans the evening before
            return float(np.mean(tr.unfollows[d - 6 : d + 1] / fans))

        return rate(self.late) / rate(self.early)


Status = Literal["fitted", "solved back", "predicted", "open"]
"""How a fact meets the model: parameters `fitted` to it (with others, by hand); a rate
`solved back` from it; `predicted` (nothing was set for it); `open`: a check the model does
not meet yet (reported, not required)."""


@dataclass(frozen=True)
class Target:
    """One fact, the scenario and measure that should reproduce it, and the tolerance.

    `scenario` is a file name under the scenario folder given to `calibrate` (or an absolute
    path); `measure` is any function of a finished run. With `workers > 1` it must pickle (a
    module-level function or a dataclass instance, not a lambda).
    """

    fact: str
    source: str
    scenario: str
    measure_name: str
    measure: Measure
    low: float
    high: float
    fmt: str = ",.0f"
    status: Status = "fitted"
    note: str = ""  # what the status does not say (written below the table)


Q1 = "xiaomi_2013q1.toml"
FEST = "mifan_festival_2013.toml"
Q1_NB = "xiaomi_2013q1_no_backend.toml"
LATER = "xiaomi_2013_later.toml"
FEST_LEVERS = "mifan_festival_2013_levers.toml"

TARGETS: tuple[Target, ...] = (
    Target(
        "~50k fans after < 1 month (40k-60k)",
        "A",
        Q1,
        "fans on 2013-01-28",
        _FansOn("2013-01-28"),
        40_000,
        60_000,
    ),
    Target(
        "growth stalls near 50k without a back end (40k-60k)",
        "A",
        Q1,
        "fans on 2013-02-28",
        _FansOn("2013-02-28"),
        40_000,
        60_000,
    ),
    Target(
        "~800k fans on 2013-04-09 (+-10%)",
        "A",
        Q1,
        "fans on 2013-04-09",
        _FansOn("2013-04-09"),
        720_000,
        880_000,
    ),
    Target(
        ">10% of fans from Weibo (+-5 points)",
        "A",
        Q1,
        "share from weibo",
        _Share(("weibo",)),
        0.05,
        0.15,
        ".3f",
    ),
    Target(
        "~30% of fans from campaigns (+-5 points)",
        "A",
        Q1,
        "share from campaigns",
        _Share(("campaign",)),
        0.25,
        0.35,
        ".3f",
    ),
    Target(
        "~60% from official site, forum and e-commerce (+-5 points)",
        "A",
        Q1,
        "share from site+forum+store",
        _Share(("site_forum_store",)),
        0.55,
        0.65,
        ".3f",
    ),
    Target(
        "40-50% of fans join the monthly big event (March: the 3-day 非常6+1 quiz)",
        "A, B",
        Q1,
        "quiz participants / fans on 2013-03-08",
        _TakingPart("2013-03-08"),
        0.40,
        0.50,
        ".3f",
        note="the quiz's turnout comes from its two pushes (assumed) and the account's "
        "`[response]`, whose `take_up` (0.9) was fitted to this fact.",
    ),
    Target(
        "~30,000 inbound messages a day at ~800k fans (+-20%)",
        "B",
        Q1,
        "messages on 2013-04-09",
        _LastDay("received"),
        24_000,
        36_000,
        status="solved back",
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
        status="solved back",
    ),
    Target(
        "no back end: fans stay below 100k on 2013-04-09",
        "A",
        Q1_NB,
        "fans on 2013-04-09",
        _FansOn("2013-04-09"),
        0,
        100_000,
    ),
    Target(
        "no back end: growth flattens (last week < 5%)",
        "A",
        Q1_NB,
        "growth 2013-04-02 to 04-09",
        _Growth("2013-04-02", "2013-04-09"),
        -1.0,
        0.05,
        ".3f",
    ),
    Target(
        "米粉节: more than 200,000 fans took part",
        "A",
        FEST,
        "participants",
        _SummaryKey("participants"),
        200_000,
        400_000,
        status="solved back",
        note="typed in: `participation` = 0.45 was set for this fact, so that the surge the "
        "back end and the load tests meet stays the reference one. The next row predicts the "
        "turnout from the levers instead; with `[response]` defaults (not fitted to the quiz) "
        "the same levers would give ~95k (seed 1).",
    ),
    Target(
        "米粉节: more than 200,000 fans took part, turnout from the levers",
        "A",
        FEST_LEVERS,
        "participants",
        _SummaryKey("participants"),
        200_000,
        400_000,
        status="fitted",
        note="the response fitted to March's quiz (`take_up`; `push_awareness` = 0.6 assumed) "
        "with the festival's own levers: 12 phones [A] at 1,999 RMB and one push (both "
        "assumed, and chosen with this fact in view, so the row is not an out-of-sample "
        "prediction). The push count matters: with no push the model gives ~132k (outside), "
        "with two ~391k, with no prize value ~298k (3 replications, seed 2013).",
    ),
    Target(
        "米粉节: the back-end servers were overwhelmed (>= 10% of messages fail)",
        "A",
        FEST,
        "share of messages failed at the server",
        _SummaryKey("server_failed_share"),
        0.10,
        1.0,
        ".3f",
        status="predicted",
    ),
    Target(
        "the unfollow rate rises as the audience grows",
        "A",
        Q1,
        "unfollow rate, week to 04-09 / week to 03-15",
        _UnfollowRise("2013-03-15", "2013-04-09"),
        1.0,
        1e9,
        ".2f",
    ),
    Target(
        "~1.06M fans later in 2013 (+-15%; taken as 2013-09-30, assumed)",
        "B",
        LATER,
        "fans on 2013-09-30",
        _FansOn("2013-09-30"),
        900_000,
        1_220_000,
        note="the flagship's fans peak at ~1.12M near 2013-05-30 and then fall (1.11M on 06-30, "
        "1.06M on 07-31, 1.02M on 08-31, 0.98M on 09-30; seed 2013): the casual fans' churn "
        "outgrows a slowing inflow. No fact supports that decline; the tolerance holds at every "
        "month end from May to September, so this checks the level, not the shape.",
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


Job = tuple[Path, int, int, tuple[Measure, ...]]


def _run_measures(job: Job) -> list[float]:
    path, seed, replication, measures = job
    result = run_one(RunSpec(load_scenario(path), seed, replication))
    return [measure(result) for measure in measures]


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool and reports it once."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_picklable(targets: Sequence[Target]) -> None:
    for t in targets:
        try:
            pickle.dumps(t.measure)
        except (pickle.PicklingError, AttributeError, TypeError) as exc:
            raise ValueError(
                f"target {t.measure_name!r}: its measure cannot be sent to a worker process "
                f"({exc}); use a module-level function, or workers=1"
            ) from None


def _run_jobs(
    jobs: Sequence[Job], workers: int, progress: Callable[[int, int], None] | None
) -> list[list[float]]:
    """Each job's measured values, in job order; `progress` hears of every finished job."""
    done: list[list[float]] = [[] for _ in jobs]
    if workers == 1:
        for k, job in enumerate(jobs):
            done[k] = _run_measures(job)
            if progress is not None:
                progress(k + 1, len(jobs))
        return done
    pool = ProcessPoolExecutor(workers, initializer=_ignore_sigint)
    try:
        futures = {pool.submit(_run_measures, job): k for k, job in enumerate(jobs)}
        for finished, future in enumerate(as_completed(futures), start=1):
            done[futures[future]] = future.result()
            if progress is not None:
                progress(finished, len(jobs))
    finally:  # on an error or Ctrl-C, queued runs are dropped instead of waited for
        pool.shutdown(wait=True, cancel_futures=True)
    return done


def calibrate(
    scenario_dir: Path,
    replications: int = 10,
    seed: int = 2013,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    targets: Sequence[Target] = TARGETS,
) -> list[TargetResult]:
    """Run every target's scenario `replications` times (child seeds of `seed`).

    `targets` may be any targets, not only the built-in `TARGETS`; targets on the same scenario
    share its runs. `progress(done, total)` is called as each run finishes, in either mode.
    """
    if workers > 1:
        _check_picklable(targets)
    by_file: dict[Path, list[int]] = {}
    for i, t in enumerate(targets):
        by_file.setdefault(scenario_dir / t.scenario, []).append(i)
    jobs = [
        (path, seed, r, tuple(targets[i].measure for i in idx))
        for path, idx in by_file.items()
        for r in range(replications)
    ]
    owners = [idx for idx in by_file.values() for _ in range(replications)]
    values = [[0.0] * replications for _ in targets]
    for job, idx, measured in zip(jobs, owners, _run_jobs(jobs, workers, progress), strict=True):
        for i, v in zip(idx, measured, strict=True):
            values[i][job[2]] = v
    return [TargetResult(t, tuple(v)) for t, v in zip(targets, values, strict=True)]


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
        "*status*: `fitted` = parameters were set (by hand, jointly) to meet this fact; `solved "
        "back` = a rate was computed from the fact itself; `predicted` = nothing was set for it; "
        "`open` = a check the model does not meet yet (reported, not required by the tests).",
        "",
        f"**{passed} of {len(results)} within tolerance.**",
        "",
        "| fact | source | scenario | measure | model mean | 95% CI | tolerance | within "
        "| status |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t, (lo, hi) = r.target, r.ci95
        f = t.fmt
        lines.append(
            f"| {t.fact} | [{t.source}] | `{t.scenario}` | {t.measure_name} | {r.mean:{f}} | "
            f"{lo:{f}} – {hi:{f}} | {t.low:{f}} – {t.high:{f}} | "
            f"{'yes' if r.within else 'NO'} | {t.status} |"
        )
    notes = [r.target for r in results if r.target.note]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {t.fact}: {t.note}" for t in notes]
    return "\n".join(lines) + "\n"
