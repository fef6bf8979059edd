"""An account's daily history: the WeChat export or a plain English CSV, checked row by row.

Two layouts are read, told apart by their header:
- the WeChat Official Account platform's user-analysis export (用户分析), Chinese headers as
  exported: 时间, 新关注人数, 取消关注人数, 净增关注人数, 累积关注人数;
- a plain English layout: date, new_follows, unfollows, net_follows, cumulative_follows, and
  optionally follows_<source>, messages, senders, messages_to_humans, answered_within_target.

Nothing is fitted on bad rows: every problem (missing column, a gap or repeat in the dates, a
negative or non-numeric count, net != new - unfollows, cumulative[t] != cumulative[t-1] + net[t])
is collected and raised at once as an `OptionError` naming the file, the line, the column, the
value and the rule, so a planner fixes the file in one pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sim.errors import OptionError, Problem

__all__ = [
    "ENGLISH",
    "OPTIONAL",
    "SOURCE_PREFIX",
    "WECHAT",
    "History",
    "parse_date",
    "read_history",
    "read_table",
]

I64 = NDArray[np.int64]

ENGLISH = ("date", "new_follows", "unfollows", "net_follows", "cumulative_follows")
WECHAT = ("时间", "新关注人数", "取消关注人数", "净增关注人数", "累积关注人数")
"""The export's headers, in the same order as `ENGLISH` (the meaning of each)."""
OPTIONAL = ("messages", "senders", "messages_to_humans", "answered_within_target")
SOURCE_PREFIX = "follows_"
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


@dataclass(frozen=True)
class History:
    """Daily follower KPIs of one account, consecutive days, checked consistent."""

    source: str
    dates: tuple[dt.date, ...]
    new_follows: I64
    unfollows: I64
    net: I64
    cumulative: I64
    extra: dict[str, I64] = field(default_factory=dict)  # optional columns present

    @property
    def start(self) -> dt.date:
        """First day."""
        return self.dates[0]

    @property
    def end(self) -> dt.date:
        """Last day."""
        return self.dates[-1]

    def until(self, last: dt.date) -> History:
        """The days up to and including `last` (a backtest's training data)."""
        n = sum(1 for d in self.dates if d <= last)
        return History(
            self.source,
            self.dates[:n],
            self.new_follows[:n],
            self.unfollows[:n],
            self.net[:n],
            self.cumulative[:n],
            {k: v[:n] for k, v in self.extra.items()},
        )

    def problems_against(self, start: dt.date, end: dt.date) -> list[Problem]:
        """Days outside the scenario's [start, end], one problem per offending end."""
        out = []
        if self.start < start:
            rule = f"must not be before the scenario's start ({start})"
            out.append(Problem("line 2, column date", rule, self.start.isoformat(), True))
        if self.end > end:
            rule = f"must not be after the scenario's end ({end})"
            line = f"line {len(self.dates) + 1}, column date"
            out.append(Problem(line, rule, self.end.isoformat(), True))
        return out


def parse_date(text: str) -> dt.date | None:
    """A date in any format the export or a spreadsheet writes; None if it is none of them."""
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def read_table(path: Path, option: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV in UTF-8 (with or without BOM) or GB18030 (Excel in Chinese)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OptionError(
            [Problem(option, f"cannot read the file ({exc.strerror})", str(path), True)]
        ) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise OptionError([Problem(option, "is neither UTF-8 nor GB18030 text", str(path), True)])
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise OptionError(
            [Problem(option, "is empty: a header and one row per day expected")], str(path)
        )
    return [c.strip() for c in rows[0]], rows[1:]


def _count(text: str) -> int | None:
    """A whole number, tolerating thousands separators; None if not one."""
    cleaned = text.strip().replace(",", "").replace("，", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _columns(header: Sequence[str]) -> tuple[tuple[str, ...], list[Problem]]:
    """Which layout the header is in (its five names), or the missing columns."""
    layout = (
        WECHAT if sum(h in header for h in WECHAT) > sum(h in header for h in ENGLISH) else ENGLISH
    )
    missing = [name for name in layout if name not in header]
    problems = [
        Problem(
            "header",
            f"missing column {name!r} (expected {', '.join(layout)}; docs/inference.md)",
            list(header),
            True,
        )
        for name in missing
    ]
    return layout, problems


def _check_flows(lines: list[int], cols: tuple[str, ...], values: I64) -> list[Problem]:
    """Check net = new - unfollows on each day; cumulative[t] = cumulative[t-1] + net[t]."""
    out: list[Problem] = []
    new, gone, net, cum = values.T
    for i, line in enumerate(lines):
        if net[i] != new[i] - gone[i]:
            rule = f"must equal {cols[1]} - {cols[2]} = {new[i] - gone[i]}"
            out.append(Problem(f"line {line}, column {cols[3]}", rule, int(net[i]), True))
        if i and cum[i] != cum[i - 1] + net[i]:
            rule = f"must equal the previous day's {cols[4]} + {cols[3]} = {cum[i - 1] + net[i]}"
            out.append(Problem(f"line {line}, column {cols[4]}", rule, int(cum[i]), True))
    return out


def read_history(path: str | Path, option: str = "--history") -> History:
    """Read and check an account history; `OptionError` listing every problem if it is bad."""
    p = Path(path)
    header, rows = read_table(p, option)
    layout, problems = _columns(header)
    if problems:
        raise OptionError(problems, str(p))
    optional = [h for h in header if h in OPTIONAL or h.startswith(SOURCE_PREFIX)]
    numeric = [*layout[1:], *optional]
    index = {h: header.index(h) for h in (*layout, *optional)}
    dates: list[dt.date] = []
    values = np.zeros((len(rows), len(numeric)), np.int64)
    lines: list[int] = []
    for r, row in enumerate(rows):
        line = r + 2  # the header is line 1
        lines.append(line)
        cells = [row[index[h]] if index[h] < len(row) else "" for h in (*layout, *optional)]
        day = parse_date(cells[0])
        if day is None:
            rule = "must be a date like 2025-01-31, 2025/01/31 or 20250131"
            problems.append(Problem(f"line {line}, column {layout[0]}", rule, cells[0], True))
        elif dates and (day - dates[-1]).days != 1:
            gap = (day - dates[-1]).days
            what = f"a gap of {gap - 1} day(s)" if gap > 1 else "a repeat or a step back"
            rule = f"days must be consecutive: {dates[-1]} then {day} is {what}"
            problems.append(Problem(f"line {line}, column {layout[0]}", rule, cells[0], True))
        if day is not None:
            dates.append(day)
        for c, (name, text) in enumerate(zip(numeric, cells[1:], strict=True)):
            value = _count(text)
            least = None if name in (layout[3],) else 0  # net follows may be negative
            if value is None or (least is not None and value < least):
                rule = "must be a whole number" + (" >= 0" if least is not None else "")
                problems.append(Problem(f"line {line}, column {name}", rule, text, True))
            else:
                values[r, c] = value
    if not rows:
        problems.append(Problem("rows", "no days after the header"))
    if not problems:
        problems += _check_flows(lines, layout, values[:, :4])
    if problems:
        raise OptionError(problems, str(p))
    extra = {name: values[:, 4 + i].copy() for i, name in enumerate(optional)}
    return History(
        str(p),
        tuple(dates),
        values[:, 0].copy(),
        values[:, 1].copy(),
        values[:, 2].copy(),
        values[:, 3].copy(),
        extra,
    )
