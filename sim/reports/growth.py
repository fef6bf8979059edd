"""Growth section: fans by the source that brought them, and each day's follows and unfollows.

Drawn from daily.csv alone: `fans` (at the end of each day), `follows_<source>` per day,
`unfollows`, `unfollows_after_unanswered`, `net_follows`, `service_quality`.
"""

from __future__ import annotations

import numpy as np

from sim.reports import plotting as plot
from sim.reports.periods import with_end
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult

__all__ = ["GROWTH"]


def _fans_by_source(daily: Table, times: plot.Times, phases: plot.Phases) -> plot.FigureOut:
    fans = daily.num("fans")
    initial = fans[0] - daily.num("net_follows")[0]
    sources = daily.prefixed("follows_")
    fig, (ax,) = plot.new_figure(height=3.6)
    layers = ([("initial fans", np.full(fans.size, initial))] if initial > 0 else []) + [
        (name, np.cumsum(np.nan_to_num(v))) for name, v in sources.items()
    ]
    colors = [plot.SOURCE_PALETTE[i % len(plot.SOURCE_PALETTE)] for i in range(len(layers))]
    ends = with_end(times, fans)[0]
    ax.stackplot(
        ends,
        *[with_end(times, v)[1] for _, v in layers],
        labels=[f"{n} ({v[-1]:,.0f})" for n, v in layers],
        colors=colors,
        alpha=0.85,
        step="post",
    )
    ax.step(
        ends, with_end(times, fans)[1], where="post", color=plot.COLORS["net"], lw=1.6, label="fans"
    )
    ax.set_ylabel("fans")
    ax.yaxis.set_major_formatter("{x:,.0f}")
    plot.mark_phases(ax, phases)
    plot.legend_above(ax)
    plot.date_axis(ax, ends)
    return plot.FigureOut(
        "fans_by_source",
        "Fans by the source that brought them",
        "Stacked areas: everyone who ever followed, cumulated by source (totals in the legend). "
        "The black line is the fans who stayed; the gap above it is those who unfollowed.",
        fig,
    )


def _daily_follows(daily: Table, times: plot.Times, phases: plot.Phases) -> plot.FigureOut:
    fig, (ax, aq) = plot.new_figure(rows=2, height=2.6)
    follows, unfollows = daily.num("follows"), daily.num("unfollows")
    ax.bar(
        times, follows, width=0.9, align="edge", color=plot.COLORS["follows"], label="new follows"
    )
    ax.bar(
        times,
        -unfollows,
        width=0.9,
        align="edge",
        color=plot.COLORS["unfollows"],
        label="unfollows",
    )
    if daily.has("unfollows_after_unanswered"):
        ax.bar(
            times,
            -daily.num("unfollows_after_unanswered"),
            width=0.9,
            align="edge",
            color="#7f2a00",
            label="of which after an unanswered message",
        )
    ax.step(
        *with_end(times, daily.num("net_follows")),
        where="post",
        color=plot.COLORS["net"],
        label="net",
    )
    ax.axhline(0, color="#444444", linewidth=0.6)
    ax.set_ylabel("fans per day")
    ax.yaxis.set_major_formatter("{x:,.0f}")
    plot.legend_above(ax)
    plot.mark_phases(ax, phases)
    if daily.has("service_quality"):
        aq.step(
            *with_end(times, daily.num("service_quality")), where="post", color=plot.COLORS["human"]
        )
        aq.set_ylim(0, 1.05)
    aq.set_ylabel("service quality (0-1)")
    plot.mark_phases(aq, phases, labels=False)
    plot.date_axis(aq, with_end(times, follows)[0])
    return plot.FigureOut(
        "daily_follows",
        "New, lost and net follows per day; service quality",
        "Top: follows above zero, unfollows below (dark: fans who left after an unanswered "
        "message), the line is the net change. Bottom: the service quality the model feeds back "
        "into every channel's conversion (1 = every message answered in time).",
        fig,
    )


def _findings(daily: Table) -> tuple[Finding, ...]:
    fans = daily.num("fans")
    initial = fans[0] - daily.num("net_follows")[0]
    follows = {k: float(np.nansum(v)) for k, v in daily.prefixed("follows_").items()}
    total = sum(follows.values())
    shares = ", ".join(
        f"{k} {v / total:.0%}" for k, v in sorted(follows.items(), key=lambda kv: -kv[1]) if v > 0
    )
    out = [
        Finding(
            "info",
            f"Fans: {initial:,.0f} → {fans[-1]:,.0f} in {daily.rows} days "
            f"(net {fans[-1] - initial:+,.0f}); follows by source: {shares or 'none'}.",
        )
    ]
    unf = float(np.nansum(daily.num("unfollows")))
    if unf > 0 and daily.has("unfollows_after_unanswered"):
        lost = float(np.nansum(daily.num("unfollows_after_unanswered")))
        out.append(
            Finding(
                "info",
                f"Unfollows: {unf:,.0f}, of which {lost:,.0f} ({lost / unf:.0%}) after an "
                "unanswered message: the fans slow service cost.",
            )
        )
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    daily = folder.table("daily.csv")
    if daily.rows < 2 or not daily.has("follows", "unfollows", "net_follows"):
        return SectionResult(notes=("A run of one day or a fixed fan base: no growth to draw.",))
    if not np.any(daily.num("follows")) and not np.any(daily.num("unfollows")):
        return SectionResult(notes=("Nobody followed or unfollowed: a fixed fan base.",))
    times = daily.times("date")
    phases = folder.phases()
    return SectionResult(
        figures=(_fans_by_source(daily, times, phases), _daily_follows(daily, times, phases)),
        findings=_findings(daily),
    )


GROWTH = Section("growth", "Growth", ("daily.csv",), "fansim run", _build)
