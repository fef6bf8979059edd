import numpy as np

from sim.inference.simulator import Simulator, follower_only
from sim.model.engine import RunSpec, run_one

from .conftest import ACCOUNT, DATA, PATHS


def test_follower_path_equals_the_whole_model_draw_for_draw(simulator: Simulator) -> None:
    values = (0.012, 0.003)
    scenario = simulator.scenario(values)
    assert follower_only(scenario)
    fast = simulator.simulate(values, 11)
    trace = run_one(RunSpec(scenario, 11)).followers
    assert trace is not None
    assert np.array_equal(fast.follows, trace.follows.sum(axis=1))
    assert np.array_equal(fast.unfollows, trace.unfollows)
    assert np.array_equal(fast.fans, trace.fans)


def test_values_reach_the_model_and_seeds_repeat(simulator: Simulator) -> None:
    low = simulator.simulate((0.005, 0.001), 3)
    high = simulator.simulate((0.02, 0.001), 3)
    assert high.follows.sum() > low.follows.sum()
    again = simulator.simulate((0.005, 0.001), 3)
    assert np.array_equal(low.fans, again.fans)
    assert np.array_equal(low.fans[1:], low.fans[:-1] + low.net[1:])


def test_service_feedback_takes_the_whole_model() -> None:
    sim = Simulator(str(ACCOUNT), PATHS, fixed=("followers.unanswered_unfollow=0.5",))
    assert not follower_only(sim.scenario((0.01, 0.002)))
    traj = sim.simulate((0.01, 0.002), 1)
    assert len(traj.fans) == 90 and traj.follows.sum() > 0


def test_whole_number_fields_take_the_rounded_draw() -> None:
    paths = ("followers.gift_window_days", "channels.search.pool", "followers.unfollow_per_day")
    sim = Simulator(str(ACCOUNT), paths)
    assert sim.integers == {"followers.gift_window_days"}  # a pool is a real number
    sc = sim.scenario((3.6, 1_500_000.4, 0.0025))
    assert sc.followers.gift_window_days == 4
    assert sc.channels["search"].pool == 1_500_000.4
    assert sc.followers.unfollow_per_day == 0.0025
    assert len(sim.simulate((9.2, 1e6, 0.001), 2).fans) == 90


def test_the_whole_model_carries_messages_per_day() -> None:
    sim = Simulator(str(ACCOUNT), PATHS, whole=True)
    traj = sim.simulate((0.01, 0.002), 4)
    result = run_one(RunSpec(sim.scenario((0.01, 0.002)), 4))
    assert traj.messages is not None and traj.to_humans is not None
    assert len(traj.messages) == 90
    assert traj.messages.sum() == result.received.sum() > 0
    assert traj.to_humans.sum() == result.to_humans.sum()
    assert np.all(traj.to_humans <= traj.messages)
    assert np.array_equal(traj.fans, Simulator(str(ACCOUNT), PATHS).simulate((0.01, 0.002), 4).fans)
    assert Simulator(str(ACCOUNT), PATHS).simulate((0.01, 0.002), 4).messages is None


def test_a_phase_s_whole_number_field_takes_the_rounded_draw() -> None:
    paths = ("phases[0].set.followers.gift_window_days", "phases[0].set.channels.search.pool")
    sim = Simulator(str(DATA / "phased.toml"), paths)
    assert sim.integers == {"phases[0].set.followers.gift_window_days"}
    assert sim.scenario((8.7, 1e6)).phases[0].set["followers.gift_window_days"] == 9
