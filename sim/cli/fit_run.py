"""The bodies of `fansim fit`, `forecast` and `backtest` (docs/inference.md).

Imported only when one of them runs (`sim.cli.fit` holds the parsers), so pandas, matplotlib and
the inference code do not weigh on every other command's start-up and memory.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table

from sim.cli.progress import Progress
from sim.errors import OptionError, Problem
from sim.experiments.executors import make_executor
from sim.inference.backtest import BASELINES, EVENT_BASELINES, backtest, summary_rows
from sim.inference.data import read_history
from sim.inference.event_backtest import event_backtest
from sim.inference.events import read_events, read_facts
from sim.inference.fit import fit
from sim.inference.forecast import (
    EARLY_R,
    EVENT_COLUMNS,
    Forecast,
    event_headlines,
    event_rows,
    forecast,
    headlines,
    load_posterior,
    quantile_rows,
)
from sim.inference.outputs import published, write_fit
from sim.inference.priors import FitConfig, load_fit_config, load_truth

__all__ = ["cmd_backtest", "cmd_fit", "cmd_forecast"]


def _config(args: argparse.Namespace) -> FitConfig:
    cfg = load_fit_config(args.priors)
    if args.particles is not None:
        cfg = dataclasses.replace(cfg, particles=args.particles)
    if args.generations is not None:
        cfg = dataclasses.replace(cfg, generations=args.generations)
    return cfg


def cmd_fit(args: argparse.Namespace, console: Console) -> int:
    """Fit, write the fit's files, print the posterior table and any identification warning."""
    cfg = _config(args)
    history = None if args.history is None else read_history(args.history)
    events = [] if args.events is None else read_events(args.events)
    facts = [] if args.facts is None else read_facts(args.facts)
    with (
        make_executor(args.workers, args.scheduler) as ex,
        Progress("fit", unit="simulation") as bar,
    ):
        result = fit(str(args.scenario), cfg, history, args.seed, ex, events, facts, bar)
        diag = write_fit(result, args.out, ex)
    table = Table(title=f"posterior ({diag['simulations']:,} simulations)")
    for col in ("parameter", "median", "80% interval", "sd / prior sd"):
        table.add_column(col)
    for path, p in diag["parameters"].items():
        table.add_row(
            path,
            f"{p['q50']:.4g}",
            f"{p['q10']:.4g} - {p['q90']:.4g}",
            f"{p['sd_ratio_to_prior']:.2f}",
        )
    console.print(table)
    for warning in diag["warnings"]:
        console.print(f"warning: {warning}")
    console.print(f"wrote {args.out}")
    return 0


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height))  # no pyplot: nothing global (sim.reports.plotting)
    FigureCanvasAgg(fig)
    return fig


def _band_figure(rows: list[dict[str, Any]], path: Path) -> None:
    frame = pd.DataFrame(rows)
    metrics = frame["metric"].unique()
    fig = _figure(9, 2 * len(metrics))
    axes = fig.subplots(len(metrics), 1, sharex=True)
    for ax, (metric, part) in zip(axes, frame.groupby("metric", sort=False), strict=True):
        days = pd.to_datetime(part["date"])
        ax.fill_between(days, part["q2.5"], part["q97.5"], alpha=0.2, label="95%")
        ax.fill_between(days, part["q10"], part["q90"], alpha=0.35, label="80%")
        ax.plot(days, part["q50"], lw=1, label="median")
        ax.set_ylabel(str(metric))
        ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})


def _shown(x: float, figure: str) -> str:
    """A count with thousands separators; the early R (a ratio) to 2 decimals; none as '-'."""
    if math.isnan(x):
        return "-"
    return format(x, ".2f" if figure == EARLY_R else ",.0f")


def _event_report(fc: Forecast, rows: list[dict[str, Any]], asked: bool) -> list[str]:
    """The per-event part of the report: a sentence per campaign ahead and a table, or a line."""
    if not asked:
        return ["Per-event forecasts were not asked for (--no-events)."]
    if not fc.events:
        origin = fc.dates[0] - dt.timedelta(days=1)
        return [f"No campaign of the scenario runs after {origin}: no per-event forecast."]
    table = Table(title="campaigns ahead: their days after the data end")
    for col in ("campaign", "days counted", "figure", "median", "80% interval"):
        table.add_column(col)
    for r in rows:
        first, last = r["counted_from"], r["counted_to"]
        days = first if first == last else f"{first} - {last}"
        q10, q50, q90 = (_shown(r[q], r["figure"]) for q in ("q10", "q50", "q90"))
        table.add_row(r["campaign"], days, r["figure"], q50, f"{q10} - {q90}")
    text = Console(file=io.StringIO(), width=110, record=True)
    text.print(table)
    return [*event_headlines(fc), "", text.export_text().rstrip()]


