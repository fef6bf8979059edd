"""Staffing and sizing results as tidy rows and files (byte-identical for the same inputs).

Every row carries its provenance: scenario, root seed, replications and the params hash of the
resolved scenario (`sim.results.provenance`), so any row can be re-run exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.results.provenance import params_hash
from sim.results.writers import csv_text
from sim.staffing.plan import StaffingPlan
from sim.staffing.servers import Sizing, SizingTarget

__all__ = ["roster_rows", "sizing_rows", "staffing_rows", "staffing_totals", "write_csvs"]


def _meta(plan: StaffingPlan) -> dict[str, Any]:
    sc = plan.scenario
    return {
        "scenario": sc.scenario.name,
        "seed": plan.seed,
        "replications": plan.replications,
        "params_hash": params_hash(sc),
    }


def _at(plan: StaffingPlan, interval: int) -> dt.datetime:
    midnight = dt.datetime.combine(plan.scenario.scenario.start, dt.time())
    return midnight + dt.timedelta(minutes=plan.grid.start(interval))


def staffing_rows(plan: StaffingPlan) -> list[dict[str, Any]]:
    """One row per interval: load, the closed forms, the simulation, the roster and its result.

    `erlang_c`, `erlang_a`, `occupancy_floor` and `simulation` are agents on the phones;
    `required` and `rostered` are paid agents (shrinkage applied); `on_phones` is what the
    roster leaves after shrinkage; `roster_*` come from serving the roster on the same traffic.
    """
    meta = _meta(plan)
    rows = []
    for h, found in enumerate(plan.search.intervals):
        level, abandoned = plan.check.pooled(h)
        rows.append(
            {
                **meta,
                "interval_start": _at(plan, h).isoformat(),
                "open": h not in plan.closed,
                "arrivals_per_hour": float(plan.load.rate[h] * 60.0),
                "mean_handle_minutes": float(plan.load.mean_handle[h]),
                "offered_load": float(plan.load.offered[h]),
                "erlang_c": plan.erlang_c[h],
                "erlang_a": plan.erlang_a[h],
                "occupancy_floor": plan.occupancy_floor[h],
                "simulation": found.agents,
                "simulation_met": None if h in plan.closed else found.met,
                "simulation_service_level": found.service_level,
                "required": plan.required[h],
                "rostered": plan.roster.coverage[h],
                "on_phones": plan.on_phones[h],
                "roster_service_level": level,
                "roster_abandoned": abandoned,
                "roster_met": h in plan.closed or plan.check.meets(h, plan.policy),
            }
        )
    return rows


def roster_rows(plan: StaffingPlan) -> list[dict[str, Any]]:
    """One row per shift taken: its day, name, start, end, break and agents."""
    meta = _meta(plan)
    rows = []
    for option, agents in plan.roster.used:
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


def staffing_totals(plan: StaffingPlan) -> dict[str, Any]:
    """Whole-horizon figures: agent-hours by each method, the roster's cost and result."""
    hours = plan.grid.minutes / 60.0
    open_ = [h for h in range(plan.grid.intervals) if h not in plan.closed]
    met = all(plan.check.meets(h, plan.policy) for h in open_)
    return {
        "target": str(plan.policy.target),
        "erlang_c_agent_hours": sum(plan.erlang_c) * hours,
        "erlang_a_agent_hours": sum(plan.erlang_a) * hours,
        "simulation_agent_hours": sum(plan.search.agents) * hours,
        "required_agent_hours": sum(plan.required) * hours,
        "roster_agent_hours": plan.roster.agent_hours,
        "roster_agents": sum(n for _, n in plan.roster.used),
        "roster_cost": plan.cost,
        "roster_meets_target": met,
        "traffic_exact": plan.exact,
    }


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
