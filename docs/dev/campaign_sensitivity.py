"""The sensitivity table of docs/model.md ("Campaigns driven by levers"), from runs.

Runs scenarios/weibo_repost_lottery_2013.toml with one parameter changed at a time (dotted
paths, as `--set`), 2 replications each on common random numbers, and prints a Markdown table
of the lottery's headline outputs (means). Run: `.venv/bin/python docs/dev/campaign_sensitivity.py`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.model.engine import RunSpec, run_one
from sim.results.summary import summarize
from sim.scenario.load import load_scenario

FILE = Path(__file__).parents[2] / "scenarios" / "weibo_repost_lottery_2013.toml"
CHANGES: list[tuple[str, list[str]]] = [
    ("as shipped", []),
    ("prizes 0", ["campaigns.lottery.prizes=0"]),
    ("prizes 100", ["campaigns.lottery.prizes=100"]),
    ("no launch posts", ["campaigns.lottery.promotion.posts=0"]),
    ("10 launch posts", ["campaigns.lottery.promotion.posts=10"]),
    ("warm-up 10 days", ["campaigns.lottery.warmup.days=10"]),
    ("warm-up 60 days", ["campaigns.lottery.warmup.days=60"]),
    ("pool 10M", ["reach.weibo_pool=10000000"]),
    ("pool 100M", ["reach.weibo_pool=100000000"]),
    ("take_up 0.15", ["response.take_up=0.15"]),
    ("take_up 0.6", ["response.take_up=0.6"]),
    ("incentive_scale 10", ["response.incentive_scale=10.0"]),
    ("share_lift 0", ["response.share_lift=0.0"]),
    ("outsider_take_up 0.01", ["response.outsider_take_up=0.01"]),
]
KEYS = ("participants", "reposts", "reached", "follows", "net_follows_14d")


def main() -> None:
    """Print the table, one row per change as it finishes."""
    print("| change | " + " | ".join(KEYS) + " |")
    print("|---|" + "---:|" * len(KEYS))
    for label, overrides in CHANGES:
        sc = load_scenario(FILE, overrides)
        rows = [summarize(run_one(RunSpec(sc, 2013, r)))["campaigns"]["lottery"] for r in range(2)]
        cells = [f"{np.mean([row[k] for row in rows]):,.0f}" for k in KEYS]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
