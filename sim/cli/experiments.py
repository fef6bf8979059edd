"""`fansim run --replications`, `fansim compare` and `fansim sweep`: many runs from the shell.

Thin wrappers over `sim.api`: parse and validate arguments, show a progress bar, write the
tables, print a summary. Ctrl-C keeps every finished row on disk (exit code 130); running the
same command again computes only the missing rows.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from sim.cli.options import add_execution, count_arg
from sim.cli.progress import Progress
from sim.cli.report import (
    add_report_option,
    check_sweep_report,
    finish_report,
    finish_sweep_report,
)
from sim.experiments.table import write_rows

if TYPE_CHECKING:  # pandas and the API load only when an experiment runs (CLI start-up)
    import pandas as pd

    from sim import api

__all__ = ["COMMANDS", "add_commands", "add_run_options", "run_replications", "wants_replications"]

INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C

Command = Callable[[argparse.Namespace, Console], int]


def _add_seed_and_sets(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=count_arg(0), help="root seed (default: the scenario's seed)")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field in every variant, e.g. service.shifts[0].agents=9 (repeatable)",
    )


def add_run_options(run: argparse.ArgumentParser) -> None:
    """Options `fansim run` gains for replications (its other options stay in main)."""
    g = run.add_argument_group("replications")
    g.add_argument(
        "--replications",
        type=count_arg(1),
        help="run replications 0..R-1 and write replications.csv and replications_summary.csv",
    )
    g.add_argument(
        "--halfwidth",
        action="append",
        default=[],
        metavar="METRIC=VALUE",
        help="add replications until the 95%% CI half-width of METRIC is at most VALUE "
        "(or VALUE%% of the mean); --replications is then the starting number (default 5)",
    )
    g.add_argument(
        "--max-replications",
        type=count_arg(2),
        default=200,
        help="cap for --halfwidth (default 200)",
    )
    add_execution(run)


def wants_replications(args: argparse.Namespace) -> bool:
    """`fansim run` was asked for replications rather than one run."""
    return args.replications is not None or bool(args.halfwidth)


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _options(args: argparse.Namespace, out: Path, bar: Progress) -> api.Options:
    """The execution options every command passes to the API."""
    return {
        "seed": args.seed,
        "overrides": args.overrides,
        "workers": args.workers,
        "scheduler": args.scheduler,
        "out": out,
        "progress": bar,
    }


def _bar(label: str) -> Progress:
    """Runs done of all, from the first; rows resumed from the table count as done before."""
    return Progress(label, after_seconds=0.0, unit="run", resumes=True)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a table as plain dicts, missing values as None."""
    import pandas as pd

    return [
        {str(k): (None if pd.isna(v) else v) for k, v in r.items()} for r in df.to_dict("records")
    ]


def _interrupted(console: Console, path: Path) -> int:
    console.print(f"interrupted: finished rows kept in {path}; run the same command to resume")
    return INTERRUPTED


EXTRA_SHOWN = ("messages_received", "response_p90_minutes")


def run_replications(args: argparse.Namespace, console: Console) -> int:
    """`fansim run SCENARIO --replications R [--halfwidth M=V]`."""
    from sim import api

    rows_path = args.out / "replications.csv"
    start = args.replications or 5
    try:
        with _bar("replications") as bar:
            rows = api.replicate(
                args.scenario,
                start,
                halfwidth=args.halfwidth,
                max_replications=args.max_replications,
                **_options(args, rows_path, bar),
            )
    except KeyboardInterrupt:
        return _interrupted(console, rows_path)
    stats = api.describe(rows)
    summary_path = args.out / "replications_summary.csv"
    write_rows(summary_path, _records(stats.drop(columns="run_id")))
    if not args.quiet:
        table = Table(title=f"{rows['scenario'].iloc[0]}: {len(rows)} replications")
        for col in ("metric", "mean", "std", "95% CI", "± half-width"):
            table.add_column(col, justify="left" if col == "metric" else "right")
        shown = stats[stats["metric"].isin((*api.DEFAULT_COMPARE_METRICS, *EXTRA_SHOWN))]
        for r in _records(shown):
            ci = f"{_fmt(r['ci_low'])} – {_fmt(r['ci_high'])}"
            table.add_row(r["metric"], _fmt(r["mean"]), _fmt(r["std"]), ci, _fmt(r["halfwidth"]))
        console.print(table)
        if args.halfwidth and not rows.attrs["halfwidth_met"]:
            console.print(f"half-width not reached within {args.max_replications} replications")
        console.print(f"wrote {rows_path}, {summary_path}")
    return finish_report(args, args.out, console)


def _rank(text: str) -> tuple[str, bool]:
    metric, _, way = text.partition(":")
    if way not in ("", "max", "min") or not metric:
        raise argparse.ArgumentTypeError(
            f"must look like METRIC, METRIC:max or METRIC:min (got {text!r})"
        )
    return metric, way != "min"