def cmd_forecast(args: argparse.Namespace, console: Console) -> int:
    """Forecast from a fit's folder; write quantiles, bands and the headline sentences.

    Campaigns with a day after the data end are forecast too (events.csv, a sentence and a
    table in the report) unless `--no-events`; they need the whole model, which then runs
    whatever `--whole` says.
    """
    saved = load_posterior(args.posterior)
    with make_executor(args.workers, args.scheduler) as ex:
        fc = forecast(
            str(args.scenario),
            saved,
            args.horizon,
            args.replications,
            args.draws,
            ex,
            args.whole,
            per_event=args.per_event,
            seed=args.seed,
        )
    rows = quantile_rows(fc)
    events = event_rows(fc)
    report = [*headlines(fc), *_event_report(fc, events, args.per_event)]
    with published(args.out) as stage:
        pd.DataFrame(rows).to_csv(stage / "forecast.csv", index=False, float_format="%.6g")
        pd.DataFrame(events, columns=list(EVENT_COLUMNS)).to_csv(
            stage / "events.csv", index=False, float_format="%.6g"
        )
        (stage / "forecast.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
        _band_figure(rows, stage / "forecast.png")
    for line in report:
        console.print(line, highlight=False, markup=False)
    console.print(f"wrote {args.out} ({args.draws} draws x {args.replications} replications)")
    return 0


def _crps_figure(summary: list[dict[str, Any]], path: Path) -> None:
    frame = pd.DataFrame(summary)
    metrics = frame["metric"].unique()
    fig = _figure(3 * max(3, len(metrics)), 3.5)
    axes = np.atleast_1d(fig.subplots(1, len(metrics)))
    order = ("model", "truth", *BASELINES, *EVENT_BASELINES)
    for ax, (metric, part) in zip(axes, frame.groupby("metric", sort=False), strict=True):
        methods = [m for m in order if m in set(part["method"])]
        colors = [{"model": "C0", "truth": "C2"}.get(m, "C7") for m in methods]
        crps = part.set_index("method").loc[methods, "crps"].to_numpy()
        ax.bar(np.arange(len(methods)), crps, color=colors)
        ax.set_xticks(np.arange(len(methods)), methods, rotation=30, fontsize=7)
        ax.set_title(f"{metric}: mean CRPS", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})


def cmd_backtest(args: argparse.Namespace, console: Console) -> int:
    """Fit and forecast at each origin; write and print the scores against the baselines."""
    if not args.origins and not args.hold_out_events:
        rule = "give rolling origins, --hold-out-events (with --events), or both"
        raise OptionError([Problem("--origins", rule)])
    if args.hold_out_events and args.events is None:
        rule = "needs the events it holds out (--events)"
        raise OptionError([Problem("--hold-out-events", rule)])
    cfg = _config(args)
    history = read_history(args.history)
    events = [] if args.events is None else read_events(args.events)
    truth = None if args.truth is None else load_truth(args.truth, cfg.paths)
    rows: list[dict[str, Any]] = []
    with make_executor(args.workers, args.scheduler) as ex:
        if args.origins:
            with Progress("backtest", unit="origin") as bar:
                rows += backtest(
                    str(args.scenario),
                    history,
                    cfg,
                    args.origins,
                    args.horizon,
                    args.seed,
                    ex,
                    draws=args.draws,
                    progress=bar,
                    truth=truth,
                    events=events,
                )
        if args.hold_out_events:
            with Progress("backtest", unit="held-out event") as bar:
                rows += event_backtest(
                    str(args.scenario),
                    history,
                    events,
                    cfg,
                    args.first_events,
                    args.seed,
                    ex,
                    draws=args.draws,
                    progress=bar,
                    truth=truth,
                )
    summary = summary_rows(rows)
    with published(args.out) as stage:
        pd.DataFrame(rows).to_csv(stage / "backtest.csv", index=False, float_format="%.6g")
        pd.DataFrame(summary).to_csv(
            stage / "backtest_summary.csv", index=False, float_format="%.6g"
        )
        (stage / "backtest.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        _crps_figure(summary, stage / "backtest.png")
    parts = [f"{len(args.origins)} origin(s), {args.horizon} days ahead"] if args.origins else []
    if args.hold_out_events:
        parts.append(f"each event after the first {args.first_events} held out")
    title = "backtest, " + "; ".join(parts)
    caption = (
        "n: origins or events scored; APE %: the median's absolute percentage error (per origin "
        "its median over the days, per event of its one figure), averaged over them"
    )
    table = Table(title=title, caption=caption)
    for col in ("metric", "method", "n", "CRPS", "APE %", "cover 50/80/95"):
        table.add_column(col)
    for r in summary:
        cover = (
            "-"
            if np.isnan(r["cover80"])
            else f"{r['cover50']:.2f}/{r['cover80']:.2f}/{r['cover95']:.2f}"
        )
        crps, ape = f"{r['crps']:,.1f}", f"{r['mdape']:.1f}"
        table.add_row(r["metric"], r["method"], str(r["n"]), crps, ape, cover)
    console.print(table)
    console.print(f"wrote {args.out}")
    return 0
