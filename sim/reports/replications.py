"""Replications section: each metric's mean with its 95% confidence band as replications add up.

Drawn from replications.csv (`fansim run --replications R`: one row per replication with every
numeric summary figure). For each metric shown, the band is the Student-t 95% confidence
interval of the mean of the first n replications, n = 1 .. R: where it is still wide, more
replications would change the answer; where it has settled, they would not. The summary judges
the SLA metrics against the report's share with the final interval (`judge_share`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from sim.reports.plotting import COLORS, FigureOut, legend_above, limit_line, new_figure
from sim.reports.run_folder import F64, RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult, judge_share
from sim.results.stats import mean_ci95

__all__ = ["REPLICATIONS", "SHOWN", "running_ci"]

# metric, label; the first four that vary between replications are drawn
SHOWN = (
    ("sla_first_response_met", "first response within target"),
    ("response_p90_minutes", "first response p90 (min)"),
    ("backlog_max", "most messages waiting"),
    ("messages_abandoned", "messages abandoned"),
    ("fans_final", "fans at the end"),
    ("server_failed_messages", "messages failed at the server"),
    ("agent_utilization", "agents' busy share"),
)
MAX_PANELS = 4
SLA = (
    ("sla_first_response_met", "sla_first_response_target_minutes", "First response"),
    ("sla_resolution_met", "sla_resolution_target_minutes", "Resolution"),
)


def running_ci(values: F64) -> tuple[F64, F64, F64]:
    """Mean and 95% CI bounds of the first n values, n = 1 .. len(values) (NaNs skipped)."""
    x = values[~np.isnan(values)]
    means, lows, highs = [], [], []
    for n in range(1, x.size + 1):
        lo, hi = mean_ci95(x[:n].tolist())
        means.append(float(x[:n].mean()))
        lows.append(lo)
        highs.append(hi)
    return np.asarray(means), np.asarray(lows), np.asarray(highs)


def _varying(t: Table) -> list[tuple[str, str]]:
    out = []
    for name, label in SHOWN:
        if t.has(name):
            v = t.num(name)
            v = v[~np.isnan(v)]
            if v.size and np.ptp(v) > 0:
                out.append((name, label))
    return out[:MAX_PANELS]


def _bands(t: Table, shown: list[tuple[str, str]], share: float) -> FigureOut:
    fig, axes = new_figure(rows=len(shown), height=1.9)
    for ax, (name, label) in zip(axes, shown, strict=True):
        v = t.num(name)
        v = v[~np.isnan(v)]
        n = np.arange(1, v.size + 1)
        mean, low, high = running_ci(v)
        ax.fill_between(n, low, high, color=COLORS["p50"], alpha=0.3, label="95% CI of the mean")
        ax.plot(n, mean, color=COLORS["p90"], label="mean so far")
        ax.plot(n, v, "o", color=COLORS["net"], ms=3, label="one replication")
        if name.startswith("sla_"):
            limit_line(ax, share, f"{share:.0%} asked for")
            ax.yaxis.set_major_formatter("{x:.0%}")
        ax.set_ylabel(label, fontsize=8)
        legend_above(ax)
    axes[-1].set_xlabel("replications")
    axes[-1].set_xlim(0.5, len(t.num(shown[0][0])) + 0.5)
    axes[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    return FigureOut(
        "replication_bands",
        "Replications: each metric's mean and its 95% confidence band",
        "Dots: one replication each. Line: the mean of the first n replications; band: its "
        "Student-t 95% confidence interval (none for a single replication). A band still "
        "narrowing means more replications would sharpen the answer; a band that crosses the "
        "dashed target line means the replications cannot yet say whether it is met.",
        fig,
    )


def _findings(t: Table, share: float) -> tuple[Finding, ...]:
    out = []
    for met, target, what in SLA:
        if not t.has(met):
            continue
        v = t.num(met)
        v = v[~np.isnan(v)]
        if not v.size:
            continue
        low, high = mean_ci95(v.tolist())
        verdict, margin = judge_share(low, high, share)
        minutes = t.num(target)[0] if t.has(target) else np.nan
        within = f" within {minutes:g} min" if not np.isnan(minutes) else ""
        out.append(
            Finding(
                verdict,
                f"{what} over {v.size} replications: {v.mean():.1%} of messages{within} "
                f"(95% CI {low:.1%} – {high:.1%}; the report asks for {share:.0%}): {margin}.",
            )
        )
    widths = []
    for name, label in _varying(t):
        if name.startswith("sla_"):
            continue
        v = t.num(name)
        v = v[~np.isnan(v)]
        low, high = mean_ci95(v.tolist())
        rel = f" ({(high - low) / 2 / abs(v.mean()):.0%} of the mean)" if v.mean() else ""
        widths.append(f"{label} {v.mean():,.3g} ± {(high - low) / 2:,.3g}{rel}")
    if widths:
        out.append(Finding("info", "Means with 95% CI half-widths: " + "; ".join(widths) + "."))
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    t = folder.table("replications.csv")
    if t.rows == 0:
        return SectionResult(notes=("replications.csv has no rows.",))
    shown = _varying(t)
    figures = (_bands(t, shown, options.sla_share),) if shown else ()
    notes = () if shown else ("No metric drawn varies between replications.",)
    return SectionResult(figures=figures, findings=_findings(t, options.sla_share), notes=notes)


REPLICATIONS = Section(
    "replications",
    "Replications: confidence bands",
    ("replications.csv",),
    "fansim run --replications",
    _build,
)