def _metrics(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    if not names:
        raise argparse.ArgumentTypeError("must name at least one metric")
    return names


def _cmd_compare(args: argparse.Namespace, console: Console) -> int:
    from sim import api

    runs_path = args.out / "compare_runs.csv"
    metric, maximize = args.rank
    try:
        with _bar("compare") as bar:
            table = api.compare(
                args.scenarios,
                args.replications,
                metrics=args.metrics,
                rank=metric,
                maximize=maximize,
                independent=args.independent,
                **_options(args, runs_path, bar),
            )
    except KeyboardInterrupt:
        return _interrupted(console, runs_path)
    out_path = args.out / "comparison.csv"
    write_rows(out_path, _records(table))
    _print_comparison(console, table, args.replications, metric, maximize)
    console.print(f"wrote {out_path}, {runs_path}")
    return finish_report(args, args.out, console)


def _print_comparison(
    console: Console, table: pd.DataFrame, replications: int, metric: str, maximize: bool
) -> None:
    rows = _records(table)
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    first = variants[0]
    t = Table(title=f"{replications} replications on common random numbers; Δ vs {first}")
    t.add_column("metric")
    for v in variants:
        t.add_column(v if v == first else f"{v}\nΔ vs first [95% CI]", justify="right")
    by_metric: dict[str, list[str]] = {}
    for r in rows:
        cell = f"{_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
        if r["variant"] != first:
            diff = f"Δ {_fmt(r['diff_mean'])} [{_fmt(r['diff_ci_low'])}, {_fmt(r['diff_ci_high'])}]"
            cell = f"{_fmt(r['mean'])}\n{diff}"
        by_metric.setdefault(r["metric"], []).append(cell)
    for m, cells in by_metric.items():
        t.add_row(m, *cells)
    console.print(t)
    ranked = sorted((r for r in rows if r["metric"] == metric), key=lambda r: r["rank"])
    rank = Table(title=f"ranking by {metric} ({'higher' if maximize else 'lower'} is better)")
    for col in ("rank", "variant", "mean", "P(best)"):
        rank.add_column(col, justify="right" if col != "variant" else "left")
    for r in ranked:
        rank.add_row(str(int(r["rank"])), r["variant"], _fmt(r["mean"]), f"{r['p_best']:.3f}")
    console.print(rank)


def _cmd_sweep(args: argparse.Namespace, console: Console) -> int:
    from sim import api

    check_sweep_report(args)
    try:
        with _bar("sweep") as bar:
            rows = api.sweep(
                args.scenario, args.grid, args.replications, **_options(args, args.out, bar)
            )
    except KeyboardInterrupt:
        return _interrupted(console, args.out)
    runs = rows["run_id"].nunique()
    console.print(
        f"{runs} grid points x {args.replications} replications = {len(rows)} rows; "
        f"wrote {args.out}"
    )
    return finish_sweep_report(args, console)


def add_commands(sub: Any) -> None:
    """Register `compare` and `sweep` on the `fansim` sub-parsers."""
    cmp = sub.add_parser(
        "compare", help="run scenarios on the same seeds; paired differences and a ranking"
    )
    cmp.add_argument(
        "scenarios", type=Path, nargs="+", help="scenario files, the first is the base"
    )
    cmp.add_argument("--replications", type=count_arg(2), default=10, help="per variant (10)")
    _add_seed_and_sets(cmp)
    cmp.add_argument(
        "--metrics",
        type=_metrics,
        help="comma-separated metrics to show (default: fans, backlog and SLA figures)",
    )
    cmp.add_argument(
        "--rank",
        type=_rank,
        default=("fans_final", True),
        metavar="METRIC[:max|min]",
        help="rank variants by this metric (default fans_final:max)",
    )
    cmp.add_argument(
        "--independent",
        action="store_true",
        help="give each variant its own seed (no common random numbers; to measure their gain)",
    )
    cmp.add_argument("--out", type=Path, default=Path("out/compare"), help="folder (out/compare)")
    add_execution(cmp)
    add_report_option(cmp)

    sw = sub.add_parser("sweep", help="full factorial of parameter values x replications")
    sw.add_argument("scenario", type=Path, help="scenario TOML file")
    sw.add_argument(
        "--grid",
        action="append",
        required=True,
        metavar="PATH=V1,V2,...",
        help="values of one field (TOML syntax, as for --set); repeat for more axes",
    )
    sw.add_argument("--replications", type=count_arg(1), default=1, help="per grid point (1)")
    _add_seed_and_sets(sw)
    sw.add_argument(
        "--out",
        type=Path,
        default=Path("out/sweep.csv"),
        help="table file, .csv or .parquet (default out/sweep.csv)",
    )
    add_execution(sw)
    add_report_option(sw, "OUT with .html (a .csv OUT only)")


COMMANDS: dict[str, Command] = {"compare": _cmd_compare, "sweep": _cmd_sweep}
