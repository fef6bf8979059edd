"""Channels section: each service channel's volume and response against its own targets.

Drawn from channels_service.csv, which `fansim run` writes only for scenarios with
`[inbound.<name>]` channels (WeChat's `[messages]` is the `wechat` row): messages received and
replies sent per day, and the shares answered within the channel's first-response and
resolution targets, judged against the report's `--sla-share`.
"""

from __future__ import annotations

import numpy as np

from sim.reports.plotting import COLORS, FigureOut, legend_above, limit_line, new_figure
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult, judge_share

__all__ = ["CHANNELS"]


def _figure(t: Table, share: float) -> FigureOut:
    names = t.text("channel").tolist()
    x = np.arange(len(names))
    fig, (av, asla) = new_figure(columns=2, height=3.0, share_x=False)
    av.bar(x - 0.2, t.num("received_per_day"), 0.4, color=COLORS["received"], label="received")
    av.bar(x + 0.2, t.num("replies_per_day"), 0.4, color=COLORS["auto"], label="replies")
    av.set_ylabel("messages per day")
    av.yaxis.set_major_formatter("{x:,.0f}")
    legend_above(av)
    asla.bar(x - 0.2, t.num("sla_first_response_met"), 0.4, color=COLORS["p50"],
             label="first response in target")  # fmt: skip
    asla.bar(x + 0.2, t.num("sla_resolution_met"), 0.4, color=COLORS["p90"],
             label="resolved in target")  # fmt: skip
    limit_line(asla, share, f"{share:.0%}")
    asla.set_ylim(0, 1.05)
    asla.yaxis.set_major_formatter("{x:.0%}")
    legend_above(asla)
    for ax in (av, asla):
        ax.set_xticks(x, names)
    return FigureOut(
        "channels",
        "Service by channel",
        "Left: messages received and replies sent (keyword auto-replies plus agents' answers) "
        "per day, per channel. Right: share of each channel's messages routed to agents that "
        "met that channel's first-response and resolution targets (dashed: the "
        f"{share:.0%} the summary asks for, --sla-share).",
        fig,
    )


def _findings(t: Table, share: float) -> tuple[Finding, ...]:
    out = []
    for i, name in enumerate(t.text("channel").tolist()):
        met = float(t.num("sla_first_response_met")[i])
        target = float(t.num("first_response_target_minutes")[i])
        within = f"within {target:g} min" if np.isfinite(target) else "within its dated targets"
        head = (
            f"{name}: {t.num('received_per_day')[i]:,.0f} messages a day, "
            f"{t.num('replies_per_day')[i]:,.0f} replies; first response {within}"
        )
        if not np.isfinite(met):
            out.append(Finding("info", f"{head}: no message was routed to agents."))
            continue
        verdict, margin = judge_share(met, met, share)
        out.append(Finding(verdict, f"{head}: {met:.1%} ({margin})."))
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    t = folder.table("channels_service.csv")
    if t.rows == 0:
        return SectionResult(notes=("No channel rows in this run.",))
    share = options.sla_share
    return SectionResult(figures=(_figure(t, share),), findings=_findings(t, share))


CHANNELS = Section(
    "channels",
    "Service by channel",
    ("channels_service.csv",),
    "fansim run (a scenario with [inbound] channels)",
    _build,
)
