"""Sweep section: metrics along the grid's parameters, each grid point's mean with its 95% CI.

Drawn from sweep.csv (`fansim sweep`: one row per run; the identity columns, then one column
per grid parameter, named by its dotted scenario path, then the metrics). Parameter columns are
recognised by position and name: those right after `version` whose name is a scenario path
(holds a `.` or `[`); the first plain name (`fans_mean`, ...) starts the metrics.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from sim.reports.plotting import (
    SOURCE_PALETTE,
    FigureOut,
    legend_above,
    limit_line,
    new_figure,
)
from sim.reports.replications import MAX_PANELS, SHOWN
from sim.reports.run_folder import F64, RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult, judge_share
from sim.results.stats import mean_ci95

__all__ = ["SWEEP", "grid_columns"]


def grid_columns(t: Table) -> list[str]:
    """The grid parameters' columns of a sweep table (see the module docstring)."""
    names = list(t.columns)
    if "version" not in names:
        return []
    out = []
    for name in names[names.index("version") + 1 :]:
        if "." not in name and "[" not in name:
            break
        out.append(name)
    return out


def _points(t: Table, params: list[str]) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """(parameter values as text, row indices) per grid point, in file order."""
    cells = [
        [f"{v:g}" for v in t.num(p)] if t.columns[p].dtype == np.float64 else t.text(p).tolist()
        for p in params
    ]
    keys = list(zip(*cells, strict=True))
    out: dict[tuple[str, ...], list[int]] = {}
    for i, k in enumerate(keys):
        out.setdefault(tuple(str(x) for x in k), []).append(i)
    return [(k, np.asarray(v)) for k, v in out.items()]


def _stats(values: F64) -> tuple[float, float, float]:
    v = values[~np.isnan(values)]
    if not v.size:
        return np.nan, np.nan, np.nan
    low, high = mean_ci95(v.tolist())
    return float(v.mean()), low, high


def _x(values: list[str]) -> tuple[F64, list[str] | None]:
    """Numeric positions of parameter values; categories get 0, 1, ... and their labels."""
    try:
        return np.asarray([float(v) for v in values]), None
    except ValueError:
        labels = list(dict.fromkeys(values))
        return np.asarray([labels.index(v) for v in values], np.float64), labels


def _figure(t: Table, params: list[str], shown: list[tuple[str, str]], share: float) -> FigureOut:
    points = _points(t, params)
    first = params[0]
    series = list(dict.fromkeys(k[1:] for k, _ in points))  # one line per other-axes value
    fig, axes = new_figure(rows=len(shown), height=1.9)
    categories: list[str] | None = None
    for ax, (name, label) in zip(axes, shown, strict=True):
        v = t.num(name)
        for j, rest in enumerate(series):
            mine = [(k[0], rows) for k, rows in points if k[1:] == rest]
            x, categories = _x([k for k, _ in mine])
            s = np.asarray([_stats(v[rows]) for _, rows in mine])
            order = np.argsort(x, kind="stable")
            color = SOURCE_PALETTE[(j + 1) % len(SOURCE_PALETTE)]
            tag = ", ".join(f"{p} = {r}" for p, r in zip(params[1:], rest, strict=True))
            ax.fill_between(x[order], s[order, 1], s[order, 2], color=color, alpha=0.25)
            ax.plot(x[order], s[order, 0], "o-", color=color, ms=4, label=tag or "mean, 95% CI")
        if name.startswith("sla_"):
            limit_line(ax, share, f"{share:.0%} asked for")
            ax.yaxis.set_major_formatter("{x:.0%}")
        ax.set_ylabel(label, fontsize=8)
        legend_above(ax)
    if categories is not None:
        axes[-1].set_xticks(range(len(categories)), categories)
    else:
        axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel(first)
    reps = int(t.rows / max(len(points), 1))
    return FigureOut(
        "sweep",
        f"Sweep over {', '.join(params)}",
        f"Each point: the mean over a grid point's replications (about {reps} each); band: "
        "its Student-t 95% confidence interval (none with one replication). "
        + ("One line per value of the other parameters. " if len(params) > 1 else "")
        + "Dashed on SLA metrics: the share the report asks for.",
        fig,
    )


def _findings(t: Table, params: list[str], share: float) -> tuple[Finding, ...]:
    out = []
    for name, what in (("sla_first_response_met", "First response"),):
        if not t.has(name):
            continue
        v = t.num(name)
        verdicts: dict[str, list[str]] = {"met": [], "missed": [], "unsure": []}
        for key, rows in _points(t, params):
            mean, low, high = _stats(v[rows])
            if np.isnan(mean):
                continue
            verdict, _ = judge_share(low, high, share)
            label = ", ".join(f"{p} = {k}" for p, k in zip(params, key, strict=True))
            verdicts[verdict].append(f"{label} ({mean:.1%})")
        counted = sum(len(x) for x in verdicts.values())
        text = (
            f"{what}: {len(verdicts['met'])} of {counted} grid points meet {share:.0%} of "
            "messages within the target over their whole 95% CI"
        )
        for verdict in ("met", "unsure", "missed"):
            if verdicts[verdict]:
                text += f"; {verdict}: " + "; ".join(verdicts[verdict])
        if verdicts["met"]:
            out.append(Finding("met", text + "."))
        else:
            out.append(Finding("unsure" if verdicts["unsure"] else "missed", text + "."))
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    t = folder.table("sweep.csv")
    params = grid_columns(t)
    if t.rows == 0 or not params:
        return SectionResult(notes=("sweep.csv has no rows or no grid parameter column.",))
    shown = [(n, label) for n, label in SHOWN if t.has(n)][:MAX_PANELS]
    notes: tuple[str, ...] = ()
    if len(params) > 2:
        notes = ("More than two grid parameters: lines for every combination of the others.",)
    return SectionResult(
        figures=(_figure(t, params, shown, options.sla_share),) if shown else (),
        findings=_findings(t, params, options.sla_share),
        notes=notes,
    )


SWEEP = Section("sweep", "Sweep", ("sweep.csv",), "fansim sweep", _build)
