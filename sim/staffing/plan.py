"""`fansim staff` as one call: sample, pre-screen, search, roster, and the roster simulated.

Traffic is sampled once per replication (`sim.model.replay.sample_traffic`) and every roster is
served on those same messages. When fans depend on service (quality feedback, unfollows after
unanswered messages) that holds the traffic of the scenario's own roster fixed, an
approximation `StaffingPlan.exact` reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from sim.model.engine import RunSpec
from sim.model.replay import Traffic, sample_traffic
from sim.scenario.schema import Scenario
from sim.staffing.requirements import (
    Grid,
    IntervalLoad,
    erlang_a_agents,
    erlang_c_agents,
    interval_load,
    occupancy_floor,
    on_phones,
    paid_agents,
)
from sim.staffing.search import IntervalOutcomes, SearchResult, search, serve_levels
from sim.staffing.shifts import DEFAULT_PATTERNS, Roster, ShiftOption, shift_options, solve_roster
from sim.staffing.targets import Policy
from sim.units import DAY

__all__ = [
    "StaffingPlan",
    "closed_forms",
    "plan_staffing",
    "sample_plan_inputs",
    "zero_closed",
]


@dataclass(frozen=True)
class StaffingPlan:
    """Everything `fansim staff` reports; per-interval tuples have one entry per interval."""

    scenario: Scenario
    seed: int
    replications: int
    policy: Policy
    grid: Grid
    closed: tuple[int, ...]
    load: IntervalLoad
    erlang_c: tuple[int, ...]  # on-phone agents by Erlang C, no caps
    erlang_a: tuple[int, ...]  # ... by Erlang A (with the abandonment cap), no occupancy cap
    occupancy_floor: tuple[int, ...]
    search: SearchResult  # on-phone agents by simulation, caps applied
    required: tuple[int, ...]  # paid agents the roster must cover (shrinkage applied)
    roster: Roster
    on_phones: tuple[int, ...]  # the roster's agents after shrinkage
    check: IntervalOutcomes  # the roster simulated on the same traffic
    exact: bool  # serving other rosters is exact (fans do not depend on service)

    @property
    def cost(self) -> float | None:
        """Roster cost when the scenario gives an hourly cost."""
        rate = self.scenario.staffing.agent_hourly_cost
        return None if rate is None else rate * self.roster.agent_hours


Progress = Callable[..., None]
"""`progress(done, total, note)`: replications sampled, then intervals searched."""


def sample_plan_inputs(
    scenario: Scenario,
    seed: int,
    replications: int,
    interval_minutes: float,
    progress: Progress | None = None,
) -> tuple[Grid, tuple[ShiftOption, ...], list[Traffic]]:
    """The grid, the shift options on it and each replication's sampled traffic."""
    grid = Grid(interval_minutes, round(scenario.scenario.days * DAY / interval_minutes))
    options = shift_options(scenario.staffing.shift_patterns or DEFAULT_PATTERNS, grid)
    traffic = []
    for r in range(replications):
        traffic.append(sample_traffic(RunSpec(scenario, seed, r)))
        if progress is not None:
            progress(r + 1, replications + grid.intervals, "sampling traffic")
    return grid, options, traffic


def closed_forms(
    load: IntervalLoad, policy: Policy, max_chats: int = 1, stretch: float = 1.0
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Erlang C, Erlang A and occupancy agents per interval, `max_chats` slots per agent.

    An agent counts as `max_chats` servers whose chats take `stretch ** (max_chats - 1)` times
    the mean handle (every slot full: the slowest case); one chat is the plain closed forms.
    """
    k, slow = max_chats, stretch ** (max_chats - 1)
    t = policy.target

    def agents(slots: int) -> int:
        return math.ceil(slots / k)

    handle = [float(m) * slow for m in load.mean_handle]
    erlang_c = tuple(
        agents(erlang_c_agents(float(r), m, t)) for r, m in zip(load.rate, handle, strict=True)
    )
    erlang_a = tuple(
        agents(erlang_a_agents(float(r), m, float(a), t, policy.max_abandon))
        for r, m, a in zip(load.rate, handle, load.abandon_rate, strict=True)
    )
    floors = tuple(
        agents(occupancy_floor(float(r) * m, policy))
        for r, m in zip(load.rate, handle, strict=True)
    )
    return erlang_c, erlang_a, floors


def zero_closed(xs: Sequence[int], closed: Collection[int]) -> tuple[int, ...]:
    """`xs` with the closed intervals' entries set to 0."""
    return tuple(0 if h in closed else x for h, x in enumerate(xs))


def plan_staffing(
    scenario: Scenario,
    seed: int,
    replications: int,
    policy: Policy,
    interval_minutes: float = 60.0,
    closed: Collection[int] = (),
    progress: Progress | None = None,
) -> StaffingPlan:
    """Staff `scenario` for `policy` over its whole horizon on a grid of `interval_minutes`."""
    grid, options, traffic = sample_plan_inputs(
        scenario, seed, replications, interval_minutes, progress
    )
    records = [t.records for t in traffic]
    load = interval_load(records, grid)
    erlang_c, erlang_a, floors = closed_forms(load, policy)

    def searched(h: int) -> None:
        if progress is not None:
            progress(replications + h, replications + grid.intervals, "searching intervals")

    found = search(records, grid, policy, dict.fromkeys(closed, 0), searched)
    required = zero_closed([paid_agents(a, policy) for a in found.agents], closed)
    roster = solve_roster(required, options)
    phones = tuple(on_phones(c, policy) for c in roster.coverage)
    check = serve_levels(records, grid, phones, policy.target.minutes)
    return StaffingPlan(
        scenario=scenario,
        seed=seed,
        replications=replications,
        policy=policy,
        grid=grid,
        closed=tuple(sorted(closed)),
        load=load,
        erlang_c=zero_closed(erlang_c, closed),
        erlang_a=zero_closed(erlang_a, closed),
        occupancy_floor=zero_closed(floors, closed),
        search=found,
        required=required,
        roster=roster,
        on_phones=phones,
        check=check,
        exact=all(tr.exact for tr in traffic),
    )
