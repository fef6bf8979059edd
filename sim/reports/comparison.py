"""Comparison section: variants side by side, each metric's mean and paired difference with CIs.

Drawn from comparison.csv (`fansim compare`: per variant and metric the mean over the
replications with its 95% CI, the paired difference to the first variant on common random
numbers with its CI, and for the ranked metric each variant's rank and probability of being
best). A difference whose CI excludes zero is one the replications can tell apart from noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from sim.reports.plotting import COLORS, FigureOut, new_figure
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import (
    Finding,
    ReportOptions,
    Section,
    SectionResult,
    first_drawn,
    judge_share,
)

__all__ = ["COMPARISON"]

MAX_METRICS = 8
_SLA_NAMES = {"sla_first_response_met": "First response", "sla_resolution_met": "Resolution"}


def _rows(t: Table) -> list[dict[str, Any]]:
    numbers = ("mean", "ci_low", "ci_high", "diff_mean", "diff_ci_low", "diff_ci_high")
    optional = ("rank", "p_best")
    cols = {c: t.num(c) for c in numbers}
    cols |= {c: t.num(c) if t.has(c) else np.full(t.rows, np.nan) for c in optional}
    variant, metric = t.text("variant"), t.text("metric")
    return [
        {"variant": str(variant[i]), "metric": str(metric[i])}
        | {c: float(v[i]) for c, v in cols.items()}
        for i in range(t.rows)
    ]


def _ticks(ax: Axes, metric: str, values: np.ndarray) -> None:
    """Few x ticks, as percentages for SLA shares and with thousands separators for counts."""
    ax.xaxis.set_major_locator(MaxNLocator(5))
    finite = values[np.isfinite(values)]
    if metric in _SLA_NAMES:
        ax.xaxis.set_major_formatter("{x:.0%}")
    elif finite.size and np.abs(finite).max() >= 1000:
        ax.xaxis.set_major_formatter("{x:,.0f}")


def _figure(rows: list[dict[str, Any]], metrics: list[str], share: float) -> FigureOut:
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    base = variants[0]
    fig, axes = new_figure(
        rows=len(metrics), height=0.35 + 0.3 * len(variants), columns=2, share_x=False
    )
    y = np.arange(len(variants))
    for k, m in enumerate(metrics):
        am, ad = axes[2 * k], axes[2 * k + 1]
        by = {r["variant"]: r for r in rows if r["metric"] == m}
        mean = np.asarray([by[v]["mean"] if v in by else np.nan for v in variants])
        low = np.asarray([by[v]["ci_low"] if v in by else np.nan for v in variants])
        high = np.asarray([by[v]["ci_high"] if v in by else np.nan for v in variants])
        colors = [COLORS["expected"] if v == base else COLORS["human"] for v in variants]
        am.barh(y, mean, color=colors, alpha=0.8)
        err = np.maximum([mean - low, high - mean], 0)  # a CI is never inside out
        am.errorbar(mean, y, xerr=err, fmt="none", ecolor=COLORS["net"],
                    capsize=3, linewidth=1)  # fmt: skip
        if m in _SLA_NAMES:
            am.axvline(share, color=COLORS["target"], linestyle="--", linewidth=1.2)
        _ticks(am, m, high)
        am.set_yticks(y, variants, fontsize=8)
        am.invert_yaxis()
        am.set_title(m, fontsize=9, loc="left")
        am.grid(axis="y", visible=False)
        others = [v for v in variants if v != base and v in by]
        diff = np.asarray([by[v]["diff_mean"] for v in others])
        dlow = np.asarray([by[v]["diff_ci_low"] for v in others])
        dhigh = np.asarray([by[v]["diff_ci_high"] for v in others])
        clear = (dlow > 0) | (dhigh < 0)
        yo = np.asarray([variants.index(v) for v in others])
        for sel, color in ((clear, COLORS["failed"]), (~clear, COLORS["expected"])):
            if sel.any():
                err = np.maximum([diff[sel] - dlow[sel], dhigh[sel] - diff[sel]], 0)
                ad.errorbar(diff[sel], yo[sel], xerr=err, fmt="o", color=color, ms=4, capsize=3,
                            linewidth=1)  # fmt: skip
        ad.axvline(0, color="#444444", linewidth=0.8)
        _ticks(ad, m, np.r_[dlow, dhigh])
        ad.set_yticks(y, [""] * len(variants))
        ad.set_ylim(am.get_ylim())
        ad.set_title(f"Δ vs {base}", fontsize=9, loc="left")
        ad.grid(axis="y", visible=False)
    return FigureOut(
        "comparison",
        "Variants compared: means and paired differences with 95% CIs",
        f"Left: each variant's mean over the replications with its 95% CI (grey: the base, "
        f"{base}; dashed on SLA metrics: the {share:.0%} the report asks for). Right: the "
        "paired difference to the base on the same random numbers, with its 95% CI; red where "
        "the interval excludes zero (a real difference), grey where it does not.",
        fig,
    )


def _fmt(metric: str, v: float, sign: str = "+") -> str:
    if metric in _SLA_NAMES:
        return f"{v * 100:{sign}.1f} points"
    return f"{v:{sign},.0f}" if abs(v) >= 1000 else f"{v:{sign}.4g}"


def _findings(rows: list[dict[str, Any]], share: float) -> tuple[Finding, ...]:
    out = []
    for r in rows:
        if r["metric"] in _SLA_NAMES:
            verdict, margin = judge_share(r["ci_low"], r["ci_high"], share)
            out.append(
                Finding(
                    verdict,
                    f"{_SLA_NAMES[r['metric']]}, {r['variant']}: {r['mean']:.1%} of messages "
                    f"within the target (95% CI {r['ci_low']:.1%} – {r['ci_high']:.1%}; the "
                    f"report asks for {share:.0%}): {margin}.",
                )
            )
    ranked = sorted((r for r in rows if not np.isnan(r["rank"])), key=lambda r: r["rank"])
    if ranked and len({r["mean"] for r in ranked}) == 1:
        out.append(
            Finding("info", f"{ranked[0]['metric']} is the same for every variant: no ranking.")
        )
    elif ranked:
        best = ranked[0]
        out.append(
            Finding(
                "info",
                f"Best by {best['metric']}: {best['variant']} (mean "
                f"{_fmt(best['metric'], best['mean'], '')}, "
                f"probability of being best {best['p_best']:.0%} over the replications).",
            )
        )
    clear = [
        f"{r['variant']} {r['metric']} {_fmt(r['metric'], r['diff_mean'])} "
        f"[{_fmt(r['metric'], r['diff_ci_low'])}, {_fmt(r['metric'], r['diff_ci_high'])}]"
        for r in rows
        if r["diff_ci_low"] > 0 or r["diff_ci_high"] < 0
    ]
    base = rows[0]["variant"]
    out.append(
        Finding(
            "info",
            f"Differences to {base} that the 95% CI tells apart from zero: "
            + ("; ".join(clear) if clear else "none")
            + ".",
        )
    )
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    t = folder.table("comparison.csv")
    if t.rows == 0:
        return SectionResult(notes=("comparison.csv has no rows.",))
    rows = _rows(t)
    metrics, notes = first_drawn(
        list(dict.fromkeys(r["metric"] for r in rows)), MAX_METRICS, "metrics"
    )
    return SectionResult(
        figures=(_figure(rows, metrics, options.sla_share),),
        findings=_findings(rows, options.sla_share),
        notes=notes,
    )


COMPARISON = Section(
    "comparison", "Variants compared", ("comparison.csv",), "fansim compare", _build
)
