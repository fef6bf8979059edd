"""Fixtures of the inference tests: a small account and histories simulated from it."""

import datetime as dt
from pathlib import Path

import pytest

from sim.inference.data import History
from sim.inference.simulator import Simulator, Trajectory

DATA = Path(__file__).parents[1] / "data" / "inference"
ACCOUNT = DATA / "account.toml"
PRIORS = DATA / "priors.toml"
PATHS = ("channels.search.conversion", "followers.unfollow_per_day")
START = dt.date(2025, 1, 1)


def history_of(traj: Trajectory, start: dt.date = START, source: str = "sim") -> History:
    dates = tuple(start + dt.timedelta(days=d) for d in range(len(traj.follows)))
    return History(source, dates, traj.follows, traj.unfollows, traj.net, traj.fans)


@pytest.fixture
def simulator() -> Simulator:
    return Simulator(str(ACCOUNT), PATHS, end=dt.date(2025, 2, 25))
