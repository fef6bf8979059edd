"""Staffing and sizing results as tidy rows and files (byte-identical for the same inputs).

Every row carries its provenance: scenario, root seed, replications and the params hash of the
resolved scenario (`sim.results.provenance`), so any row can be re-run exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from sim.results.provenance import params_hash
from sim.results.writers import csv_text
from sim.staffing.group_plan import GroupStaffingPlan
from sim.staffing.plan import StaffingPlan
from sim.staffing.requirements import IntervalLoad
from sim.staffing.search import IntervalOutcomes, SearchResult
from sim.staffing.servers import Sizing, SizingTarget
from sim.staffing.shifts import Roster
from sim.staffing.targets import Policy
from sim.units import DAY

__all__ = [
    "AnyPlan",
    "roster_rows",
    "sizing_rows",
    "staffing_rows",
    "staffing_totals",
    "write_csvs",
]


class _Part(Protocol):
    """What a one-pool plan and one group's part of a grouped plan both carry."""

    @property
    def policy(self) -> Policy: ...
    @property
    def load(self) -> IntervalLoad: ...
    @property
    def erlang_c(self) -> tuple[int, ...]: ...
    @property
    def erlang_a(self) -> tuple[int, ...]: ...
    @property
    def occupancy_floor(self) -> tuple[int, ...]: ...
    @property
    def search(self) -> SearchResult: ...
    @property
    def required(self) -> tuple[int, ...]: ...
    @property
    def roster(self) -> Roster: ...
    @property
    def on_phones(self) -> tuple[int, ...]: ...
    @property
    def check(self) -> IntervalOutcomes: ...


AnyPlan = StaffingPlan | GroupStaffingPlan


def _parts(plan: AnyPlan) -> list[tuple[dict[str, Any], _Part]]:
    """The plan's parts, each with the columns its rows carry before the interval's own.

    One pool: the provenance only (the file as before groups existed). Groups: the provenance,
    then `group` and `target` (each group may have its own target).
    """
    sc = plan.scenario
    meta = {
        "scenario": sc.scenario.name,
        "seed": plan.seed,
        "replications": plan.replications,
        "params_hash": params_hash(sc),
    }
    if isinstance(plan, StaffingPlan):
        return [(meta, plan)]
    return [({**meta, "group": g.name, "target": str(g.policy.target)}, g) for g in plan.groups]


def _at(plan: AnyPlan, interval: int) -> dt.datetime:
    midnight = dt.datetime.combine(plan.scenario.scenario.start, dt.time())
    return midnight + dt.timedelta(minutes=plan.grid.start(interval))


def staffing_rows(plan: AnyPlan) -> list[dict[str, Any]]:
    """One row per interval (and group): load, the closed forms, the simulation, the roster.

    `erlang_c`, `erlang_a`, `occupancy_floor` and `simulation` are agents on the phones;
    `required` and `rostered` are paid agents (shrinkage applied); `on_phones` is what the
    roster leaves after shrinkage; `roster_*` come from serving the roster on the same traffic
    (with groups: every group's roster together, the group's own classes counted).
    """
    rows = []
    for meta, part in _parts(plan):
        for h, found in enumerate(part.search.intervals):
            level, abandoned = part.check.pooled(h)
            rows.append(
                {
                    **meta,
                    "interval_start": _at(plan, h).isoformat(),
                    "open": h not in plan.closed,
                    "arrivals_per_hour": float(part.load.rate[h] * 60.0),
                    "mean_handle_minutes": float(part.load.mean_handle[h]),
                    "offered_load": float(part.load.offered[h]),
                    "erlang_c": part.erlang_c[h],
                    "erlang_a": part.erlang_a[h],
                    "occupancy_floor": part.occupancy_floor[h],
                    "simulation": found.agents,
                    "simulation_met": None if h in plan.closed else found.met,
                    "simulation_service_level": found.service_level,
                    "required": part.required[h],
                    "rostered": part.roster.coverage[h],
                    "on_phones": part.on_phones[h],
                    "roster_service_level": level,
                    "roster_abandoned": abandoned,
                    "roster_met": h in plan.closed or part.check.meets(h, part.policy),
                }
            )
    return rows


