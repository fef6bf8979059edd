"""`fansim staff` for a scenario with `[service.groups.*]`: a plan and a roster per group.

Same steps as `sim.staffing.plan` for one pool, per group: the closed forms on the group's own
load (a pre-screen), the simulation search over the whole grouped system
(`sim.staffing.group_search`), the shift integer program per group (groups share no agents and
the objective, agent-hours, adds up over groups, so solving each group's program alone is the
joint optimum), and all rosters served together on the same traffic.

The closed forms see each class as the load of the first group (in file order) serving it,
where arrivals try first, and count a group's agent as `max_chats` servers whose chats take
`stretch ** (max_chats - 1)` times the mean handle (every slot full: the slowest case).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.errors import OptionError, Problem, ScenarioError
from sim.model.group_queue import AgentGroup
from sim.model.groups import scenario_groups
from sim.model.human_queue import QueueRecords
from sim.scenario.schema import Scenario
from sim.scenario.timeline import resolve_timeline
from sim.staffing.group_search import GroupSystem, search_groups, serve_groups
from sim.staffing.plan import closed_forms, sample_plan_inputs, zero_closed
from sim.staffing.requirements import Grid, IntervalLoad, interval_load, on_phones, paid_agents
from sim.staffing.search import IntervalOutcomes, SearchResult
from sim.staffing.shifts import Roster, solve_roster
from sim.staffing.targets import Policy

__all__ = ["GroupPlan", "GroupStaffingPlan", "of_classes", "plan_group_staffing"]


@dataclass(frozen=True)
class GroupPlan:
    """One group's part of the plan; per-interval tuples have one entry per interval."""

    name: str
    skills: tuple[str, ...]
    max_chats: int
    stretch: float
    policy: Policy
    load: IntervalLoad  # of the classes this group is the first to serve
    erlang_c: tuple[int, ...]  # on-phone agents by Erlang C (chat-adjusted), no caps
    erlang_a: tuple[int, ...]
    occupancy_floor: tuple[int, ...]
    search: SearchResult
    required: tuple[int, ...]  # paid agents (shrinkage applied)
    roster: Roster
    on_phones: tuple[int, ...]
    check: IntervalOutcomes  # every group's roster served together, this group's messages


@dataclass(frozen=True)
class GroupStaffingPlan:
    """Everything `fansim staff` reports for a grouped scenario."""

    scenario: Scenario
    seed: int
    replications: int
    grid: Grid
    closed: tuple[int, ...]
    groups: tuple[GroupPlan, ...]
    exact: bool

    @property
    def cost(self) -> float | None:
        """All rosters' cost when the scenario gives an hourly cost."""
        rate = self.scenario.staffing.agent_hourly_cost
        return None if rate is None else rate * sum(g.roster.agent_hours for g in self.groups)


def group_policies(
    groups: tuple[AgentGroup, ...], policy: Policy, targets: Mapping[str, Policy]
) -> tuple[Policy, ...]:
    """Each group's policy: its entry in `targets`, else `policy`; unknown names are errors."""
    names = [g.name for g in groups]
    unknown = [n for n in targets if n not in names]
    if unknown:
        rule = f"names no group of the scenario (groups: {', '.join(names)})"
        raise OptionError([Problem("--group-target", rule, unknown[0], True)])
    return tuple(targets.get(n, policy) for n in names)


def of_classes(q: QueueRecords, classes: NDArray[np.int64]) -> QueueRecords:
    """The messages of `classes` (by `tag`), with the agents present as in `q`."""
    keep = np.isin(q.tag, classes)
    return QueueRecords(
        q.arrival[keep],
        q.priority[keep],
        q.handle[keep],
        q.deadline[keep],
        q.start[keep],
        q.tag[keep],
        q.present_times,
        q.present_agents,
        q.horizon,
    )


def plan_group_staffing(
    scenario: Scenario,
    seed: int,
    replications: int,
    policy: Policy,
    interval_minutes: float = 60.0,
    closed: Collection[int] = (),
    targets: Mapping[str, Policy] | None = None,
    progress: Callable[..., None] | None = None,
) -> GroupStaffingPlan:
    """Staff every group of `scenario` for its policy (`targets` by group name, else `policy`)."""
    timeline = resolve_timeline(scenario)
    grouped = scenario_groups(
        [d.service for d in timeline.days], timeline.class_names, dict(timeline.channels)
    )
    if grouped is None:
        rule = "has no [service.groups.*]: staff its one pool with plan_staffing"
        raise ScenarioError([Problem("service.groups", rule)])
    specs = grouped.groups
    system = GroupSystem(
        specs, len(timeline.class_names), group_policies(specs, policy, targets or {})
    )
    grid, options, traffic = sample_plan_inputs(
        scenario, seed, replications, interval_minutes, progress
    )
    records = [t.records for t in traffic]
    found = search_groups(records, grid, system, dict.fromkeys(closed, 0))
    required = [
        zero_closed([paid_agents(a, pol) for a in f.agents], closed)
        for f, pol in zip(found, system.policies, strict=True)
    ]
    rosters = [solve_roster(r, options) for r in required]
    phones = [
        tuple(on_phones(c, pol) for c in roster.coverage)
        for roster, pol in zip(rosters, system.policies, strict=True)
    ]
    checks = serve_groups(records, grid, system, phones)
    first_group = system.first_group

    groups = []
    for g, spec in enumerate(specs):
        pol = system.policies[g]
        mine = np.flatnonzero(first_group == g)
        load = interval_load([of_classes(q, mine) for q in records], grid)
        erlang_c, erlang_a, floors = closed_forms(load, pol, spec.max_chats, spec.stretch)
        groups.append(
            GroupPlan(
                name=spec.name,
                skills=tuple(timeline.class_names[s] for s in spec.skills),
                max_chats=spec.max_chats,
                stretch=spec.stretch,
                policy=pol,
                load=load,
                erlang_c=zero_closed(erlang_c, closed),
                erlang_a=zero_closed(erlang_a, closed),
                occupancy_floor=zero_closed(floors, closed),
                search=found[g],
                required=required[g],
                roster=rosters[g],
                on_phones=phones[g],
                check=checks[g],
            )
        )
    return GroupStaffingPlan(
        scenario=scenario,
        seed=seed,
        replications=replications,
        grid=grid,
        closed=tuple(sorted(closed)),
        groups=tuple(groups),
        exact=all(t.exact for t in traffic),
    )
