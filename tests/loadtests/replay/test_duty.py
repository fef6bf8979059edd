"""The agents' roster over a replayed window: clock times, scale, speed-up, handle times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loadtests.replay.duty import DutyPlan, draw_wall_seconds, duty_plan, handle_times
from loadtests.replay.profile import read_profile
from loadtests.replay.schedule import ReplayPlan
from sim.scenario.load import load_scenario
from tests.loadtests.replay.conftest import write_profile

SERVICE = Path("scenarios/xiaomi_service_2013.toml")  # 4 agents 08-17, 3 more 15-24, 2013-04-10


def test_roster_follows_the_clock_scaled_like_the_load(tmp_path: Path) -> None:
    profile = read_profile(write_profile(tmp_path / "p.csv", 3600, {"order": 1.0},
                                         "2013-04-10T14:50:00"))  # fmt: skip
    plan = ReplayPlan(scale=0.5, speedup=60.0, start=0)
    duty = duty_plan(load_scenario(SERVICE), profile, plan)
    # 14:50 -> 15:00 is 10 profile minutes = 10 wall seconds at 60x; 4 x 0.5 = 2, 7 x 0.5 -> 4
    assert duty.times == (0.0, 10.0) and duty.agents == (2, 4)
    assert duty.end == 60.0 and duty.on_duty(9.9) == 2 and duty.on_duty(10.0) == 4
    assert duty.on_duty(60.0) == 0
    assert DutyPlan.from_dict(duty.as_dict()) == duty
    full = duty_plan(load_scenario(SERVICE), profile, plan, agent_scale=1.0)
    assert full.agents == (4, 7) and full.most == 7


def test_handle_times_are_the_class_distribution_divided_by_the_speedup() -> None:
    dists = handle_times(load_scenario(SERVICE))
    rng = np.random.default_rng(1)
    x = np.array([draw_wall_seconds(dists, "order", 60.0, rng) for _ in range(20_000)])
    assert x.mean() == pytest.approx(1.8, rel=0.03)  # 1.8 min at 60x: 1.8 wall seconds
    with pytest.raises(KeyError, match="'nope' is not in the scenario"):
        draw_wall_seconds(dists, "nope", 60.0, rng)


def test_a_profile_outside_the_scenario_days_is_refused(tmp_path: Path) -> None:
    profile = read_profile(write_profile(tmp_path / "p.csv", 10, {"order": 1.0}))  # 2013-04-09
    with pytest.raises(ValueError, match="outside the scenario's days"):
        duty_plan(load_scenario(SERVICE), profile, ReplayPlan())
