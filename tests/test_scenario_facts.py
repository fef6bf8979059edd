"""Each scenario written for a field fact reproduces its headline number within a stated
tolerance, on a few replications (docs/calibration.md holds the flagship's facts)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sim.model.engine import ModelResult, RunSpec, run_one
from sim.results.summary import summarize
from sim.scenario.load import load_scenario

SCENARIOS = Path(__file__).parents[1] / "scenarios"
REPLICATIONS = 3


def net_gain_per_day(r: ModelResult) -> float:
    assert r.followers is not None
    return float(r.followers.fans[-1] - r.spec.scenario.fans.initial) / r.followers.fans.size


def fans_at_end(r: ModelResult) -> float:
    assert r.followers is not None
    return float(r.followers.fans[-1])


def lottery_follows(r: ModelResult) -> float:
    return float(summarize(r)["follows_by_source"]["repost_lottery"])


@dataclass(frozen=True)
class Fact:
    file: str
    fact: str
    measure: Callable[[ModelResult], float]
    low: float
    high: float


FACTS = (
    Fact(
        "weibo_repost_lottery_2013.toml",
        "hundreds of thousands of followers from a repost lottery [B]",
        lottery_follows,
        100_000,
        1_000_000,
    ),
    Fact("fission_account_2020.toml", "~1,000 fans a day [C] (+-30%)", net_gain_per_day, 700, 1300),
    Fact("intime_o2o_2014.toml", "~310k fans [A] (+-15%)", fans_at_end, 263_500, 356_500),
)


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f.file)
def test_scenario_reproduces_its_headline_fact(fact: Fact) -> None:
    scenario = load_scenario(SCENARIOS / fact.file)
    values = [fact.measure(run_one(RunSpec(scenario, 2013, k))) for k in range(REPLICATIONS)]
    assert fact.low <= float(np.mean(values)) <= fact.high, (fact.fact, values)


def test_the_festival_s_predicted_turnout_uses_the_response_fitted_to_the_quiz() -> None:
    """One account, one response: the 米粉节 prediction may not re-fit what the quiz fitted."""
    flagship = load_scenario(SCENARIOS / "xiaomi_2013q1.toml")
    festival = load_scenario(SCENARIOS / "mifan_festival_2013_levers.toml")
    assert festival.response == flagship.response != type(flagship.response)()
    assert festival.campaigns["live_quiz"].participation is None  # from the levers
    assert flagship.campaigns["six_plus_one"].participation is None
