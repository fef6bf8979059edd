"""The Python API for researchers: scenarios in, pandas DataFrames out.

    from sim.api import load_scenario, simulate, replicate, describe, sweep, compare

Every function takes a scenario file path or a loaded `Scenario`, runs on common random numbers
(replication r of root seed s is the same in any variant, process or machine), and returns a
tidy DataFrame: one row per run with its identity (run id, scenario, replication, seed, params
hash, version), its parameters and every numeric summary metric. `out=` keeps the rows in a CSV
or Parquet file that an interrupted call resumes. The `fansim` command runs on these functions.

Execution: `workers=1` (the default here) runs in this process, `workers=N` in N local
processes, `scheduler="tcp://host:8786"` on a Dask cluster (`fansim[dask]`), or pass any
`executor=` from `sim.experiments.executors`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal, TypedDict, Unpack

import pandas as pd

from sim.errors import Problem, ScenarioError
from sim.experiments.compare import Ranking, compare_rows
from sim.experiments.executors import Executor, Progress, make_executor
from sim.experiments.replications import Halfwidth
from sim.experiments.replications import describe as describe_rows
from sim.experiments.replications import replicate as replicate_rows
from sim.experiments.rows import Row, metric_columns, numeric_metrics
from sim.experiments.runner import run_jobs
from sim.experiments.specs import GridAxis, Variant, expand_grid, jobs_for, parse_grid
from sim.experiments.table import ResumableTable
from sim.model.engine import RunSpec, run_one
from sim.results.campaign_tables import campaign_rows
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.scenario.load import load_scenario
from sim.scenario.schema import Scenario

__all__ = ["Options", "compare", "describe", "load_scenario", "replicate", "simulate", "sweep"]

ScenarioLike = str | Path | Scenario | tuple[str | Path, Sequence[str]]
"""A scenario file, a loaded scenario, or a file with its own overrides: `(path, ["a.b=1"])`."""
DEFAULT_COMPARE_METRICS = (
    "fans_final",
    "unfollows_total",
    "messages_to_humans",
    "messages_abandoned",
    "backlog_max",
    "backlog_final",
    "sla_first_response_met",
    "agent_utilization",
)
"""What `compare` reports unless told otherwise: fans kept, reply backlog and service level."""


def _scenario(scenario: ScenarioLike, overrides: Sequence[str] = ()) -> Scenario:
    if isinstance(scenario, tuple):
        path, own = scenario
        return load_scenario(path, [*overrides, *own])
    if isinstance(scenario, Scenario):
        if overrides:
            rule = "cannot apply to a loaded Scenario; pass its file path instead"
            raise ScenarioError([Problem("overrides", rule, list(overrides), True)])
        return scenario
    return load_scenario(scenario, list(overrides))


class Options(TypedDict, total=False):
    """Keywords every experiment function takes (`replicate`, `sweep`, `compare`)."""

    seed: int | None  # root seed; default: the (first) scenario's own
    overrides: Sequence[str]  # "path=value" applied to every variant, as `--set`
    workers: int | None  # local processes; 1 (default) runs here, None uses all cores
    scheduler: str | None  # Dask scheduler address, e.g. "tcp://10.0.0.5:8786"
    executor: Executor  # any executor, instead of workers / scheduler
    out: str | Path | None  # CSV or Parquet file that keeps (and resumes) the rows
    progress: Progress | None  # progress(done, total) after every run


def _executor(options: Options) -> Executor:
    given = options.get("executor")
    if given is not None:
        return given
    return make_executor(options.get("workers", 1), options.get("scheduler"))


def _table(options: Options, variants: Sequence[Variant]) -> ResumableTable:
    out = options.get("out")
    return ResumableTable(None if out is None else Path(out), variants)


def _frame(rows: Sequence[Row]) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(rows))


def simulate(
    scenario: ScenarioLike,
    seed: int | None = None,
    replication: int = 0,
    table: Literal["summary", "hourly", "daily", "campaigns"] = "summary",
    overrides: Sequence[str] = (),
) -> pd.DataFrame:
    """One run as a table: its summary (one row), hourly or daily series, or its campaigns.

    The summary row has the same columns as a row of `replicate`; `campaigns` gives
    campaigns.csv's rows (per campaign and day: reached, participants, shares, net follows).
    """
    sc = _scenario(scenario, overrides)
    spec = RunSpec(sc, sc.scenario.seed if seed is None else seed, replication)
    result = run_one(spec)
    if table == "summary":
        summary = summarize(result)
        ids = {k: summary[k] for k in ("scenario", "replication", "seed", "params_hash", "version")}
        return pd.DataFrame([{"run_id": sc.scenario.name, **ids, **numeric_metrics(summary)}])
    if table == "campaigns":
        return pd.DataFrame(campaign_rows(result))
    hourly = hourly_rows(result)
    return pd.DataFrame(hourly if table == "hourly" else daily_rows(result, hourly))


def replicate(
    scenario: ScenarioLike,
    replications: int = 10,
    *,
    halfwidth: Sequence[str | Halfwidth] = (),
    max_replications: int = 200,
    **options: Unpack[Options],
) -> pd.DataFrame:
    """Replications 0..R-1 of one scenario, one row each.

    With `halfwidth=["fans_final=500"]` (or `"fans_final=1%"`), `replications` is the starting
    number and more run until every named metric's 95% CI half-width is that narrow, or
    `max_replications`; `df.attrs["halfwidth_met"]` says which.
    """
    sc = _scenario(scenario, options.get("overrides", ()))
    seed = options.get("seed")
    variant = Variant(sc.scenario.name, sc, sc.scenario.seed if seed is None else seed)
    rules = [h if isinstance(h, Halfwidth) else Halfwidth.parse(h) for h in halfwidth]
    table = _table(options, [variant])
    progress = options.get("progress")
    with _executor(options) as ex:
        run = replicate_rows(variant, ex, table, replications, rules, max_replications, progress)
    df = _frame(run.rows)
    df.attrs["halfwidth_met"] = run.met
    return df


def describe(rows: pd.DataFrame) -> pd.DataFrame:
    """Per run id and metric: n, mean, std, 95% CI (Student t) and half-width.

    Takes the rows of `replicate` or `sweep` (a sweep's parameter columns are left out).
    """
    records: list[Row] = [
        {str(k): (None if pd.isna(v) else v) for k, v in r.items()} for r in rows.to_dict("records")
    ]
    return pd.DataFrame(describe_rows(records, rows.attrs.get("params", ())))


def _axes(grid: Mapping[str, Sequence[object]] | Sequence[str]) -> list[GridAxis]:
    if isinstance(grid, Mapping):
        return [GridAxis(p, tuple(_toml(v) for v in values)) for p, values in grid.items()]
    return [parse_grid(g) for g in grid]


def _toml(value: object) -> str:
    """A Python value as TOML value text (for grid points given as Python lists)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def sweep(
    scenario: str | Path,
    grid: Mapping[str, Sequence[object]] | Sequence[str],
    replications: int = 1,
    **options: Unpack[Options],
) -> pd.DataFrame:
    """Full factorial of `grid` x replications: one row per run, parameters as columns.

    `grid` maps dotted paths to values, e.g. `{"service.shifts[0].agents": [6, 7, 8]}`, or is
    a list of `"path=v1,v2"` strings as on the command line.
    """
    variants = expand_grid(scenario, _axes(grid), options.get("seed"), options.get("overrides", ()))
    table = _table(options, variants)
    jobs = jobs_for(variants, range(replications))
    with _executor(options) as ex:
        rows = run_jobs(jobs, ex, table, options.get("progress"))
    df = _frame(rows)
    df.attrs["params"] = table.params
    return df


def compare_variants(
    variants: Sequence[ScenarioLike] | Mapping[str, ScenarioLike],
    seed: int | None,
    overrides: Sequence[str],
    independent: bool,
) -> list[Variant]:
    """Variants named by their scenario (or by the mapping's keys), all on one root seed.

    `independent=True` gives variant k the root seed + k instead: no common random numbers, for
    measuring what they buy.
    """
    named = variants.items() if isinstance(variants, Mapping) else [(None, v) for v in variants]
    out: list[Variant] = []
    root: int | None = seed
    for k, (name, v) in enumerate(named):
        sc = _scenario(v, overrides)
        root = sc.scenario.seed if root is None else root
        label = name or sc.scenario.name
        taken = {x.run_id for x in out}
        run_id = label if label not in taken else f"{label}#{k + 1}"
        out.append(Variant(run_id, sc, root + k if independent else root))
    if len(out) < 2:
        raise ScenarioError([Problem("variants", "compare needs at least two", len(out), True)])
    return out


def compare(
    variants: Sequence[ScenarioLike] | Mapping[str, ScenarioLike],
    replications: int = 10,
    *,
    metrics: Sequence[str] | None = None,
    rank: str = "fans_final",
    maximize: bool = True,
    independent: bool = False,
    **options: Unpack[Options],
) -> pd.DataFrame:
    """Variants on the same seeds, compared metric by metric.

    Per variant and metric: the mean and CI, the paired difference from the first variant with
    its CI, and for `rank` the rank and the probability of being best.

    `out` keeps the per-replication rows (CSV or Parquet) and resumes from them.
    """
    vs = compare_variants(variants, options.get("seed"), options.get("overrides", ()), independent)
    table = _table(options, vs)
    with _executor(options) as ex:
        rows = run_jobs(jobs_for(vs, range(replications)), ex, table, options.get("progress"))
    shown = list(metrics) if metrics is not None else list(DEFAULT_COMPARE_METRICS)
    known = metric_columns(rows)
    missing = [m for m in [*shown, rank] if m not in known]
    if missing:
        rule = "must name numeric summary metrics (e.g. fans_final, backlog_max)"
        raise ScenarioError([Problem("metrics", rule, missing, True)])
    table_rows = compare_rows(
        rows, [v.run_id for v in vs], shown, Ranking(rank, maximize), vs[0].seed
    )
    return pd.DataFrame(table_rows)
