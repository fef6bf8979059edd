"""Past campaigns (events CSV) and sparse facts (a figure at a date, with a tolerance).

Events: one row per past campaign with platform, type, start, end and what it did (warm-up days,
posts, prizes and their value, participants, shares or reposts, follows gained); blank optional
cells mean "not known". Facts: `date,metric,value,tolerance`, where metric is one of the
history's columns (e.g. `cumulative_follows`), `messages` or `messages_to_humans` (that day's,
from the whole model), or `share_<source>` (that source's share of the fans on the data's last
day, a fraction), and tolerance is absolute (`5000`) or relative
(`10%`), like the field facts the flagship is calibrated on. Problems are collected and raised
at once as an `OptionError` naming the file, line, column, value and rule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sim.errors import OptionError, Problem
from sim.inference.data import ENGLISH, parse_date, read_table

__all__ = [
    "EVENT_COLUMNS",
    "FACT_COLUMNS",
    "FACT_METRICS",
    "MESSAGE_FACTS",
    "SHARE_PREFIX",
    "Event",
    "Fact",
    "dated_problems",
    "read_events",
    "read_facts",
]

EVENT_REQUIRED = ("platform", "type", "start", "end")
EVENT_COUNTS = ("warmup_days", "posts", "prizes", "participants", "shares", "follows_gained")
EVENT_COLUMNS = (*EVENT_REQUIRED, *EVENT_COUNTS[:3], "prize_value", *EVENT_COUNTS[3:])
FACT_COLUMNS = ("date", "metric", "value", "tolerance")
MESSAGE_FACTS = ("messages", "messages_to_humans")
FACT_METRICS = (*ENGLISH[1:], *MESSAGE_FACTS)
SHARE_PREFIX = "share_"


@dataclass(frozen=True)
class Event:
    """One past campaign as the account reports it; None where a figure is not known."""

    line: int
    platform: str
    type: str
    start: dt.date
    end: dt.date
    counts: dict[str, int | None]
    prize_value: float | None
    source: str = ""  # the file it was read from


@dataclass(frozen=True)
class Fact:
    """A reported figure at a date: the model should land within `value +- tolerance`."""

    line: int
    date: dt.date
    metric: str
    value: float
    tolerance: float
    source: str = ""  # the file it was read from


def _cells(path: Path, option: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """`(line, {column: cell})` per row, once the header has every required column."""
    header, rows = read_table(path, option)
    missing = [
        Problem("header", f"missing column {name!r} (expected {', '.join(required)})", header, True)
        for name in required
        if name not in header
    ]
    if missing:
        raise OptionError(missing, str(path))
    return [
        (r + 2, {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header)})
        for r, row in enumerate(rows)
    ]


def _number(text: str, whole: bool) -> float | None:
    try:
        value = float(text.strip().replace(",", ""))
    except ValueError:
        return None
    if value < 0 or (whole and not value.is_integer()):
        return None
    return value


def read_events(path: str | Path, option: str = "--events") -> list[Event]:
    """Read and check a past-campaigns CSV; `OptionError` listing every problem if it is bad."""
    p = Path(path)
    rows = _cells(p, option, EVENT_REQUIRED)
    problems: list[Problem] = []
    events: list[Event] = []
    for line, cell in rows:
        here = len(problems)
        for name in ("platform", "type"):
            if not cell[name]:
                problems.append(
                    Problem(f"line {line}, column {name}", "must not be empty", "", True)
                )
        start, end = parse_date(cell["start"]), parse_date(cell["end"])
        for name, day in (("start", start), ("end", end)):
            if day is None:
                rule = "must be a date like 2025-01-31"
                problems.append(Problem(f"line {line}, column {name}", rule, cell[name], True))
        if start is not None and end is not None and end < start:
            rule = f"must not be before start ({start})"
            problems.append(Problem(f"line {line}, column end", rule, cell["end"], True))
        counts: dict[str, int | None] = {}
        for name in EVENT_COUNTS:
            text = cell.get(name, "")
            value = _number(text, whole=True) if text else None
            if text and value is None:
                rule = "must be a whole number >= 0 (or blank when not known)"
                problems.append(Problem(f"line {line}, column {name}", rule, text, True))
            counts[name] = None if value is None else int(value)
        prize_text = cell.get("prize_value", "")
        prize = _number(prize_text, whole=False) if prize_text else None
        if prize_text and prize is None:
            rule = "must be a number >= 0 (or blank when not known)"
            problems.append(Problem(f"line {line}, column prize_value", rule, prize_text, True))
        if len(problems) == here and start is not None and end is not None:
            events.append(
                Event(line, cell["platform"], cell["type"], start, end, counts, prize, str(p))
            )
    if problems:
        raise OptionError(problems, str(p))
    return events


def _tolerance(text: str, value: float) -> float | None:
    text = text.strip()
    relative = text.endswith("%")
    number = _number(text[:-1] if relative else text, whole=False)
    if number is None or number == 0:
        return None
    return abs(value) * number / 100 if relative else number


def read_facts(path: str | Path, option: str = "--facts") -> list[Fact]:
    """Read and check a sparse-facts CSV; `OptionError` listing every problem if it is bad."""
    p = Path(path)
    rows = _cells(p, option, FACT_COLUMNS)
    problems: list[Problem] = []
    facts: list[Fact] = []
    for line, cell in rows:
        here = len(problems)
        day = parse_date(cell["date"])
        if day is None:
            rule = "must be a date like 2025-01-31"
            problems.append(Problem(f"line {line}, column date", rule, cell["date"], True))
        metric = cell["metric"]
        share = metric.startswith(SHARE_PREFIX) and len(metric) > len(SHARE_PREFIX)
        if metric not in FACT_METRICS and not share:
            rule = f"must be one of {', '.join(FACT_METRICS)} or {SHARE_PREFIX}<source>"
            problems.append(Problem(f"line {line}, column metric", rule, metric, True))
        value = _number(cell["value"], whole=False)
        if value is None:
            rule = "must be a number >= 0"
            problems.append(Problem(f"line {line}, column value", rule, cell["value"], True))
        if share and value is not None and value > 1:
            rule = "a share must be a fraction from 0 to 1"
            problems.append(Problem(f"line {line}, column value", rule, cell["value"], True))
        tol = _tolerance(cell["tolerance"], value or 0.0) if value is not None else None
        if value is not None and tol is None:
            rule = "must be a number > 0 or a percentage like 10%"
            problems.append(
                Problem(f"line {line}, column tolerance", rule, cell["tolerance"], True)
            )
        if len(problems) == here and day is not None and value is not None and tol is not None:
            facts.append(Fact(line, day, cell["metric"], value, tol, str(p)))
    if not rows:
        problems.append(Problem("rows", "no facts after the header"))
    if problems:
        raise OptionError(problems, str(p))
    return facts


def dated_problems(
    dates: list[tuple[int, str, dt.date]], start: dt.date, end: dt.date
) -> list[Problem]:
    """Rows `(line, column, date)` outside the scenario's [start, end]."""
    return [
        Problem(
            f"line {line}, column {col}",
            f"must lie within the scenario ({start} to {end})",
            day.isoformat(),
            True,
        )
        for line, col, day in dates
        if not start <= day <= end
    ]
