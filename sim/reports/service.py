"""Service section: the agents' backlog, response times against the SLA, agents on duty.

Drawn from timeseries.csv (per hour) and summary.json (the whole run's figures and the SLA
targets in force, which phases may change on a date). The decision summary judges a target met
when at least the report's `sla_share` of messages meet it (`--sla-share`, 90% by default): a
scenario states the minutes, not the share.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.reports.campaign_service import campaign_findings
from sim.reports.periods import hourly_is_readable, per_day, with_end
from sim.reports.plotting import (
    COLORS,
    FigureOut,
    Phases,
    Times,
    date_axis,
    legend_above,
    limit_line,
    mark_phases,
    new_figure,
    target_line,
)
from sim.reports.run_folder import F64, RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult, judge_share

__all__ = ["AGENTS", "QUEUE", "target_minutes"]


def target_minutes(value: Any, times: Times) -> F64:
    """The target in force at each time: one number, or dated values `[{from, minutes}]`."""
    if isinstance(value, int | float):
        return np.full(times.size, float(value))
    out = np.full(times.size, np.nan)
    for step in sorted(value or [], key=lambda s: str(s["from"])):
        out[times >= np.datetime64(str(step["from"]), "s")] = float(step["minutes"])
    return out


def _queue(ts: Table, target: Any, phases: Phases, share: float) -> FigureOut:
    hours = ts.times("hour")
    hourly = hourly_is_readable(hours)
    fig, (ab, ar, asla) = new_figure(rows=3, height=2.3)
    if hourly:
        times, peak = hours, ts.num("backlog_max")
        level, level_label = ts.num("backlog"), "waiting at the hour's end"
        p90, p90_label = ts.num("response_p90_minutes"), "90th percentile"
        p50, p50_label = ts.num("response_p50_minutes"), "median"
        sla = ts.num("sla_first_response_met")
    else:
        times, peak = per_day(hours, ts.num("backlog_max"), "max")
        level = per_day(hours, ts.num("backlog"), "median")[1]
        level_label = "median hour's end"
        p90 = per_day(hours, ts.num("response_p90_minutes"), "max")[1]
        p90_label = "90th percentile, worst hour"
        p50 = per_day(hours, ts.num("response_p90_minutes"), "median")[1]
        p50_label = "90th percentile, median hour"
        weight = ts.num("messages_to_humans")
        sla = per_day(hours, ts.num("sla_first_response_met"), "weighted", weight)[1]
    ab.fill_between(
        *with_end(times, peak),
        step="post",
        color=COLORS["backlog"],
        alpha=0.35,
        label="most waiting at once",
    )
    ab.step(*with_end(times, level), where="post", color=COLORS["backlog"], label=level_label)
    ab.set_ylabel("messages waiting")
    legend_above(ab)
    ar.step(*with_end(times, p90), where="post", color=COLORS["p90"], label=p90_label)
    ar.step(*with_end(times, p50), where="post", color=COLORS["p50"], label=p50_label)
    target_line(ar, *with_end(times, target_minutes(target, times)))
    ar.set_ylabel("first response (min)")
    ar.set_ylim(bottom=0)
    legend_above(ar)
    asla.step(*with_end(times, sla), where="post", color=COLORS["human"], label="met")
    limit_line(asla, share, f"{share:.0%}")
    asla.set_ylim(-0.02, 1.02)
    asla.yaxis.set_major_formatter("{x:.0%}")
    asla.set_ylabel("met the target")
    legend_above(asla)
    for ax in (ab, ar, asla):
        mark_phases(ax, phases, labels=ax is ab)
    date_axis(asla, with_end(times, sla)[0])
    per = (
        "each hour"
        if hourly
        else "each day (from the hourly rows: the day's peak, the median hour; for response "
        "times the worst and the median hour's 90th percentile; the share met averaged over "
        "the hours, weighted by messages routed to agents)"
    )
    return FigureOut(
        "backlog_response",
        "Backlog and first-response time against the target",
        f"Values for {per}. Top: messages waiting for an agent (shaded: the most at once). "
        "Middle: time to an agent's first response, by when the agent picked the message up; "
        "dashed: the target. Bottom: share of messages answered within the target (dashed: the "
        f"{share:.0%} the summary asks for, --sla-share). Gaps: no message answered (no agent "
        "on duty).",
        fig,
    )


def _agents(ts: Table, phases: Phases) -> FigureOut:
    hours = ts.times("hour")
    hourly = hourly_is_readable(hours)
    present, util = ts.num("agents_present"), ts.num("agent_utilization")
    fig, (aa, au) = new_figure(rows=2, height=2.2)
    if hourly:
        times, busy = hours, util
        aa.step(*with_end(times, present), where="post", color=COLORS["agents"], label="on duty")
    else:
        times, peak = per_day(hours, present, "max")
        agent_hours = per_day(hours, present)[1]
        busy = per_day(hours, util, "weighted", present)[1]
        aa.step(*with_end(times, peak), where="post", color=COLORS["agents"], label="most at once")
        aa.step(
            *with_end(times, agent_hours / 24),
            where="post",
            color=COLORS["p50"],
            label="average over the day",
        )
    aa.set_ylabel("agents")
    aa.set_ylim(bottom=0)
    legend_above(aa)
    au.step(*with_end(times, busy), where="post", color=COLORS["utilization"])
    au.set_ylim(-0.02, 1.02)
    au.yaxis.set_major_formatter("{x:.0%}")
    au.set_ylabel("busy share")
    for ax in (aa, au):
        mark_phases(ax, phases, labels=ax is aa)
    date_axis(au, with_end(times, busy)[0])
    return FigureOut(
        "agents",
        "Agents on duty and how busy they were",
        f"Top: agents present {'each hour' if hourly else 'per day'} (averaged over the hour, "
        "including overtime to finish a message). Bottom: share of their present time spent "
        "handling messages.",
        fig,
    )


def _target_text(value: Any) -> str:
    if isinstance(value, int | float):
        return f"{value:g} min"
    return ", ".join(f"{s['minutes']:g} min from {s['from']}" for s in value or [])


def _sla_finding(what: str, met: Any, p90: Any, target: Any, share: float) -> Finding | None:
    if met is None:
        return None
    verdict, margin = judge_share(met, met, share)
    text = (
        f"{what}: {met:.1%} of messages within {_target_text(target)} "
        f"(the report asks for {share:.0%}): {margin}"
    )
    if p90 is not None and isinstance(target, int | float):
        diff = p90 - target
        side = "under" if diff <= 0 else "over"
        text += (
            f"; answered messages' 90th percentile {p90:.1f} min ({abs(diff):.1f} min {side} "
            "the target; abandoned messages count as missed)"
        )
    return Finding(verdict, text + ".")


def _findings(s: dict[str, Any], share: float) -> tuple[Finding, ...]:
    out = [
        _sla_finding(
            "First response",
            s.get("sla_first_response_met"),
            s.get("response_p90_minutes"),
            s.get("sla_first_response_target_minutes"),
            share,
        ),
        _sla_finding(
            "Resolution",
            s.get("sla_resolution_met"),
            s.get("resolution_p90_minutes"),
            s.get("sla_resolution_target_minutes"),
            share,
        ),
    ]
    to_humans = s.get("messages_to_humans") or 0
    abandoned = s.get("messages_abandoned") or 0
    if to_humans:
        out.append(
            Finding(
                "info",
                f"Backlog: at most {s.get('backlog_max', 0):,} messages waiting; "
                f"{abandoned:,} ({abandoned / to_humans:.1%} of those routed to agents) "
                f"abandoned, {s.get('backlog_final', 0):,} still waiting at the end; agents "
                f"busy {s.get('agent_utilization') or 0:.0%} of their time.",
            )
        )
    return (*(f for f in out if f is not None), *campaign_findings(s, share))


def _build_queue(folder: RunFolder, options: ReportOptions) -> SectionResult:
    ts = folder.table("timeseries.csv")
    summary = folder.json("summary.json")
    if ts.rows == 0 or not summary.get("messages_to_humans"):
        return SectionResult(notes=("No message reached an agent: no queue to draw.",))
    target = summary.get("sla_first_response_target_minutes")
    return SectionResult(
        figures=(_queue(ts, target, folder.phases(), options.sla_share),),
        findings=_findings(summary, options.sla_share),
    )


def _build_agents(folder: RunFolder, options: ReportOptions) -> SectionResult:
    ts = folder.table("timeseries.csv")
    if ts.rows == 0 or not ts.has("agents_present"):
        return SectionResult(notes=("timeseries.csv has no agents_present column.",))
    return SectionResult(figures=(_agents(ts, folder.phases()),))


_RUN = ("timeseries.csv", "summary.json")
QUEUE = Section("service", "Service: backlog and response times", _RUN, "fansim run", _build_queue)
AGENTS = Section("agents", "Agents on duty", ("timeseries.csv",), "fansim run", _build_agents)