def roster_rows(plan: AnyPlan) -> list[dict[str, Any]]:
    """One row per shift taken (and group): its day, name, start, end, break and agents."""
    rows = []
    for meta, part in _parts(plan):
        meta = {k: v for k, v in meta.items() if k != "target"}
        for option, agents in part.roster.used:
            start = _at(plan, option.start)
            brk = None if option.break_start is None else _at(plan, option.break_start)
            rows.append(
                {
                    **meta,
                    "date": start.date().isoformat(),
                    "shift": option.pattern,
                    "start": start.time().isoformat("minutes"),
                    "end": (start + dt.timedelta(hours=option.hours)).time().isoformat("minutes"),
                    "break_start": None if brk is None else brk.time().isoformat("minutes"),
                    "agents": agents,
                    "agent_hours": option.hours * agents,
                }
            )
    return rows


def _agent_hours(plan: AnyPlan, part: _Part) -> dict[str, float]:
    """A part's agent-hours by each method and its roster's agent-shifts and people.

    `roster_agent_shifts` counts one per agent per shift over the horizon (7 days of 5 agents
    are 35); `roster_people_per_day` is the most shifts starting on one day: the fewest people
    the roster needs if each works at most one shift a day (days off need more).
    """
    hours = plan.grid.minutes / 60.0
    per_day = round(DAY / plan.grid.minutes)
    by_day: dict[int, int] = {}
    for option, n in part.roster.used:
        by_day[option.start // per_day] = by_day.get(option.start // per_day, 0) + n
    return {
        "erlang_c_agent_hours": sum(part.erlang_c) * hours,
        "erlang_a_agent_hours": sum(part.erlang_a) * hours,
        "simulation_agent_hours": sum(part.search.agents) * hours,
        "required_agent_hours": sum(part.required) * hours,
        "roster_agent_hours": part.roster.agent_hours,
        "roster_agent_shifts": sum(n for _, n in part.roster.used),
        "roster_people_per_day": max(by_day.values(), default=0),
    }


def _meets(plan: AnyPlan, part: _Part) -> bool:
    """Whether a part's roster meets its policy in every open interval."""
    open_ = [h for h in range(plan.grid.intervals) if h not in plan.closed]
    return all(part.check.meets(h, part.policy) for h in open_)


def staffing_totals(plan: AnyPlan) -> dict[str, Any]:
    """Whole-horizon figures: agent-hours by each method, the roster's cost and result.

    With groups: the sums over groups (the target column lists each group's), then per group
    `<group>_roster_agent_hours` and `<group>_roster_meets_target`.
    """
    parts = [part for _, part in _parts(plan)]
    hours = [_agent_hours(plan, p) for p in parts]
    meets = [_meets(plan, p) for p in parts]
    if isinstance(plan, StaffingPlan):
        target = str(plan.policy.target)
    else:
        target = "; ".join(f"{g.name} {g.policy.target}" for g in plan.groups)
    out: dict[str, Any] = {
        "target": target,
        **{key: sum(h[key] for h in hours) for key in hours[0]},
        "roster_cost": plan.cost,
        "roster_meets_target": all(meets),
        "traffic_exact": plan.exact,
    }
    if isinstance(plan, GroupStaffingPlan):
        for g, h, met in zip(plan.groups, hours, meets, strict=True):
            out[f"{g.name}_roster_agent_hours"] = h["roster_agent_hours"]
            out[f"{g.name}_roster_meets_target"] = met
    return out


def write_csvs(out_dir: Path, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Path]:
    """Write each table as `name` in `out_dir`; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, rows in tables.items():
        path = out_dir / name
        path.write_text(csv_text(rows), encoding="utf-8")
        paths.append(path)
    return paths


def sizing_rows(
    sizings: Sequence[Sizing], target: SizingTarget, provenance: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """One row per back end sized: the answer and the candidate just below it."""
    rows = []
    for s in sizings:
        below = s.below
        rows.append(
            {
                **provenance,
                "variant": s.variant,
                "workers_per_instance": s.workers_per_instance,
                "instances": s.instances,
                "messages": s.at.messages,
                "requests": s.at.requests,
                "failed_share": s.at.failed_share,
                "p99_seconds": s.at.p99_seconds,
                "answer_p99_seconds": s.at.answer_p99_seconds,
                "below_failed_share": None if below is None else below.failed_share,
                "below_p99_seconds": None if below is None else below.p99_seconds,
                "max_failed": target.max_failed,
                "p99_target_seconds": target.p99_seconds,
                "candidates_simulated": s.trials,
            }
        )
    return rows
