"""The simulation search: agreement with Erlang C/A, its monotone properties, the backlog effect.

Properties are tested in the form that is true pathwise on common random numbers:
- a stricter target never needs fewer agents *given the same backlog* (the same agents fixed for
  the earlier intervals): what meets the stricter target meets the looser one, and the search
  takes the first candidate from a floor that does not fall as the target tightens. Over a whole
  day it is not pathwise true: a better-staffed previous hour can leave less backlog;
- more traffic never needs fewer agents when "more" is longer handling or the same arrivals
  closer together, on one FCFS class without abandonment: every message's wait then grows
  (Kiefer-Wolfowitz monotonicity of the G/G/c workload). Adding messages (superposition) is not
  pathwise monotone for a share-based target: messages added at quiet moments are answered at
  once and raise the share met.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sim.model.engine import RunSpec
from sim.model.human_queue import QueueRecords
from sim.model.replay import sample_traffic
from sim.staffing.requirements import Grid, erlang_a_agents, erlang_c_agents, interval_load
from sim.staffing.search import search, serve_levels
from sim.staffing.targets import Policy, ServiceTarget
from sim.staffing.theory import stationary_check, stationary_scenario
from tests.strategies import Instance, instances


def _records(
    arrival: NDArray[np.float64],
    priority: NDArray[np.int64],
    handle: NDArray[np.float64],
    deadline: NDArray[np.float64],
) -> QueueRecords:
    n = arrival.size
    return QueueRecords(
        arrival,
        priority,
        handle,
        deadline,
        np.full(n, np.nan),
        np.zeros(n, np.int64),
        np.zeros(1),
        np.zeros(1, np.int64),
        float(arrival[-1]),
    )


def _from(inst: Instance, stretch: float = 1.0, heavier: float = 1.0) -> QueueRecords:
    return _records(
        inst.arrival * stretch,
        inst.priority,
        inst.handle * heavier,
        inst.arrival * stretch + (inst.deadline - inst.arrival),
    )


# --- acceptance: the closed forms on stationary queues ----------------------------------------


@pytest.mark.parametrize(
    ("rate", "handle", "patience", "target"),
    [
        (9.0, 1.0, None, ServiceTarget(0.8, 1 / 3)),  # M/M/c: Erlang C
        (9.0, 1.0, 2.0, ServiceTarget(0.8, 1 / 3)),  # M/M/c+M: Erlang A
    ],
)
def test_simulation_staffing_matches_the_closed_forms(
    rate: float, handle: float, patience: float | None, target: ServiceTarget
) -> None:
    check = stationary_check(rate, handle, patience, target, replications=10, seed=3)
    assert check.agrees, check
    assert abs(check.analytic - check.simulation) <= 1


def test_erlang_a_asks_for_no_more_than_erlang_c() -> None:
    t = ServiceTarget(0.8, 0.5)
    for rate in (2.0, 5.0, 9.0, 20.0):
        assert erlang_a_agents(rate, 1.0, 0.5, t, None) <= erlang_c_agents(rate, 1.0, t)


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    instances(max_n=150, roster_changes=False),
    st.floats(0.5, 0.95),
    st.floats(0.0, 0.2),
    st.floats(0.0, 2.0),
    st.floats(0.0, 1.0),
    st.integers(0, 3),
)
def test_stricter_target_never_needs_fewer_given_the_backlog(
    inst: Instance, level: float, extra: float, minutes: float, cut: float, prefix: int
) -> None:
    q = _from(inst)
    span = float(q.arrival[-1]) + 1e-9
    grid = Grid(span / 3, 3)
    loose = Policy(ServiceTarget(level, minutes + cut))
    strict = Policy(ServiceTarget(min(level + extra, 0.99), minutes))
    fixed = {0: prefix}  # the same agents, so the same backlog, before interval 1
    a = search([q], grid, loose, fixed).agents
    b = search([q], grid, strict, fixed).agents
    assert b[1] >= a[1]


@settings(max_examples=40, deadline=None)
@given(
    instances(max_n=150, priorities=1, abandon=False, roster_changes=False),
    st.floats(1.0, 2.0),
    st.floats(0.5, 1.0),
    st.floats(0.5, 0.95),
    st.floats(0.0, 2.0),
)
def test_more_traffic_never_needs_fewer(
    inst: Instance, heavier: float, closer: float, level: float, minutes: float
) -> None:
    policy = Policy(ServiceTarget(level, minutes))
    grid = Grid(float(inst.arrival[-1]) + 1.0, 1)
    base = search([_from(inst)], grid, policy).agents[0]
    assert search([_from(inst, heavier=heavier)], grid, policy).agents[0] >= base
    assert search([_from(inst, stretch=closer)], grid, policy).agents[0] >= base


def test_every_searched_interval_meets_the_target_when_served_together() -> None:
    sc = stationary_scenario(2.0, 1.5, 30.0)
    records = [sample_traffic(RunSpec(sc, 5, r)).result.queue for r in range(3)]
    grid = Grid(60.0, 24)
    policy = Policy(ServiceTarget(0.8, 15.0), max_abandon=0.05)
    found = search(records, grid, policy)
    assert all(i.met for i in found.intervals)
    out = serve_levels(records, grid, found.agents, 15.0)
    assert all(out.meets(h, policy) for h in range(24))


# --- the backlog effect -------------------------------------------------------------------------


def test_a_night_without_agents_raises_the_morning_requirement() -> None:
    """Open 08:00-24:00: the night's messages wait for the morning and push its agents up."""
    sc = stationary_scenario(1.5, 1.5, 240.0)
    records = [sample_traffic(RunSpec(sc, 11, r)).result.queue for r in range(5)]
    grid = Grid(60.0, 24)
    policy = Policy(ServiceTarget(0.8, 15.0))
    night = dict.fromkeys(range(8), 0)
    load = interval_load(records, grid)
    closed_forms = max(
        erlang_c_agents(float(load.rate[8]), float(load.mean_handle[8]), policy.target),
        erlang_a_agents(
            float(load.rate[8]),
            float(load.mean_handle[8]),
            float(load.abandon_rate[8]),
            policy.target,
            None,
        ),
    )
    morning = search(records, grid, policy, night).agents[8]
    always_open = search(records, grid, policy).agents[8]
    assert morning > closed_forms
    assert morning > always_open
    assert not math.isnan(search(records, grid, policy, night).intervals[8].service_level)
