"""Writing results: byte-identical for the same scenario and seed.

No wall-clock times, host names or absolute paths go into files; floats are rounded to a fixed
number of significant digits; JSON keys are sorted. NaN (no data, e.g. no message answered in an
hour) is written as null in JSON and an empty cell in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["RUN_FILES", "clean", "csv_text", "json_text", "run_files"]


def clean(value: Any) -> Any:
    """Round floats to 10 significant digits and turn NaN/inf into None, recursively."""
    if isinstance(value, float):
        return float(f"{value:.10g}") if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def json_text(data: Mapping[str, Any]) -> str:
    """Canonical JSON: cleaned, sorted keys, UTF-8 characters kept, trailing newline."""
    return json.dumps(clean(data), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """CSV with the first row's keys as header; None becomes an empty cell."""
    if not rows:
        return ""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in clean(row).items()})
    return buf.getvalue()


RUN_FILES = (
    "summary.json",
    "timeseries.csv",
    "daily.csv",
    "scenario.json",
    "surge.csv",
    "cascades.csv",
    "campaigns.csv",
    "channels_service.csv",
    "costs.csv",
    "messages.csv",  # only with `fansim run --records` (sim.results.message_table)
)


def run_files(
    summary: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    scenario: Mapping[str, Any],
    daily: Sequence[Mapping[str, Any]] = (),
    surge: Sequence[Mapping[str, Any]] = (),
    cascades: Sequence[Mapping[str, Any]] = (),
    channels: Sequence[Mapping[str, Any]] = (),
    costs: Sequence[Mapping[str, Any]] = (),
    campaigns: Sequence[Mapping[str, Any]] = (),
) -> dict[str, str]:
    """The text of each file of a run, by name (all of them among `RUN_FILES`).

    summary.json, timeseries.csv (hourly), daily.csv, scenario.json and, when campaign windows
    were simulated, surge.csv (per second); with cascades, cascades.csv; with campaigns,
    campaigns.csv (per campaign and day, `sim.results.campaign_tables`); with inbound channels,
    channels_service.csv (one row per channel); with `[costs]`, costs.csv (`sim.results.costs`).
    `sim.results.publish` puts them in place.
    """
    files = {
        "summary.json": json_text(summary),
        "timeseries.csv": csv_text(rows),
        "daily.csv": csv_text(daily),
        "scenario.json": json_text(scenario),
    }
    if surge:
        files["surge.csv"] = csv_text(surge)
    if cascades:
        files["cascades.csv"] = csv_text(cascades)
    if campaigns:
        files["campaigns.csv"] = csv_text(campaigns)
    if channels:
        files["channels_service.csv"] = csv_text(channels)
    if costs:
        files["costs.csv"] = csv_text(costs)
    return files
