"""`fansim staff` as one call: sample, pre-screen, search, roster, and the roster simulated.

Traffic is sampled once per replication (`sim.model.replay.sample_traffic`) and every roster is
served on those same messages. When fans depend on service (quality feedback, unfollows after
unanswered messages) that holds the traffic of the scenario's own roster fixed, an
approximation `StaffingPlan.exact` reports.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sim.model.engine import RunSpec
from sim.model.replay import sample_traffic
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
from sim.staffing.shifts import DEFAULT_PATTERNS, Roster, shift_options, solve_roster
from sim.staffing.targets import Policy
from sim.units import DAY

__all__ = ["StaffingPlan", "plan_staffing"]


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


def plan_staffing(
    scenario: Scenario,
    seed: int,
    replications: int,
    policy: Policy,
    interval_minutes: float = 60.0,
    closed: Collection[int] = (),
) -> StaffingPlan:
    """Staff `scenario` for `policy` over its whole horizon on a grid of `interval_minutes`."""
    grid = Grid(interval_minutes, round(scenario.scenario.days * DAY / interval_minutes))
    options = shift_options(scenario.staffing.shift_patterns or DEFAULT_PATTERNS, grid)
    traffic = [sample_traffic(RunSpec(scenario, seed, r)) for r in range(replications)]
    records = [t.result.queue for t in traffic]
    load = interval_load(records, grid)
    t = policy.target
    erlang_c = tuple(
        erlang_c_agents(float(r), float(m), t)
        for r, m in zip(load.rate, load.mean_handle, strict=True)
    )
    erlang_a = tuple(
        erlang_a_agents(float(r), float(m), float(a), t, policy.max_abandon)
        for r, m, a in zip(load.rate, load.mean_handle, load.abandon_rate, strict=True)
    )
    floors = tuple(occupancy_floor(float(x), policy) for x in load.offered)
    found = search(records, grid, policy, dict.fromkeys(closed, 0))
    required = tuple(
        0 if h in closed else paid_agents(a, policy) for h, a in enumerate(found.agents)
    )
    roster = solve_roster(required, options)
    phones = tuple(on_phones(c, policy) for c in roster.coverage)
    check = serve_levels(records, grid, phones, t.minutes)
    return StaffingPlan(
        scenario=scenario,
        seed=seed,
        replications=replications,
        policy=policy,
        grid=grid,
        closed=tuple(sorted(closed)),
        load=load,
        erlang_c=tuple(0 if h in closed else c for h, c in enumerate(erlang_c)),
        erlang_a=tuple(0 if h in closed else a for h, a in enumerate(erlang_a)),
        occupancy_floor=tuple(0 if h in closed else f for h, f in enumerate(floors)),
        search=found,
        required=required,
        roster=roster,
        on_phones=phones,
        check=check,
        exact=all(tr.exact for tr in traffic),
    )
