"""Cascades section: how a campaign spread, generation by generation.

Drawn from cascades.csv (`fansim run` of a scenario whose campaigns spread by sharing: one row
per campaign, launch day and generation with participants, sharers, shares, people reached,
joiners of the next generation, follows and the effective reproduction number
`effective_r = joined / participants`). Generation 0 are the campaign day's own participants.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from sim.reports.plotting import COLORS, SOURCE_PALETTE, FigureOut, legend_above, new_figure
from sim.reports.run_folder import RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult, grouped_figure

__all__ = ["CASCADES"]

MAX_CASCADES = 6


def _cascades(t: Table) -> list[tuple[str, np.ndarray]]:
    """(label, row indices in generation order) per campaign and launch day, in file order."""
    keys = [f"{c} {d}" for c, d in zip(t.text("campaign"), t.text("launch_date"), strict=True)]
    gen = t.num("generation")
    return [(k, rows[np.argsort(gen[rows], kind="stable")]) for k, rows in t.groups(keys)]


def _figure(t: Table, cascades: list[tuple[str, np.ndarray]]) -> FigureOut:
    gen = t.num("generation")
    fig, (ap, ar) = new_figure(rows=2, height=2.6)
    single = len(cascades) == 1
    for i, (label, rows) in enumerate(cascades):
        color = SOURCE_PALETTE[(i + 1) % len(SOURCE_PALETTE)]
        x = gen[rows]
        if single:
            ap.bar(x, t.num("participants")[rows], 0.8, color=COLORS["human"], label="participants")
            ap.bar(
                x, t.num("follows")[rows], 0.5, color=COLORS["follows"], label="of whom followed"
            )
            ap.plot(
                x, t.num("reached")[rows], "o-", color=COLORS["expected"], ms=3, label="reached"
            )
        else:
            ap.plot(x, t.num("participants")[rows], "o-", color=color, ms=3, label=label)
        ar.plot(x, t.num("effective_r")[rows], "o-", color=color if not single else COLORS["p90"],
                ms=3, label=label)  # fmt: skip
    ap.set_yscale("symlog", linthresh=10)
    ap.set_ylim(bottom=0)
    ap.yaxis.set_major_formatter("{x:,.0f}")
    ap.set_ylabel("people (log scale)")
    legend_above(ap)
    ar.axhline(1.0, color=COLORS["target"], linestyle="--", linewidth=1.2, label="R = 1")
    ar.set_ylim(bottom=0)
    ar.set_ylabel("effective R")
    ar.set_xlabel("generation (0: the campaign day's own participants)")
    ar.xaxis.set_major_locator(MaxNLocator(integer=True))
    legend_above(ar)
    title = cascades[0][0] if single else f"{len(cascades)} cascades"
    return FigureOut(
        "cascades",
        f"Campaign cascades by generation: {title}",
        "Top: participants in each generation of sharing "
        + (
            "(bars; the inner bar: those who also followed) and people reached for the first "
            "time (line), "
            if single
            else "per campaign and launch day, "
        )
        + "on a log scale. Bottom: the effective reproduction number, next generation's "
        "joiners per participant; below the dashed R = 1 line each generation is smaller than "
        "the last and the cascade dies out.",
        fig,
    )


def _findings(t: Table, cascades: list[tuple[str, np.ndarray]]) -> tuple[Finding, ...]:
    out = []
    for label, rows in cascades:
        part = t.num("participants")[rows]
        passed = t.num("sharers")[rows] > 0
        r = float(t.num("joined")[rows].sum() / part[passed].sum()) if passed.any() else 0.0
        seeds, total = float(part[0]), float(part.sum())
        fate = "dies out" if r < 1 else "grows each generation: capacity must follow it"
        out.append(
            Finding(
                "info",
                f"Cascade {label}: {seeds:,.0f} participants on the day became {total:,.0f} "
                f"over {rows.size} generations (x{total / seeds if seeds else 0:.2f}); effective "
                f"R {r:.2f} ({fate}); {float(np.nansum(t.num('follows')[rows])):,.0f} follows, "
                f"{float(np.nansum(t.num('reached')[rows])):,.0f} people reached.",
            )
        )
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    return grouped_figure(
        folder, "cascades.csv", "No campaign spread by sharing in this run.", _cascades,
        MAX_CASCADES, "cascades", _figure, _findings,
    )  # fmt: skip


CASCADES = Section(
    "cascades",
    "Campaign cascades by generation",
    ("cascades.csv",),
    "fansim run (campaigns that spread)",
    _build,
)
