"""Building a report: run folder in, one HTML page plus each figure as PNG and SVG out.

Each section of the registry is drawn when the folder holds the files it needs and skipped with
a note otherwise; the decision summary at the top collects every drawn section's findings.
Figures go to `<report stem>_figures/` beside the page (for slides); the page itself embeds them
and needs nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.errors import Problem, ScenarioError
from sim.reports.fonts import find_cjk_font, rc_params
from sim.reports.page import FigureHtml, Page, SectionHtml, render
from sim.reports.plotting import export, style
from sim.reports.registry import SECTIONS
from sim.reports.run_folder import RunFolder
from sim.reports.section import Finding, ReportOptions, Section

__all__ = ["Report", "build_report"]


@dataclass(frozen=True)
class Report:
    """What `build_report` wrote.

    Attributes:
        path: the HTML page.
        figures: PNG and SVG files beside it.
        skipped: one line per section that was not drawn, and why.
    """

    path: Path
    figures: tuple[Path, ...]
    skipped: tuple[str, ...]


def _header(folder: RunFolder) -> tuple[str, str, str]:
    """Title, description and provenance line from summary.json / scenario.json when present."""
    summary = folder.json("summary.json") if folder.has("summary.json") else {}
    scenario = folder.json("scenario.json") if folder.has("scenario.json") else {}
    meta = scenario.get("scenario", {}) if isinstance(scenario.get("scenario"), dict) else {}
    name = summary.get("scenario") or meta.get("name") or _scenario_in_tables(folder)
    bits = [
        " to ".join(str(d) for d in (meta.get("start"), meta.get("end")) if d),
        f"{summary['days']} day{'s' if summary['days'] != 1 else ''}" if "days" in summary else "",
        f"seed {summary['seed']}" if "seed" in summary else "",
        f"replication {summary['replication']}" if "replication" in summary else "",
        f"parameters {summary['params_hash']}" if "params_hash" in summary else "",
        f"fansim {summary['version']}" if "version" in summary else "",
    ]
    return (
        f"fansim report: {name}",
        str(meta.get("description", "")),
        " · ".join(b for b in bits if b),
    )


def _scenario_in_tables(folder: RunFolder) -> str:
    """The scenario a folder without summary.json is about (load test, experiments' tables)."""
    if folder.has("loadreport.json"):
        name = folder.field("loadreport.json", "profile.scenario")
        if name:
            return f"load test of {name}"
    for table in ("replications.csv", "comparison.csv", "sweep.csv"):
        if folder.has(table) and folder.table(table).has("scenario"):
            names = dict.fromkeys(folder.table(table).text("scenario").tolist())
            return ", ".join(names) or folder.path.name
    return folder.path.name


def _assumptions(folder: RunFolder) -> tuple[str, ...]:
    """summary.json's `assumptions` as lines: path = value: meaning."""
    summary = folder.json("summary.json") if folder.has("summary.json") else {}
    items = summary.get("assumptions") or []
    return tuple(
        f"{a['path']} = {'none' if a['value'] is None else a['value']}: {a['meaning']}."
        for a in items
        if isinstance(a, dict) and {"path", "value", "meaning"} <= a.keys()
    )


def _clear_old(figures_dir: Path, keep: set[Path]) -> None:
    """Remove figures an earlier report left that this one did not draw (e.g. fewer windows)."""
    if figures_dir.is_dir():
        for old in [*figures_dir.glob("*.png"), *figures_dir.glob("*.svg")]:
            if old not in keep:
                old.unlink()


def build_report(
    run_dir: Path,
    out: Path | None = None,
    sections: Sequence[Section] = SECTIONS,
    options: ReportOptions | None = None,
    files: Mapping[str, str] | None = None,
) -> Report:
    """Draw the report of a run folder.

    Args:
        run_dir: the folder a `fansim` command wrote.
        out: the HTML file (default `run_dir/report.html`).
        sections: the sections to try, in order (default: the registry).
        options: how findings are judged (the SLA share), stated at the top of the page.
        files: the folder's file for a name sections read, where it differs (`fansim sweep
            --out grid.csv`: {"sweep.csv": "grid.csv"}).

    Raises:
        ScenarioError: the folder is missing, holds none of the files any section needs, or a
            file is malformed (naming the file and column).
    """
    folder = RunFolder(run_dir, files)
    options = options if options is not None else ReportOptions()
    out = out if out is not None else run_dir / "report.html"
    if not any(folder.has(n) for s in sections for n in s.needs):
        wanted = sorted({n for s in sections for n in s.needs})
        raise ScenarioError(
            [
                Problem(
                    "DIR",
                    f"holds none of the files a report draws ({', '.join(wanted)})",
                    str(run_dir),
                    True,
                )
            ]
        )
    cjk = find_cjk_font()
    rc = rc_params(cjk)
    figures_dir = out.parent / f"{out.stem}_figures"
    written: list[Path] = []
    drawn: list[SectionHtml] = []
    findings: list[Finding] = []
    skipped: list[str] = []
    absent: dict[str, list[str]] = {}  # command -> the sections its files would add
    for section in sections:
        missing = folder.missing(section.needs)
        if missing:
            skipped.append(
                f"{section.title}: needs {', '.join(missing)} (written by {section.made_by})."
            )
            absent.setdefault(section.made_by.split(" (")[0], []).append(section.title)
            continue
        with style(rc):
            result = section.build(folder, options)
        if not (result.figures or result.findings or result.notes):
            continue  # nothing of this kind in the run (e.g. no server): no heading either
        figs = []
        for f in result.figures:
            png, svg = export(f, rc)
            figures_dir.mkdir(parents=True, exist_ok=True)
            paths = (figures_dir / f"{f.name}.png", figures_dir / f"{f.name}.svg")
            paths[0].write_bytes(png)
            paths[1].write_bytes(svg)
            written += paths
            rel = tuple(p.relative_to(out.parent).as_posix() for p in paths)
            figs.append(FigureHtml(f.name, f.title, f.caption, svg, rel))
        drawn.append(SectionHtml(section.key, section.title, tuple(figs), result.notes))
        findings += result.findings
    _clear_old(figures_dir, set(written))
    not_shown = [f"{command}: {', '.join(titles)}" for command, titles in absent.items()]
    if cjk is None:
        note = (
            "No CJK font found: Chinese names in figures show as boxes; `make fonts` installs one."
        )
        skipped.append(note)
        not_shown.append(note)
    title, subtitle, meta = _header(folder)
    sources = tuple(sorted({n for s in sections for n in s.needs if folder.has(n)}))
    criteria = (
        f"A response target counts as met when at least {options.sla_share:.0%} of the messages "
        "routed to agents meet it (--sla-share); with replications, when the whole 95% "
        "confidence interval does."
    )
    page = Page(
        title,
        subtitle,
        meta,
        criteria,
        tuple(findings),
        tuple(drawn),
        tuple(not_shown),
        sources,
        _assumptions(folder),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(page), encoding="utf-8")
    return Report(out, tuple(written), tuple(skipped))
