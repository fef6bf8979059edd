"""The sensitivity table of docs/model.md ("Audiences that tire and saturate"), from runs.

Runs scenarios/xiaomi_2013_later.toml (the flagship run on to 2013-09-30) with one parameter
changed at a time (dotted paths, as `--set`), 2 replications each on common random numbers, and
prints a Markdown table of the flagship's headline outputs (means), measured as
docs/calibration.md measures them. Run: `.venv/bin/python docs/dev/audience_sensitivity.py`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from sim.experiments.calibration import _FansOn, _UnfollowRise
from sim.model.engine import ModelResult, RunSpec, run_one
from sim.scenario.load import load_scenario

FILE = Path(__file__).parents[2] / "scenarios" / "xiaomi_2013_later.toml"
CHANGES: list[tuple[str, list[str]]] = [
    ("as shipped", []),
    ("interested_share 0.025", ["followers.interested_share=0.025"]),
    ("interested_share 0.1", ["followers.interested_share=0.1"]),
    ("casual_unfollow_per_day 0 (off)", ["followers.casual_unfollow_per_day=0.0"]),
    ("casual_unfollow_per_day 0.0125", ["followers.casual_unfollow_per_day=0.0125"]),
    ("casual_unfollow_per_day 0.05", ["followers.casual_unfollow_per_day=0.05"]),
    ("casual_activity 1 (off)", ["followers.casual_activity=1.0"]),
    ("casual_activity 0.5", ["followers.casual_activity=0.5"]),
    ("casual_conversion 0.5", ["followers.casual_conversion=0.5"]),
    ("quality_floor 0.5", ["followers.quality_floor=0.5"]),
]


def _messages_on(r: ModelResult, date: str) -> float:
    d = (dt.date.fromisoformat(date) - r.spec.scenario.scenario.start).days
    per_day = round(1440 / r.interval_minutes)
    return float(r.received[d * per_day : (d + 1) * per_day].sum())


def _row(r: ModelResult) -> list[float]:
    return [
        _FansOn("2013-04-09")(r),
        _UnfollowRise("2013-03-15", "2013-04-09")(r),
        _messages_on(r, "2013-04-09"),
        _FansOn("2013-06-30")(r),
        _FansOn("2013-09-30")(r),
    ]


def main() -> None:
    """Print the table, one row per change as it finishes."""
    heads = ("fans 04-09", "unfollow rise", "messages 04-09", "fans 06-30", "fans 09-30")
    print("| change | " + " | ".join(heads) + " |")
    print("|---|" + "---:|" * len(heads))
    for label, overrides in CHANGES:
        sc = load_scenario(FILE, overrides)
        means = np.mean([_row(run_one(RunSpec(sc, 2013, r))) for r in range(2)], axis=0)
        cells = [f"{v:,.2f}" if k == 1 else f"{v:,.0f}" for k, v in enumerate(means)]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
