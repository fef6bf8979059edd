import dataclasses

import numpy as np
import pytest

from sim.errors import OptionError
from sim.inference.distance import Observed, distance, mad_scales
from sim.inference.events import Fact
from sim.inference.fit import check_inputs
from sim.inference.priors import load_fit_config
from sim.inference.simulator import Simulator

from .conftest import ACCOUNT, PRIORS, START, history_of


def test_observed_statistics_equal_a_trajectory_s_own(simulator: Simulator) -> None:
    traj = simulator.simulate((0.01, 0.002), 1)
    obs = Observed(START, history_of(traj))
    assert np.array_equal(obs.stats(traj), obs.observed_stats())
    assert obs.last_day == len(traj.fans) - 1
    assert len(obs.observed_stats()) == 2 * 8  # 56 days: 8 weeks of follows and of unfollows


def test_facts_are_scaled_by_their_tolerance(simulator: Simulator) -> None:
    traj = simulator.simulate((0.01, 0.002), 1)
    day = START.replace(day=20)
    fact = Fact(2, day, "cumulative_follows", float(traj.fans[19]) + 500, 1000.0)
    obs = Observed(START, None, (fact,))
    scales = mad_scales(obs.stats(traj)[None, :], obs.fixed_scales())
    assert scales.tolist() == [1000.0]
    assert distance(obs.stats(traj), obs.observed_stats(), scales) == 0.5


def test_follows_by_source_become_statistics(simulator: Simulator) -> None:
    traj = simulator.simulate((0.01, 0.002), 1)
    h = history_of(traj)
    extra = {"follows_search": traj.follows_by_source["search"]}
    obs = Observed(START, dataclasses.replace(h, extra=extra))
    assert obs.sources == ("search",)
    assert len(obs.observed_stats()) == 3 * 8
    assert np.array_equal(obs.stats(traj), obs.observed_stats())
    other = simulator.simulate((0.01, 0.002), 2)
    assert not np.array_equal(obs.stats(other)[16:], obs.observed_stats()[16:])


def test_a_source_the_scenario_lacks_is_an_error(simulator: Simulator) -> None:
    traj = simulator.simulate((0.01, 0.002), 1)
    h = dataclasses.replace(history_of(traj), extra={"follows_weibo": traj.follows})
    cfg = load_fit_config(PRIORS)
    with pytest.raises(OptionError, match="column follows_weibo: names no source of the scenario"):
        check_inputs(str(ACCOUNT), cfg, h)


def test_share_and_message_facts() -> None:
    whole = Simulator(str(ACCOUNT), ("channels.search.conversion",), whole=True)
    traj = whole.simulate((0.01,), 1)
    assert traj.messages is not None and traj.to_humans is not None
    day = START.replace(day=20)
    facts = (
        Fact(2, day, "share_search", 0.5, 0.1),
        Fact(3, day, "messages", 100.0, 10.0),
        Fact(4, day, "messages_to_humans", 1.0, 1.0),
    )
    stats = Observed(START, None, facts).stats(traj)
    assert traj.fans_by_source is not None and sum(traj.fans_by_source.values()) == traj.fans[-1]
    assert stats[0] == traj.fans_by_source["search"] / traj.fans[-1]
    assert 0.05 < stats[0] < 0.5  # 20,000 initial fans, then search brings most
    assert stats[1:].tolist() == [traj.messages[19], traj.to_humans[19]]


def test_share_facts_name_a_source_and_the_last_day() -> None:
    fact = Fact(3, START.replace(day=20), "share_weibo", 0.1, 0.05, "facts.csv")
    with pytest.raises(OptionError, match="line 3, column metric: names no source"):
        check_inputs(str(ACCOUNT), load_fit_config(PRIORS), None, (), (fact,))
    early = Fact(2, START.replace(day=10), "share_search", 0.1, 0.05, "facts.csv")
    late = Fact(3, START.replace(day=20), "cumulative_follows", 30_000, 1000, "facts.csv")
    with pytest.raises(OptionError, match=r"line 2, column date: a share of fans must be dated"):
        check_inputs(str(ACCOUNT), load_fit_config(PRIORS), None, (), (early, late))
    check_inputs(str(ACCOUNT), load_fit_config(PRIORS), None, (), (early,))
