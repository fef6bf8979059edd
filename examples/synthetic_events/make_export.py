"""Simulate the events example's daily export and its campaigns' reported figures.

Run from the repository root: `.venv/bin/python examples/synthetic_events/make_export.py`.
One simulation of scenario.toml with the true parameters gives both files: export.csv (the
plain English layout) and events.csv, one row per campaign with its levers and its
participants, shares (blank for a quiz, which has no cascade) and follows gained from its
first day through its end date, as `fansim fit --events` counts them.
"""

import csv
import datetime as dt
import tomllib
from pathlib import Path

from sim.inference.data import ENGLISH
from sim.inference.event_stats import EVENT_FIGURES, figure_total, scenario_campaigns
from sim.inference.events import EVENT_COLUMNS
from sim.inference.simulator import Simulator

HERE = Path(__file__).parent


def main() -> None:
    """Write export.csv and events.csv beside this script."""
    truth = tomllib.loads((HERE / "true_parameters.toml").read_text(encoding="utf-8"))
    params = truth["parameters"]
    sim = Simulator(str(HERE / "scenario.toml"), tuple(params), whole=True)
    traj = sim.simulate(tuple(params.values()), truth["seed"])
    sc = sim.scenario(tuple(params.values()))
    start = sc.scenario.start
    with (HERE / "export.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(ENGLISH)
        for d in range(len(traj.fans)):
            day = start + dt.timedelta(days=d)
            row = [traj.follows[d], traj.unfollows[d], traj.net[d], traj.fans[d]]
            out.writerow([day.isoformat(), *map(int, row)])
    campaigns = sorted(scenario_campaigns(sc).items(), key=lambda item: item[1].start)
    with (HERE / "events.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(EVENT_COLUMNS)
        for name, c in campaigns:
            first, last = c.start.date(), c.end.date()
            promo = c.promotion
            daily = (traj.campaigns or {}).get(name)
            figures: list[int | str] = [
                figure_total(daily, k, (last - start).days) for k in EVENT_FIGURES
            ]
            if c.cascade is None:  # nothing to share: the account reports no shares (blank)
                figures[EVENT_FIGURES.index("shares")] = ""
            warmup = c.warmup.days if c.warmup is not None else 0
            levers = [warmup, promo.posts if promo else 0, c.prizes, f"{c.prize_value:g}"]
            platform = c.platform or sc.scenario.platform
            out.writerow([platform, c.type, first, last, *levers, *figures])


if __name__ == "__main__":
    main()
