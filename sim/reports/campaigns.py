"""Campaigns section: what each campaign reached, brought in and kept, day by day.

Drawn from campaigns.csv (`fansim run` of a scenario with campaigns: one row per campaign and
day with people reached, participants, shares, the campaign's follows and how many of them still
followed 3 and 14 days later, then a `total` row per campaign; `sim.results.campaign_tables`).
"""

from __future__ import annotations

import math

import numpy as np

from sim.reports.plotting import COLORS, SOURCE_PALETTE, FigureOut, legend_above, new_figure
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult, grouped_figure

__all__ = ["CAMPAIGNS"]

MAX_CAMPAIGNS = 6


def _days(t: Table) -> list[tuple[str, np.ndarray]]:
    """(campaign, indices of its day rows in date order), in file order."""
    return t.groups(t.text("campaign"), np.asarray(t.text("row")) == "day")


def _figure(t: Table, campaigns: list[tuple[str, np.ndarray]]) -> FigureOut:
    fig, (ar, af) = new_figure(rows=2, height=2.6)
    day = t.num("day")
    for i, (name, rows) in enumerate(campaigns):
        color = SOURCE_PALETTE[(i + 1) % len(SOURCE_PALETTE)]
        x = day[rows]
        ar.plot(x, t.num("reached")[rows], "-", color=color, label=f"{name}: reached")
        ar.plot(x, t.num("participants")[rows], "o", color=color, ms=3, label="took part")
        af.bar(x, t.num("follows")[rows], 0.8, color=color, alpha=0.5, label=f"{name}: follows")
        net = t.num("net_follows_14d")[rows]
        af.plot(x, net, "o", color=COLORS["follows"], ms=3, label="still following 14 days on")
    ar.set_yscale("symlog", linthresh=10)
    ar.set_ylim(bottom=0)
    ar.yaxis.set_major_formatter("{x:,.0f}")
    ar.set_ylabel("people a day (log)")
    legend_above(ar)
    af.set_ylim(bottom=0)
    af.yaxis.set_major_formatter("{x:,.0f}")
    af.set_ylabel("follows a day")
    af.set_xlabel("day of the run (negative: warm-up before it)")
    legend_above(af)
    return FigureOut(
        "campaigns",
        "Campaigns day by day: reach, turnout, follows and what they kept",
        "Top: people outside the account reached for the first time each day (warm-up, "
        "promotion, the cascade on its launch day) and people taking part. Bottom: the "
        "campaign's follows each day and, as dots, how many of them still followed 14 days "
        "later (none drawn where the run ends first).",
        fig,
    )


def _count(value: float) -> str:
    return "unknown (the run ends first)" if math.isnan(value) else f"{value:,.0f}"


def _findings(t: Table) -> tuple[Finding, ...]:
    out = []
    totals = np.flatnonzero(np.asarray(t.text("row")) == "total")
    for i in totals.tolist():
        name = t.text("campaign")[i]
        cost = t.num("cost_per_net_follow")[i]
        priced = "" if math.isnan(cost) else f"; {cost:,.2f} per net follow"
        out.append(
            Finding(
                "info",
                f"Campaign {name}: {t.num('reached')[i]:,.0f} people reached, "
                f"{t.num('participants')[i]:,.0f} took part, {t.num('shares')[i]:,.0f} shares; "
                f"{t.num('follows')[i]:,.0f} follows, {_count(t.num('net_follows_3d')[i])} still "
                f"following after 3 days and {_count(t.num('net_follows_14d')[i])} after 14"
                f"{priced}.",
            )
        )
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    return grouped_figure(
        folder, "campaigns.csv", "No campaign ran in this run.", _days, MAX_CAMPAIGNS,
        "campaigns", _figure, lambda t, _drawn: _findings(t),
    )  # fmt: skip


CAMPAIGNS = Section(
    "campaigns",
    "Campaigns: reach, turnout and net follows",
    ("campaigns.csv",),
    "fansim run (scenarios with campaigns)",
    _build,
)
