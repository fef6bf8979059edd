"""Inputs of server sizing from outside the model: a load report and a profile CSV.

A load report (written by the load-test harness) is a folder holding `loadreport.json`; sizing
reads exactly three keys from it and ignores the rest:
- `service_time_seconds`: `{"dist": "empirical", "values": [...]}`, a measured per-request
  service-time sample (the form `ServerSpec.service_time_seconds` accepts);
- `capacity_per_instance`: messages/s one instance sustains with p99 under the deadline;
- `workers_per_instance`: requests one instance serves at once in that measurement.

A profile CSV is what `fansim profile` writes: one row per second with `second` (ISO local
time) and `rate_per_second` (expected messages); sizing samples arrivals from it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.errors import OptionError, Problem, ScenarioError

__all__ = [
    "LOADREPORT",
    "SMALL_SAMPLE",
    "LoadReport",
    "Profile",
    "read_loadreport",
    "read_profile",
]

LOADREPORT = "loadreport.json"
SMALL_SAMPLE = 200  # service times below this: the sample's tail (hence the p99) is guesswork


@dataclass(frozen=True)
class LoadReport:
    """The measured figures sizing uses."""

    service_time_seconds: tuple[float, ...]
    capacity_per_instance: float
    workers_per_instance: int


@dataclass(frozen=True)
class Profile:
    """Expected messages per second, from `fansim profile`."""

    scenario: str
    params_hash: str  # of the scenario the profile came from ("" when the CSV has none)
    first: dt.datetime  # the first row's second
    offset_s: NDArray[np.float64]  # each row's second, from `first`
    rate: NDArray[np.float64]  # expected messages in that second


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _report_problems(data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem("<loadreport>", "must be a JSON object", type(data).__name__, True)]
    out: list[Problem] = []
    st = data.get("service_time_seconds")
    if st is None:
        out.append(Problem("service_time_seconds", "is required (a measured sample)"))
    elif not isinstance(st, dict) or st.get("dist") != "empirical":
        rule = 'must be {"dist": "empirical", "values": [...]}'
        out.append(Problem("service_time_seconds", rule, st, True))
    else:
        values = st.get("values")
        if not isinstance(values, list) or not values:
            rule = "must be a non-empty list of seconds"
            out.append(Problem("service_time_seconds.values", rule, values, True))
        else:
            for i, v in enumerate(values):
                if not _number(v) or v < 0:
                    rule = "must be a finite number of seconds >= 0"
                    out.append(Problem(f"service_time_seconds.values[{i}]", rule, v, True))
            if not out and not any(v > 0 for v in values):
                rule = "must hold at least one time > 0"
                out.append(Problem("service_time_seconds.values", rule, values[:5], True))
    cap = data.get("capacity_per_instance")
    refused = data.get("capacity_refused")
    if cap is None and refused:
        rule = f"is missing: the load report could not measure it ({refused})"
        out.append(Problem("capacity_per_instance", rule))
    elif cap is None:
        out.append(Problem("capacity_per_instance", "is required (messages/s per instance)"))
    elif not _number(cap) or cap <= 0:
        out.append(Problem("capacity_per_instance", "must be a number > 0", cap, True))
    workers = data.get("workers_per_instance")
    if workers is None and refused:
        rule = "is missing (no capacity to apply Little's law to): give --workers-per-instance"
        out.append(Problem("workers_per_instance", rule))
    elif workers is None:
        out.append(Problem("workers_per_instance", "is required (requests served at once)"))
    elif not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        out.append(Problem("workers_per_instance", "must be a whole number >= 1", workers, True))
    return out


def read_loadreport(folder: Path) -> LoadReport:
    """Read and check `folder/loadreport.json`; every problem is reported at once."""
    path = folder / LOADREPORT
    if not path.is_file():
        rule = f"must be a folder holding {LOADREPORT} (written by the load test)"
        raise OptionError([Problem("--from-loadreport", rule, str(folder), True)])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problem = Problem("<loadreport>", f"is not valid JSON: {exc}")
        raise ScenarioError([problem], str(path)) from None
    problems = _report_problems(data)
    if problems:
        raise ScenarioError(problems, str(path))
    return LoadReport(
        tuple(float(v) for v in data["service_time_seconds"]["values"]),
        float(data["capacity_per_instance"]),
        int(data["workers_per_instance"]),
    )


def read_profile(path: Path) -> Profile:
    """Read a `fansim profile` CSV; rows may hold several windows (gaps between them)."""
    if not path.is_file():
        raise ScenarioError([Problem("SOURCE", "no such profile CSV", str(path), True)])
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = {"scenario", "second", "rate_per_second"} - set(reader.fieldnames or ())
        if missing:
            rule = f"a profile CSV needs the columns {sorted(missing)} (as `fansim profile` writes)"
            raise ScenarioError([Problem("<profile>", rule)], str(path))
        rows = list(reader)
    if not rows:
        raise ScenarioError([Problem("<profile>", "has no rows")], str(path))
    problems: list[Problem] = []
    seconds: list[dt.datetime] = []
    rates: list[float] = []
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        try:
            seconds.append(dt.datetime.fromisoformat(row["second"]))
        except ValueError:
            problems.append(
                Problem(f"line {i}: second", "must be an ISO time", row["second"], True)
            )
        try:
            rate = float(row["rate_per_second"])
        except ValueError:
            rate = float("nan")
        if not (math.isfinite(rate) and rate >= 0):
            rule = "must be a number >= 0"
            problems.append(
                Problem(f"line {i}: rate_per_second", rule, row["rate_per_second"], True)
            )
        rates.append(rate)
    if problems:
        raise ScenarioError(problems[:10], str(path))
    first = min(seconds)
    offset = np.asarray([(s - first).total_seconds() for s in seconds], np.float64)
    digest = rows[0].get("params_hash") or ""
    return Profile(rows[0]["scenario"], digest, first, offset, np.asarray(rates, np.float64))
