"""What a report section is: the files it needs, how it draws, what it concludes.

A section declares the run-folder files it needs; the report skips it, with a note naming the
missing files and the command that writes them, when any is absent. So a folder from
`fansim run` gets the growth, service and surge sections, and a folder that later also holds
staffing.csv or loadreport.json gets those sections too, with no change to the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sim.reports.plotting import FigureOut
from sim.reports.run_folder import RunFolder

__all__ = ["Finding", "Section", "SectionResult"]


@dataclass(frozen=True)
class Finding:
    """One line of the decision summary at the top of the report.

    Attributes:
        verdict: `met` / `missed` for a target, `info` for a plain fact.
        text: the sentence, with the numbers and the margin (e.g. "over by 4.2 min").
    """

    verdict: Literal["met", "missed", "info"]
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
        build: draws the section from the folder (called inside the report's matplotlib
            settings, so fonts and styles apply).
    """

    key: str
    title: str
    needs: tuple[str, ...]
    made_by: str
    build: Callable[[RunFolder], SectionResult] = field(repr=False)
