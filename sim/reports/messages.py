"""Messages section: what came in, what the keyword auto-reply answered, what reached a human.

Drawn from timeseries.csv (per hour; summed per day for runs longer than three days, where
hourly bars would be thinner than a pixel) and the per-class totals of summary.json.
"""

from __future__ import annotations

import numpy as np

from sim.reports.periods import hourly_is_readable, per_day, with_end
from sim.reports.plotting import (
    COLORS,
    FigureOut,
    Phases,
    date_axis,
    legend_above,
    mark_phases,
    new_figure,
)
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult

__all__ = ["MESSAGES"]

_PARTS = (
    ("messages_auto_replied", "auto-replied", "auto"),
    ("messages_to_humans", "to humans", "human"),
    ("messages_failed_at_server", "failed at the server", "failed"),
)


def _over_time(ts: Table, phases: Phases) -> FigureOut:
    times = ts.times("hour")
    daily = not hourly_is_readable(times)
    width = 0.9 if daily else 0.9 / 24
    unit = "day" if daily else "hour"
    fig, (ax,) = new_figure(height=3.2)
    shown, received = (
        per_day(times, ts.num("messages_received"))
        if daily
        else (times, ts.num("messages_received"))
    )
    bottom = np.zeros_like(received)
    for column, label, color in _PARTS:
        if not ts.has(column):
            continue
        values = per_day(times, ts.num(column))[1] if daily else np.nan_to_num(ts.num(column))
        if column == "messages_failed_at_server" and not values.any():
            continue
        ax.bar(shown, values, width, bottom=bottom, align="edge", color=COLORS[color], label=label)
        bottom = bottom + values
    ax.step(
        *with_end(shown, received),
        where="post",
        color=COLORS["received"],
        linewidth=1.0,
        label="received",
    )
    ax.set_ylabel(f"messages per {unit}")
    ax.yaxis.set_major_formatter("{x:,.0f}")
    legend_above(ax)
    mark_phases(ax, phases)
    date_axis(ax, with_end(shown, received)[0])
    return FigureOut(
        "messages",
        f"Messages per {unit}: received, auto-replied, to humans",
        "Stacked bars split each period's messages by what happened to them: answered by the "
        "keyword auto-reply, routed to a human agent, or lost because the server gave no reply "
        "in time; the line is all messages received.",
        fig,
    )


def _by_class(by_class: dict[str, dict[str, float]]) -> FigureOut:
    names = sorted(by_class, key=lambda n: by_class[n].get("received", 0))
    fig, (ax,) = new_figure(height=0.4 + 0.32 * max(len(names), 3))
    left = np.zeros(len(names))
    keys = (("auto_replied", "auto"), ("to_humans", "human"), ("failed_at_server", "failed"))
    for (key, color), (_, label, _) in zip(keys, _PARTS, strict=True):
        values = np.asarray([float(by_class[n].get(key) or 0) for n in names])
        if key == "failed_at_server" and not values.any():
            continue
        ax.barh(names, values, left=left, color=COLORS[color], label=label)
        left += values
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlim(left=0)
    ax.set_xlabel("messages in the run (log scale above 10)")
    legend_above(ax)
    ax.grid(axis="y", visible=False)
    return FigureOut(
        "messages_by_class",
        "Messages by class",
        "Each bar is one message class over the whole run, split like the figure above. The "
        "scale is logarithmic so that small human-routed classes show beside the keyword flood.",
        fig,
    )


def _findings(summary: dict[str, object]) -> tuple[Finding, ...]:
    received = float(summary.get("messages_received") or 0)  # type: ignore[arg-type]
    if received <= 0:
        return ()
    auto = float(summary.get("messages_auto_replied") or 0)  # type: ignore[arg-type]
    human = float(summary.get("messages_to_humans") or 0)  # type: ignore[arg-type]
    return (
        Finding(
            "info",
            f"Messages: {received:,.0f} received, {auto / received:.1%} auto-replied, "
            f"{human:,.0f} ({human / received:.1%}) routed to agents.",
        ),
    )


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    ts = folder.table("timeseries.csv")
    if ts.rows == 0:
        return SectionResult(notes=("timeseries.csv has no rows.",))
    summary = folder.json("summary.json")
    figures = [_over_time(ts, folder.phases())]
    by_class = summary.get("by_class")
    if isinstance(by_class, dict) and by_class:
        figures.append(_by_class(by_class))
    return SectionResult(figures=tuple(figures), findings=_findings(summary))


MESSAGES = Section("messages", "Messages", ("timeseries.csv", "summary.json"), "fansim run", _build)
