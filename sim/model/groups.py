"""Agent groups of a scenario: their rosters as schedules, their skills as class indices.

A scenario either has one pool of agents (`service.agents_by_hour` or `service.shifts`, served by
`HumanQueue`) or `[service.groups.<name>]` (served by `GroupQueue`). A phase may change a
group's roster; its skills, chats per agent and stretch are those of the first day for the whole
run (the queue's state, e.g. who holds how many chats, is not re-shaped at a midnight). A group
that a phase leaves out has nobody on duty while that phase lasts. A skill may name an inbound
channel (`[inbound.<name>]`): it stands for all that channel's classes, in file order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sim.model.group_queue import AgentGroup
from sim.model.roster import StaffSchedule, build_schedule_by_day
from sim.scenario.schema import AgentGroupSpec, ServiceSpec

__all__ = ["ScenarioGroups", "scenario_groups", "skill_indices"]

_OFF = AgentGroupSpec(skills=("-",), agents_by_hour=(0,) * 24)  # a group absent from a phase


@dataclass(frozen=True)
class ScenarioGroups:
    """The queue's groups and the schedule of all their agents together (for agent-hours)."""

    groups: tuple[AgentGroup, ...]
    total: StaffSchedule


def total_schedule(schedules: Sequence[StaffSchedule]) -> StaffSchedule:
    """Agents of all schedules on duty together; equal neighbouring steps merged."""
    times: list[float] = []
    agents: list[int] = []
    for t in sorted({t for s in schedules for t in s.times}):
        on = sum(s.agents_at(t) for s in schedules)
        if agents and agents[-1] == on:
            continue
        times.append(t)
        agents.append(on)
    return StaffSchedule(tuple(times), tuple(agents))


def skill_indices(
    skills: Sequence[str], class_names: Sequence[str], channels: Mapping[str, Sequence[str]]
) -> tuple[int, ...]:
    """Class indices of a group's skills; an inbound channel's name stands for its classes."""
    names = (c for skill in skills for c in channels.get(skill, (skill,)))
    return tuple(class_names.index(c) for c in dict.fromkeys(names))


def scenario_groups(
    services: Sequence[ServiceSpec],
    class_names: Sequence[str],
    channels: Mapping[str, Sequence[str]] | None = None,
) -> ScenarioGroups | None:
    """The groups of a scenario's days (`services[d]` is day d's), or None for one pool.

    `channels` maps each inbound channel to its classes, for skills that name a channel.
    """
    first = services[0].groups
    if any((s.groups is None) != (first is None) for s in services):
        raise ValueError("service.groups: a phase cannot switch between one pool and groups")
    if first is None:
        return None
    groups = []
    for name, spec in first.items():
        days = [(s.groups or {}).get(name, _OFF) for s in services]
        groups.append(
            AgentGroup(
                name,
                build_schedule_by_day(days),
                skill_indices(spec.skills, class_names, channels or {}),
                spec.max_chats,
                spec.stretch,
                spec.order,
            )
        )
    return ScenarioGroups(tuple(groups), total_schedule([g.schedule for g in groups]))
