"""`fansim fit`, `fansim forecast`, `fansim backtest`: the inference commands (docs/inference.md).

This module holds their parsers; the bodies (`sim.cli.fit_run`) are imported when one runs.

Each writes its files into a hidden folder beside `--out` and moves them in when all are done:
Ctrl-C prints one line and leaves the previous outputs as they were. Bad data or priors exit 2
with every problem named (file, line, column, value, rule).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from sim.cli.options import add_execution, count_arg
from sim.inference.data import parse_date

__all__ = ["COMMANDS", "add_parsers"]

Command = Callable[[argparse.Namespace, Console], int]


def _dates(text: str) -> list[dt.date]:
    out = []
    for part in text.split(","):
        day = parse_date(part)
        if day is None:
            raise argparse.ArgumentTypeError(
                f"must be dates like 2025-06-30,2025-07-31 (got {part!r})"
            )
        out.append(day)
    return out


def _common(p: argparse.ArgumentParser, seed: int | None = 1) -> None:
    """Scenario, --out, --seed (None: the forecast's draws follow the fit's seed), execution."""
    p.add_argument("scenario", type=Path, help="scenario TOML file")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    said = "the fit's seed" if seed is None else str(seed)
    p.add_argument("--seed", type=count_arg(0), default=seed, help=f"root seed (default {said})")
    add_execution(p)


def _fitting(p: argparse.ArgumentParser) -> None:
    p.add_argument("--priors", type=Path, required=True, help="TOML file with the [fit] table")
    p.add_argument("--particles", type=count_arg(2), help="override fit.particles")
    p.add_argument("--generations", type=count_arg(1), help="override fit.generations")


def add_parsers(sub: Any) -> None:
    """Register `fit`, `forecast` and `backtest` on the `fansim` sub-parsers."""
    f = sub.add_parser("fit", help="fit free parameters to an account's history (ABC-SMC)")
    _common(f)
    _fitting(f)
    f.add_argument("--history", type=Path, help="daily history CSV (WeChat export or English)")
    f.add_argument("--events", type=Path, help="past campaigns CSV: their figures join the fit")
    f.add_argument("--facts", type=Path, help="sparse facts CSV: date,metric,value,tolerance")

    fc = sub.add_parser(
        "forecast",
        help="predictive quantiles from a fit's posterior, per date and per campaign ahead",
        description="Predictive quantiles per date over --horizon days after the fit's data "
        "end (forecast.csv), and for each campaign with a day after it, its participants, "
        "shares, follows gained and net follows after 14 days over those days (events.csv; "
        "the whole model runs, to each such campaign's last day plus 14; --no-events skips "
        "them).",
    )
    _common(fc, seed=None)
    fc.add_argument("--posterior", type=Path, required=True, help="folder written by fansim fit")
    fc.add_argument("--horizon", type=count_arg(1), default=28, help="days ahead (28)")
    fc.add_argument("--replications", type=count_arg(1), default=2, help="per draw (2)")
    fc.add_argument("--draws", type=count_arg(1), default=200, help="posterior draws (200)")
    fc.add_argument(
        "--whole",
        action="store_true",
        help="run the whole model per draw, so messages and messages to humans are forecast "
        "(automatic when the scenario's service side reaches the fans or a campaign lies ahead)",
    )
    fc.add_argument(
        "--no-events",
        dest="per_event",
        action="store_false",
        help="skip the per-event forecasts of the campaigns ahead (events.csv keeps its header "
        "only; a campaign ahead no longer turns the whole model on)",
    )

    bt = sub.add_parser("backtest", help="fit at rolling origins, score forecasts, vs baselines")
    _common(bt)
    _fitting(bt)
    bt.add_argument("--history", type=Path, required=True, help="daily history CSV")
    bt.add_argument("--origins", type=_dates, help="comma-separated dates (rolling origins)")
    bt.add_argument("--horizon", type=count_arg(1), default=28, help="days ahead (28)")
    bt.add_argument("--draws", type=count_arg(1), default=100, help="posterior draws (100)")
    bt.add_argument(
        "--truth",
        type=Path,
        help="a synthetic account's true parameters ([parameters]): scores their forecasts too",
    )
    bt.add_argument(
        "--events",
        type=Path,
        help="past campaigns CSV: each fit sees the events that ended before its origin",
    )
    bt.add_argument(
        "--hold-out-events",
        action="store_true",
        help="predict each event after the first --first-events from the history and the "
        "events before it, and score its reported figures",
    )
    bt.add_argument(
        "--first-events",
        type=count_arg(1),
        default=1,
        help="events only fitted on, never predicted, with --hold-out-events (1)",
    )


def _cmd_fit(args: argparse.Namespace, console: Console) -> int:
    from sim.cli.fit_run import cmd_fit

    return cmd_fit(args, console)


def _cmd_forecast(args: argparse.Namespace, console: Console) -> int:
    from sim.cli.fit_run import cmd_forecast

    return cmd_forecast(args, console)


def _cmd_backtest(args: argparse.Namespace, console: Console) -> int:
    from sim.cli.fit_run import cmd_backtest

    return cmd_backtest(args, console)


COMMANDS: dict[str, Command] = {
    "fit": _cmd_fit,
    "forecast": _cmd_forecast,
    "backtest": _cmd_backtest,
}
