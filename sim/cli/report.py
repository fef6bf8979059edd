"""The `fansim report` command, and the `--report` / `--sla-share` options other commands share.

The report's modules (and matplotlib) are imported only when a report is asked for, so
`fansim run` without `--report` starts as fast as before. A command that rewrites a folder
without `--report` removes the report an earlier command left there (`clear_report`): a page
drawn from the previous files would otherwise sit beside the new ones and be read as theirs.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.errors import FansimError, OptionError, Problem
from sim.staffing.targets import parse_share

__all__ = [
    "REPORT_FILE",
    "add_report_option",
    "add_report_parser",
    "check_sweep_report",
    "clear_report",
    "cmd_report",
    "finish_report",
    "finish_sweep_report",
    "sweep_report_page",
    "write_report",
]

REPORT_FILE = "report.html"
DEFAULT_SLA_SHARE = 0.9  # the same as sim.reports.section.DEFAULT_SLA_SHARE (not imported: lazy)


def _sla_share(text: str) -> float:
    """Validating `type=` for --sla-share: "90%" or 0.9, above 0 and at most 100%."""
    try:
        value = parse_share(text, "--sla-share", inclusive=True)
    except FansimError as exc:
        raise argparse.ArgumentTypeError(f"{exc.problems[0].message} (got {text!r})") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0% (got {text!r})")
    return value


def _add_sla_share(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sla-share",
        type=_sla_share,
        default=DEFAULT_SLA_SHARE,
        metavar="SHARE",
        help="share of messages that must meet a response target for the report to call it "
        'met, e.g. "95%%" (default 90%%)',
    )


def add_report_parser(sub: Any) -> None:
    """Register `fansim report DIR [--out FILE] [--sla-share SHARE]` on the sub-parsers."""
    rep = sub.add_parser("report", help="write an HTML report with figures from a run folder")
    rep.add_argument("dir", type=Path, help="run folder (e.g. the --out of fansim run)")
    rep.add_argument("--out", type=Path, help="HTML file to write (default DIR/report.html)")
    _add_sla_share(rep)


def add_report_option(parser: argparse.ArgumentParser, where: str = "DIR/report.html") -> None:
    """`--report` (and `--sla-share`) on commands that write a run folder."""
    parser.add_argument(
        "--report", action="store_true", help=f"also write {where} (see fansim report)"
    )
    _add_sla_share(parser)


def write_report(
    run_dir: Path,
    console: Console,
    out: Path | None = None,
    sla_share: float = DEFAULT_SLA_SHARE,
    table: Path | None = None,
) -> int:
    """Build the report of `run_dir`, print where it is and what was left out; exit code 0.

    `table` is a sweep's table: the report then draws only the sweep section, from that file.
    """
    from sim.reports import build_report
    from sim.reports.registry import SECTIONS
    from sim.reports.section import ReportOptions

    options = ReportOptions(sla_share=sla_share)
    if table is None:
        report = build_report(run_dir, out, options=options)
    else:
        sweep = [s for s in SECTIONS if s.key == "sweep"]
        files = {"sweep.csv": table.name}
        report = build_report(run_dir, out, sweep, options=options, files=files)
    figures = len(report.figures) // 2
    console.print(
        f"{figures} figures (PNG and SVG in {report.path.stem}_figures/), "
        f"{len(report.skipped)} sections not drawn (listed at the end of the report)",
        soft_wrap=True,
    )
    console.print(f"report: {report.path}", soft_wrap=True)
    return 0


def clear_report(page: Path) -> None:
    """Remove a report page and its figures (left by an earlier command)."""
    page.unlink(missing_ok=True)
    shutil.rmtree(page.parent / f"{page.stem}_figures", ignore_errors=True)


def finish_report(args: argparse.Namespace, folder: Path, console: Console) -> int:
    """After a command rewrote `folder`: drop the old report, draw a new one if asked."""
    clear_report(folder / REPORT_FILE)
    if args.report:
        return write_report(folder, console, sla_share=args.sla_share)
    return 0


def sweep_report_page(table: Path) -> Path:
    """Where `fansim sweep --out T.csv --report` writes its page: T.html beside the table."""
    return table.with_suffix(".html")


def check_sweep_report(args: argparse.Namespace) -> None:
    """Before a sweep runs: `--report` reads the table back, so it must be a .csv file."""
    if args.report and args.out.suffix.lower() != ".csv":
        rule = "--report draws from a .csv table; name --out *.csv or drop --report"
        raise OptionError([Problem("--out", rule, str(args.out), True)])


def finish_sweep_report(args: argparse.Namespace, console: Console) -> int:
    """After a sweep rewrote its table: drop the old page, draw a new one if asked."""
    page = sweep_report_page(args.out)
    clear_report(page)
    if args.report:
        return write_report(args.out.parent, console, page, args.sla_share, args.out)
    return 0


def cmd_report(args: argparse.Namespace, console: Console) -> int:
    """`fansim report DIR`."""
    return write_report(args.dir, console, args.out, args.sla_share)
