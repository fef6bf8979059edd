"""Staffing section: agents on duty against agents required, interval by interval.

Drawn from staffing.csv (`fansim staff`: per interval the offered load, agents by Erlang C,
Erlang A and the simulation search, agents required and rostered, and the roster's own service
level on the same traffic) and, when present, roster.csv (the shifts taken). The target itself
is the one given to `fansim staff --target`; the CSV records per interval whether the roster met
it (`roster_met`), which is what the summary counts. A grouped scenario's staffing.csv has a
`group` column (and each group's `target`): one figure and one set of findings per group, the
shifts chart labelled by group.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from sim.errors import Problem, ScenarioError
from sim.reports.periods import with_end
from sim.reports.plotting import (
    COLORS,
    FigureOut,
    Times,
    date_axis,
    legend_above,
    new_figure,
)
from sim.reports.run_folder import F64, RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult

__all__ = ["STAFFING"]

MAX_SHIFT_ROWS = 60  # more shifts than this make an unreadable chart; the note says so
_LINES = (  # column, label, colour, line style: agents on the phones by each method
    ("erlang_c", "Erlang C (on the phones)", "expected", "--"),
    ("erlang_a", "Erlang A (on the phones)", "p50", ":"),
    ("simulation", "simulation (on the phones)", "p90", "-"),
)


def _flag(table: Table, name: str) -> NDArray[np.bool_]:
    """A True/False column (as `fansim staff` writes it) as booleans."""
    return np.asarray([c.lower() == "true" for c in table.text(name)], dtype=bool)


def _shade_closed(ax: object, times: Times, closed: np.ndarray, step: np.timedelta64) -> None:
    for t in times[closed]:
        ax.axvspan(t, t + step, color="#dddddd", linewidth=0)  # type: ignore[attr-defined]


def _required(st: Table, group: str | None = None) -> FigureOut:
    times = st.times("interval_start")
    step = times[1] - times[0] if times.size > 1 else np.timedelta64(1, "h")
    closed = ~_flag(st, "open")
    met = _flag(st, "roster_met")
    fig, (aa, asl) = new_figure(rows=2, height=2.5)
    for ax in (aa, asl):
        _shade_closed(ax, times, closed, step)
    aa.fill_between(
        *with_end(times, st.num("rostered")),
        step="post",
        color=COLORS["agents"],
        alpha=0.25,
        label="rostered (paid)",
    )
    aa.step(
        *with_end(times, st.num("required")),
        where="post",
        color=COLORS["net"],
        linewidth=1.4,
        label="required (paid)",
    )
    for column, label, color, dash in _LINES:
        if st.has(column):
            aa.step(
                *with_end(times, st.num(column)),
                where="post",
                color=COLORS[color],
                linestyle=dash,
                linewidth=1.0,
                label=label,
            )
    aa.set_ylabel("agents")
    aa.set_ylim(bottom=0)
    legend_above(aa)
    level = st.num("roster_service_level")
    asl.step(*with_end(times, level), where="post", color=COLORS["human"], label="service level")
    if st.has("roster_abandoned"):
        asl.step(
            *with_end(times, st.num("roster_abandoned")),
            where="post",
            color=COLORS["unfollows"],
            linewidth=0.9,
            label="abandoned",
        )
    missed = ~met & ~closed
    if missed.any():
        asl.plot(
            times[missed] + step / 2,
            level[missed],
            "x",
            color=COLORS["target"],
            markersize=7,
            label="target missed",
        )
    asl.set_ylim(-0.02, 1.02)
    asl.yaxis.set_major_formatter("{x:.0%}")
    asl.set_ylabel("roster's result")
    legend_above(asl)
    date_axis(asl, with_end(times, level)[0])
    return FigureOut(
        "agents_required" if group is None else f"agents_required_{group}",
        "Agents on duty vs required"
        if group is None
        else f"Group {group}: agents on duty vs required ({st.text('target')[0]})",
        "Top: agents the roster puts on duty (shaded, paid) against those required (black, "
        "paid: shrinkage added), and agents needed on the phones by Erlang C, Erlang A and the "
        "simulation search (which carries the backlog from one interval to the next). Bottom: "
        "the roster served on the same traffic: share of messages meeting the staffing target "
        "and share abandoned; crosses mark intervals that miss it. Grey: closed hours.",
        fig,
    )


def _hours(roster: Table, column: str) -> F64:
    """A column of "HH:MM" cells as hours after midnight (an empty cell: NaN)."""
    out = []
    for cell in roster.text(column):
        if cell in ("", "nan"):  # a column with no break at all reads as numbers (NaN)
            out.append(np.nan)
            continue
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", cell)
        if m is None:
            raise ScenarioError([Problem(f"roster.csv.{column}", "must hold HH:MM", cell, True)])
        out.append(int(m[1]) + int(m[2]) / 60)
    return np.asarray(out, np.float64)


def _shifts(roster: Table) -> FigureOut:
    start = _hours(roster, "start")
    end = _hours(roster, "end")
    end = np.where(end <= start, end + 24, end)  # a shift past midnight
    agents = roster.num("agents")
    labels = [
        f"{d[5:]} {s}" for d, s in zip(roster.text("date"), roster.text("shift"), strict=True)
    ]
    if roster.has("group"):
        labels = [f"{g}: {x}" for g, x in zip(roster.text("group"), labels, strict=True)]
    fig, (ax,) = new_figure(height=0.5 + 0.28 * max(roster.rows, 3))
    y = np.arange(roster.rows)
    ax.barh(y, end - start, left=start, color=COLORS["agents"], alpha=0.7)
    for yi, x, n in zip(y, start, agents, strict=True):
        ax.annotate(
            f"{n:.0f}", (x, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8
        )
    if roster.has("break_start"):
        brk = _hours(roster, "break_start")
        if not np.isnan(brk).all():
            brk = np.where(brk < start, brk + 24, brk)
            ax.plot(brk, y, "|", color=COLORS["net"], markersize=9, label="break")
            legend_above(ax)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(24.0, float(end.max())))
    ax.set_xticks(np.arange(0, ax.get_xlim()[1] + 1, 3))
    ax.xaxis.set_major_formatter(lambda h, _: f"{h % 24:02.0f}:00")
    ax.set_xlabel("time of day (number: agents on the shift)")
    ax.grid(axis="y", visible=False)
    return FigureOut(
        "roster_shifts",
        "The roster's shifts",
        "One bar per shift taken, from its start to its end (past midnight to the right of "
        "24:00); the number is how many agents work it, the tick its break.",
        fig,
    )


def _findings(st: Table, group: str | None = None) -> tuple[Finding, ...]:
    times = st.times("interval_start")
    hours = float((times[1] - times[0]) / np.timedelta64(1, "h")) if times.size > 1 else 1.0
    open_ = _flag(st, "open")
    met = _flag(st, "roster_met")
    n_open, n_met = int(open_.sum()), int((met & open_).sum())
    level = st.num("roster_service_level")
    out = []
    if n_open:
        worst = np.flatnonzero(open_ & ~met)
        who = "Roster" if group is None else f"Group {group}'s roster"
        text = (
            f"{who}: meets the staffing target (given to fansim staff) in {n_met} of {n_open} "
            "open intervals"
        )
        if worst.size:
            when = ", ".join(str(times[i])[11:16] for i in worst[:4])
            text += (
                f"; missed at {when}{' …' if worst.size > 4 else ''} (lowest service level "
                f"{np.nanmin(level[worst]):.0%})"
            )
        out.append(Finding("met" if n_met == n_open else "missed", text + "."))
    rostered = float(np.nansum(st.num("rostered"))) * hours
    required = float(np.nansum(st.num("required"))) * hours
    text = "Agent-hours" if group is None else f"Group {group}'s agent-hours"
    text += f": {rostered:,.0f} rostered for {required:,.0f} required"
    if required > 0:
        text += f" ({(rostered - required) / required:+.0%}: whole shifts cover the peaks)"
    methods = [
        f"{label.split(' (')[0]} {float(np.nansum(st.num(c))) * hours:,.0f}"
        for c, label, _, _ in _LINES
        if st.has(c)
    ]
    out.append(Finding("info", f"{text}; on the phones: {', '.join(methods)}."))
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    st = folder.table("staffing.csv")
    if st.rows == 0:
        return SectionResult(notes=("staffing.csv has no rows.",))
    figures: list[FigureOut] = []
    findings: list[Finding] = []
    for group, part in _by_group(st):
        figures.append(_required(part, group))
        findings += _findings(part, group)
    notes: tuple[str, ...] = ()
    if folder.has("roster.csv"):
        roster = folder.table("roster.csv")
        if 0 < roster.rows <= MAX_SHIFT_ROWS:
            figures.append(_shifts(roster))
        elif roster.rows:
            notes = (f"{roster.rows} shifts in roster.csv: too many to draw; see the file.",)
    return SectionResult(figures=tuple(figures), findings=tuple(findings), notes=notes)


def _by_group(st: Table) -> list[tuple[str | None, Table]]:
    """The table's rows per group, in file order (one part, None, without a `group` column)."""
    if not st.has("group"):
        return [(None, st)]
    groups = st.text("group")
    out: list[tuple[str | None, Table]] = []
    for g in dict.fromkeys(groups.tolist()):
        keep = groups == g
        columns = {k: v[keep] for k, v in st.columns.items()}
        out.append((str(g), replace(st, columns=columns, rows=int(keep.sum()))))
    return out


STAFFING = Section(
    "staffing", "Agents on duty vs required", ("staffing.csv",), "fansim staff", _build
)
