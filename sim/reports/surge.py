"""Surge section: the back end during campaign windows, second by second.

Drawn from surge.csv (one row per second of each campaign window: expected and sampled
messages, requests with WeChat's redeliveries, refused, timed out, failed messages, p99
response), the server settings in scenario.json (capacity, the reply deadline) and the
server totals of summary.json. Windows longer than `BIN_OVER_SECONDS` are drawn in
`BIN_SECONDS` bins (rates stay per second) so the figures stay light.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from sim.reports.plotting import (
    COLORS,
    FigureOut,
    Times,
    date_axis,
    legend_above,
    limit_line,
    new_figure,
)
from sim.reports.run_folder import F64, RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult, first_drawn

__all__ = ["SURGE", "server_capacity", "windows"]

BIN_OVER_SECONDS = 1800
BIN_SECONDS = 10
MAX_WINDOWS = 6


def windows(times: Times) -> list[slice]:
    """Row ranges of consecutive seconds (one per campaign window)."""
    gaps = np.flatnonzero(np.diff(times) != np.timedelta64(1, "s")) + 1
    edges = [0, *gaps.tolist(), times.size]
    return [slice(a, b) for a, b in itertools.pairwise(edges) if b > a]


def server_capacity(server: dict[str, Any] | None) -> float | None:
    """Requests per second a synchronous server completes when busy: workers / mean service time."""
    if not server or server.get("reply", "sync") != "sync":
        return None
    dist = server.get("service_time_seconds") or {}
    mean = dist.get("mean", dist.get("value"))
    if mean is None and dist.get("values"):
        mean = float(np.mean(dist["values"]))
    if not mean:
        return None
    return float(server["instances"] * server["workers_per_instance"] / mean)


def _binned(t: Times, v: F64, how: str) -> tuple[Times, F64]:
    if t.size <= BIN_OVER_SECONDS:
        return t, v
    n = t.size // BIN_SECONDS * BIN_SECONDS
    shaped = v[:n].reshape(-1, BIN_SECONDS)
    if how == "max":  # the worst second of the bin; NaN when no request finished in it
        out = np.full(shaped.shape[0], np.nan)
        some = ~np.isnan(shaped).all(axis=1)
        out[some] = np.nanmax(shaped[some], axis=1)
    else:
        out = np.nan_to_num(shaped).mean(axis=1)
    return t[:n:BIN_SECONDS], out


def _window_figure(
    surge: Table, rows: slice, k: int, capacity: float | None, deadline: float | None
) -> FigureOut:
    t = surge.times("second")[rows]

    def col(name: str, how: str = "mean") -> tuple[Times, F64]:
        return _binned(t, surge.num(name)[rows], how)

    # panel: (column, how, label, colour, dashed) lines, a limit line, the y label
    load = [
        ("messages", "mean", "messages (sampled)", "human", False),
        ("expected_messages", "mean", "expected", "expected", True),
        ("requests", "mean", "requests incl. redeliveries", "received", False),
    ]
    trouble = [
        ("retries", "mean", "redeliveries", "retries", False),
        ("refused", "mean", "refused (queue full)", "refused", False),
        ("timed_out", "mean", "timed out (no reply in time)", "timed_out", False),
        ("failed_messages", "mean", "messages failed (all deliveries)", "failed", False),
    ]
    slow = [("response_p99_seconds", "max", "p99 response", "p90", False)]
    panels = [
        (load, capacity, f"capacity ≈ {capacity or 0:,.0f}/s", "per second"),
        (trouble, None, "", "per second"),
        (slow, deadline, f"deadline {deadline or 0:g} s", "seconds"),
    ]
    fig, axes = new_figure(rows=3, height=2.3)
    for ax, (lines, limit, limit_label, unit) in zip(axes, panels, strict=True):
        for name, how, label, color, dashed in lines:
            if surge.has(name):
                ax.plot(
                    *col(name, how),
                    color=COLORS[color],
                    linewidth=0.9,
                    linestyle="--" if dashed else "-",
                    label=label,
                )
        if limit is not None:
            limit_line(ax, limit, limit_label)
        ax.set_ylabel(unit)
        ax.yaxis.set_major_formatter("{x:,.0f}" if unit == "per second" else "{x:g}")
        ax.set_ylim(bottom=0)
        if ax.get_legend_handles_labels()[0]:
            legend_above(ax)
    for ax in axes[:2]:  # the opening spike is 10-100 times the later rounds
        ax.set_yscale("symlog", linthresh=10)
        ax.set_ylim(bottom=0)
    date_axis(axes[-1], t)
    binned = t.size > BIN_OVER_SECONDS
    return FigureOut(
        f"surge_{k + 1}",
        f"Server load, {str(t[0])[:16].replace('T', ' ')} – {str(t[-1])[11:16]}",
        "Top: messages per second (sampled and expected) and requests including WeChat's "
        "redeliveries, against the server's capacity. Middle: redeliveries, refused and timed-out "
        "requests, and messages lost after every delivery failed. Bottom: the 99th percentile "
        "response time against WeChat's reply deadline. Counts use a log scale above 10/s."
        + (f" Averages over {BIN_SECONDS} s (the p99 is the bin's maximum)." if binned else ""),
        fig,
    )


def _findings(s: dict[str, Any], deadline: float | None) -> tuple[Finding, ...]:
    messages = s.get("server_messages") or 0
    if not messages:
        return ()
    failed = s.get("server_failed_messages") or 0
    requests = s.get("server_requests") or 0
    per_message = s.get("server_retry_amplification") or 0.0
    text = (
        f"Server: {failed:,} of {messages:,} campaign-window messages failed "
        f"({failed / messages:.1%}); {requests:,} requests ({per_message:.2f} per message "
        "with redeliveries)"
    )
    p99 = s.get("server_p99_seconds")
    if p99 is not None and deadline is not None:
        diff = p99 - deadline
        side = "under" if diff <= 0 else "over"
        text += f"; p99 response {p99:.2f} s, {abs(diff):.2f} s {side} the {deadline:g} s deadline"
    return (Finding("met" if failed == 0 else "missed", text + "."),)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    surge = folder.table("surge.csv")
    if surge.rows == 0:
        return SectionResult(notes=("surge.csv has no rows.",))
    server = folder.field("scenario.json", "server") if folder.has("scenario.json") else None
    if not server and not surge.has("requests"):
        return SectionResult()  # no [server]: the service section shows the campaign's load
    deadline = float(server["deadline_seconds"]) if server else None
    parts, notes = first_drawn(windows(surge.times("second")), MAX_WINDOWS, "campaign windows")
    figures = tuple(
        _window_figure(surge, rows, k, server_capacity(server), deadline)
        for k, rows in enumerate(parts)
    )
    summary = folder.json("summary.json") if folder.has("summary.json") else {}
    return SectionResult(figures=figures, findings=_findings(summary, deadline), notes=notes)


SURGE = Section("surge", "Campaign surges: the server", ("surge.csv",), "fansim run", _build)
