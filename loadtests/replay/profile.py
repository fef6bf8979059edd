"""The offered load `fansim profile` writes, read back as arrays.

A profile row is one second of a campaign window: its absolute local time (`second`, ISO), the
expected messages per second in all (`rate_per_second`) and per message class (`rate_<class>`).
The replay only needs the per-class rates on a timeline: rows are placed by their `second`, so
a multi-day campaign (one window per day, `t_seconds` restarting at 0 each day) reads as one
timeline from its first second to its last, the hours between windows silent (rate 0). The
provenance columns (scenario, seed, params hash) travel into the load report so a measurement
can be traced to the model run that predicted it. Reading is pure (no Locust), so the schedule
built on it is tested without starting anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sim.errors import Problem, ScenarioError

__all__ = ["MAX_SPAN", "Profile", "read_profile"]

_REQUIRED = ("scenario", "seed", "params_hash", "second", "rate_per_second")
_PREFIX = "rate_"
MAX_SPAN = 31 * 86_400  # seconds from a profile's first row to its last


@dataclass(frozen=True)
class Profile:
    """Expected messages per second and class, second by second from the first row's time."""

    scenario: str
    seed: int
    params_hash: str
    first_second: str  # ISO local time of row 0 (the timeline's origin)
    classes: tuple[str, ...]
    rates: NDArray[np.float64]  # shape (seconds, classes)

    @property
    def seconds(self) -> int:
        """Rows (one per second)."""
        return int(self.rates.shape[0])

    @property
    def total(self) -> NDArray[np.float64]:
        """Expected messages per second, all classes."""
        return np.asarray(self.rates.sum(axis=1), np.float64)


def _number(text: str, where: str, problems: list[Problem]) -> float:
    try:
        value = float(text)
    except ValueError:
        problems.append(Problem(where, "must be a number", text, True))
        return 0.0
    if not math.isfinite(value) or value < 0:
        problems.append(Problem(where, "must be a finite number >= 0", text, True))
        return 0.0
    return value


def _offsets(rows: list[dict[str, str]], problems: list[Problem]) -> list[int]:
    """Each row's whole seconds from the first row's `second`; rows must go forward in time."""
    out: list[int] = []
    first: dt.datetime | None = None
    for i, row in enumerate(rows):
        try:
            when = dt.datetime.fromisoformat(row["second"])
        except ValueError:
            problems.append(Problem(f"profile[{i}].second", "must be an ISO time", row["second"]))
            return []
        first = first or when
        offset = (when - first).total_seconds()
        if offset != int(offset) or (out and offset <= out[-1]):
            rule = "must be whole seconds after the previous row's"
            problems.append(Problem(f"profile[{i}].second", rule, row["second"], True))
            return []
        if offset > MAX_SPAN:
            rule = f"must be within {MAX_SPAN // 86_400} days of the first row"
            problems.append(Problem(f"profile[{i}].second", rule, row["second"], True))
            return []
        out.append(int(offset))
    return out


def read_profile(path: Path) -> Profile:
    """Parse a `fansim profile` CSV; all problems are reported at once as `ScenarioError`."""
    source = str(path)
    if not path.is_file():
        raise ScenarioError([Problem("profile", "file not found", source, True)], source)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = tuple(reader.fieldnames or ())
        rows = list(reader)
    missing = [c for c in _REQUIRED if c not in header]
    classes = tuple(
        c[len(_PREFIX) :] for c in header if c.startswith(_PREFIX) and c != _REQUIRED[4]
    )
    problems = [
        Problem(f"profile.{c}", "column missing (write it with `fansim profile`)") for c in missing
    ]
    if not classes:
        problems.append(Problem("profile.rate_<class>", "no per-class rate column"))
    if not rows:
        problems.append(Problem("profile", "has no rows"))
    if problems:
        raise ScenarioError(problems, source)
    offsets = _offsets(rows, problems)
    rates = np.zeros((offsets[-1] + 1 if offsets else 0, len(classes)))
    for i, row in enumerate(rows):
        for k, c in enumerate(classes):
            value = _number(row[_PREFIX + c] or "", f"profile[{i}].rate_{c}", problems)
            if not problems:
                rates[offsets[i], k] = value
        if len(problems) >= 20:  # a wrong file: enough to see the pattern
            break
    if problems:
        raise ScenarioError(problems, source)
    first = rows[0]
    try:
        seed = int(first["seed"])
    except ValueError:
        raise ScenarioError(
            [Problem("profile[0].seed", "must be an integer", first["seed"], True)], source
        ) from None
    return Profile(first["scenario"], seed, first["params_hash"], first["second"], classes, rates)
