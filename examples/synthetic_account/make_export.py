"""Simulate the worked example's year of daily export (export.csv) from its true parameters.

Run from the repository root: `.venv/bin/python examples/synthetic_account/make_export.py`.
Writes the WeChat platform's user-analysis layout (Chinese headers, UTF-8 with BOM).
"""

import csv
import datetime as dt
import tomllib
from pathlib import Path

from sim.inference.data import WECHAT
from sim.inference.simulator import Simulator

HERE = Path(__file__).parent


def main() -> None:
    """Write export.csv beside this script (the same file for the same seed)."""
    truth = tomllib.loads((HERE / "true_parameters.toml").read_text(encoding="utf-8"))
    params = truth["parameters"]
    sim = Simulator(str(HERE / "scenario.toml"), tuple(params))
    traj = sim.simulate(tuple(params.values()), truth["seed"])
    start = sim.scenario(tuple(params.values())).scenario.start
    with (HERE / "export.csv").open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(WECHAT)
        for d in range(len(traj.fans)):
            day = start + dt.timedelta(days=d)
            row = [traj.follows[d], traj.unfollows[d], traj.net[d], traj.fans[d]]
            out.writerow([day.isoformat(), *map(int, row)])


if __name__ == "__main__":
    main()
