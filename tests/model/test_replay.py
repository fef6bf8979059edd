"""Traffic sampled once and served many times gives what a fresh run gives."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import RunSpec, run_one
from sim.model.engine import ModelResult
from sim.model.replay import sample_traffic, serve
from sim.model.roster import build_schedule
from sim.results import summarize
from sim.results.writers import json_text
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SERVICE_DAY = SCENARIOS / "xiaomi_service_2013.toml"
FESTIVAL = SCENARIOS / "mifan_festival_2013.toml"
SMALL_FESTIVAL = ["fans.initial=20000", "server.workers_per_instance=2"]


def _same(a: ModelResult, b: ModelResult) -> None:
    for field in ("arrival", "priority", "handle", "deadline", "start", "tag"):
        assert np.array_equal(getattr(a.queue, field), getattr(b.queue, field), equal_nan=True)
    for field in ("received", "auto_replied", "to_humans", "server_failed"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


def test_serving_with_the_run_s_own_configuration_reproduces_it() -> None:
    spec = RunSpec(load_scenario(SCENARIOS / "xiaomi_2013q1.toml"), 4)
    traffic = sample_traffic(spec)
    _same(serve(traffic), traffic.result)
    assert not traffic.exact  # the flagship's fans react to service quality


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32), agents=st.integers(2, 12))
def test_another_roster_on_sampled_traffic_equals_a_fresh_run(seed: int, agents: int) -> None:
    base = load_scenario(SERVICE_DAY)
    variant = load_scenario(SERVICE_DAY, [f"service.shifts[1].agents={agents}"])
    traffic = sample_traffic(RunSpec(base, seed))
    assert traffic.exact
    served = serve(traffic, build_schedule(variant.service, 1), scenario=variant)
    fresh = run_one(records=True, spec=RunSpec(variant, seed))
    _same(served, fresh)
    assert json_text(summarize(served)) == json_text(summarize(fresh))


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**32), instances=st.integers(1, 5))
def test_another_server_on_sampled_traffic_equals_a_fresh_run(seed: int, instances: int) -> None:
    base = load_scenario(FESTIVAL, SMALL_FESTIVAL)
    variant = load_scenario(FESTIVAL, [*SMALL_FESTIVAL, f"server.instances={instances}"])
    traffic = sample_traffic(RunSpec(base, seed))
    served = serve(traffic, server=variant.server, keep_server=False, scenario=variant)
    fresh = run_one(records=True, spec=RunSpec(variant, seed))
    _same(served, fresh)
    assert json_text(summarize(served)) == json_text(summarize(fresh))


def test_a_server_that_changes_the_sampled_traffic_is_refused_not_served_wrongly() -> None:
    """Service times and window margins are sampled with the traffic: serving cannot change them.

    Before the fix, a faster `service_time_seconds` kept the run's slower draws (3,297 failures
    served against 0 in a fresh run on seed 3), and other margins kept the run's window.
    """
    base = load_scenario(FESTIVAL, SMALL_FESTIVAL)
    traffic = sample_traffic(RunSpec(base, 3))
    for change in (
        "server.service_time_seconds={dist='lognormal',mean=0.05,cv=1.0}",
        "server.margin_after_minutes=60",
        "server.margin_before_minutes=20",
    ):
        variant = load_scenario(FESTIVAL, [*SMALL_FESTIVAL, change])
        with pytest.raises(ValueError, match="run it afresh"):
            serve(traffic, server=variant.server, keep_server=False, scenario=variant)
