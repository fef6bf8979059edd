"""The `fansim report` command, and the `--report` option other commands share.

The report's modules (and matplotlib) are imported only when a report is asked for, so
`fansim run` without `--report` starts as fast as before.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

__all__ = ["add_report_option", "add_report_parser", "cmd_report", "write_report"]


def add_report_parser(sub: Any) -> None:
    """Register `fansim report DIR [--out FILE]` on the sub-command parsers."""
    rep = sub.add_parser("report", help="write an HTML report with figures from a run folder")
    rep.add_argument("dir", type=Path, help="run folder (e.g. the --out of fansim run)")
    rep.add_argument("--out", type=Path, help="HTML file to write (default DIR/report.html)")


def add_report_option(parser: argparse.ArgumentParser) -> None:
    """`--report` on commands that write a run folder."""
    parser.add_argument(
        "--report", action="store_true", help="also write DIR/report.html (see fansim report)"
    )


def write_report(run_dir: Path, console: Console, out: Path | None = None) -> int:
    """Build the report of `run_dir`, print where it is and what was left out; exit code 0."""
    from sim.reports import build_report

    report = build_report(run_dir, out)
    figures = len(report.figures) // 2
    console.print(
        f"{figures} figures (PNG and SVG in {report.path.stem}_figures/), "
        f"{len(report.skipped)} sections not drawn (listed at the end of the report)",
        soft_wrap=True,
    )
    console.print(f"report: {report.path}", soft_wrap=True)
    return 0


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    """`fansim report DIR`."""
    return write_report(args.dir, console, args.out)
