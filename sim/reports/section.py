"""What a report section is: the files it needs, how it draws, what it concludes.

A section declares the run-folder files it needs; the report skips it, with a note naming the
missing files and the command that writes them, when any is absent. So a folder from
`fansim run` gets the growth, service and surge sections, and a folder that later also holds
staffing.csv or loadreport.json gets those sections too, with no change to the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar

from sim.reports.plotting import FigureOut
from sim.reports.run_folder import RunFolder, Table

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_SLA_SHARE",
    "Finding",
    "ReportOptions",
    "Section",
    "SectionResult",
    "first_drawn",
    "grouped_figure",
    "judge_share",
]

DEFAULT_SLA_SHARE = 0.9

T = TypeVar("T")


@dataclass(frozen=True)
class ReportOptions:
    """How the report judges what it draws (the same for every section).

    Attributes:
        sla_share: the share of messages that must meet a response target for the target to
            count as met (`--sla-share`). A scenario states the minutes, not the share, so the
            report needs one; it is printed at the top of every report.
    """

    sla_share: float = DEFAULT_SLA_SHARE


@dataclass(frozen=True)
class Finding:
    """One line of the decision summary at the top of the report.

    Attributes:
        verdict: `met` / `missed` for a target, `unsure` when a confidence interval straddles
            the target (more replications would tell), `info` for a plain fact.
        text: the sentence, with the numbers and the margin (e.g. "over by 4.2 min").
    """

    verdict: Literal["met", "missed", "unsure", "info"]
    text: str


@dataclass(frozen=True)
class SectionResult:
    """What a section drew. No figures and a note = the data had nothing to show."""

    figures: tuple[FigureOut, ...] = ()
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    """A part of the report.

    Attributes:
        key: short id (HTML anchor, figure file prefix).
        title: heading.
        needs: files the section reads; all must be in the run folder.
        made_by: the command that writes them, for the note when they are missing.
        build: draws the section from the folder with the report's options (called inside the
            report's matplotlib settings, so fonts and styles apply).
    """

    key: str
    title: str
    needs: tuple[str, ...]
    made_by: str
    build: Callable[[RunFolder, ReportOptions], SectionResult] = field(repr=False)


def judge_share(
    low: float, high: float, share: float
) -> tuple[Literal["met", "missed", "unsure"], str]:
    """Verdict and margin of a met-the-target share (or its CI `low`..`high`) against `share`.

    One run gives `low == high`. With replications, the target is met when the whole 95% CI
    is at or above `share`, missed when it is all below, and unsure otherwise.
    """
    ci = low != high
    if low >= share:
        gap = f"{(low - share) * 100:.1f} points"
        return "met", f"met, the whole CI above it, its bottom by {gap}" if ci else f"met by {gap}"
    if high < share:
        gap = f"{(share - high) * 100:.1f} points"
        return "missed", f"missed, the whole CI below it, its top by {gap}" if ci else (
            f"short by {gap}"
        )
    return "unsure", (
        f"unsure: the 95% CI {low:.1%} – {high:.1%} straddles {share:.0%}; more replications "
        "would tell"
    )


def first_drawn(items: list[T], limit: int, what: str) -> tuple[list[T], tuple[str, ...]]:
    """The first `limit` of `items`, and a note naming how many `what` there were when more."""
    if len(items) <= limit:
        return items, ()
    return items[:limit], (f"{len(items)} {what}; the first {limit} are drawn.",)


Group = tuple[str, "NDArray[np.intp]"]


def grouped_figure(
    folder: RunFolder,
    file: str,
    empty: str,
    groups: Callable[[Table], list[Group]],
    limit: int,
    what: str,
    figure: Callable[[Table, list[Group]], FigureOut],
    findings: Callable[[Table, list[Group]], tuple[Finding, ...]],
) -> SectionResult:
    """One figure and its findings over the first `limit` groups of rows of `file`.

    Campaigns and cascades draw this way; a file with no rows gives the note `empty`.
    """
    t = folder.table(file)
    if t.rows == 0:
        return SectionResult(notes=(empty,))
    drawn, notes = first_drawn(groups(t), limit, what)
    return SectionResult(figures=(figure(t, drawn),), findings=findings(t, drawn), notes=notes)
