"""Fixtures of the inference tests: a small account and histories simulated from it."""

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from sim.inference.data import History
from sim.inference.forecast import SavedPosterior
from sim.inference.simulator import Simulator, Trajectory

DATA = Path(__file__).parents[1] / "data" / "inference"
ACCOUNT = DATA / "account.toml"
PRIORS = DATA / "priors.toml"
PATHS = ("channels.search.conversion", "followers.unfollow_per_day")
START = dt.date(2025, 1, 1)


CAMPAIGNS = DATA / "campaigns.toml"
EVENTS_HEADER = "platform,type,start,end,participants,shares,follows_gained\n"


def take_up_priors(path: Path, particles: int) -> Path:
    """A priors file freeing `response.take_up` of the campaigns account (2 generations)."""
    path.write_text(
        f"[fit]\nparticles = {particles}\ngenerations = 2\n[fit.parameters]\n"
        '"response.take_up" = { prior = "uniform", low = 0.02, high = 0.8 }\n',
        encoding="utf-8",
    )
    return path


def history_of(traj: Trajectory, start: dt.date = START, source: str = "sim") -> History:
    dates = tuple(start + dt.timedelta(days=d) for d in range(len(traj.follows)))
    return History(source, dates, traj.follows, traj.unfollows, traj.net, traj.fans)


@pytest.fixture
def simulator() -> Simulator:
    return Simulator(str(ACCOUNT), PATHS, end=dt.date(2025, 2, 25))


def write_posterior(folder: Path, posterior: SavedPosterior) -> Path:
    """`posterior` written as a folder of `fansim fit` (the files `fansim forecast` reads)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(posterior.values, columns=list(posterior.paths))
    table["weight"] = posterior.weights
    table["distance"] = 0.0
    table.to_parquet(folder / "posterior.parquet", index=False)
    data = {"last_date": str(posterior.last_date), "cumulative_at_end": posterior.cumulative}
    (folder / "diagnostics.json").write_text(json.dumps({"seed": posterior.seed, "data": data}))
    return folder
