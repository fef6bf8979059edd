"""First-response and resolution times of a replay with agents: the database beside the model.

Measured: the reference back end stamps each message's arrival (`received_at`), its first claim
(`first_claimed_at`) and the agent's answer (`answered_at`); the human-routed messages of the run
are those it queued for agents (`waiting`, `claimed` or answered by an agent). Predicted:
`sim.model.human_queue.HumanQueue` serves the same messages at their intended send times, with
the same agents on duty (`DutyPlan`), priorities and class handle times, without abandonment (the
agents of a replay claim everything) and up to the same end (no claims after it). Handle times
are random, and a window holds few human messages, so one draw of them moves the waits a lot:
`model` is the mean over `REPLICATIONS` draws (with the 5-95 % range of the mean times), and
`model_with_measured_holds` serves the messages with the holds the agents actually had, which
isolates the queue (roster, priorities, first come first served) from handle-time luck: it
should match the measurement up to the agents' polling.

Times are in minutes of scenario time (wall seconds x speed-up / 60), so they compare with the
scenario's targets. Both sides count a message's first response only once it is claimed before
the end; `*_met_share` is over the messages whose outcome is known by then (claimed, or waiting
longer than the target). The measured first response includes the agents' polling (at most
`poll` wall seconds); the model picks up at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from loadtests.backend.schema import human_routed
from loadtests.replay.duty import DutyPlan, handle_times
from loadtests.replay.records import RunRecords
from loadtests.wechat.delivery import DROPPED
from sim.model.human_queue import HumanQueue
from sim.model.roster import StaffSchedule
from sim.scenario.load import load_scenario
from sim.scenario.timeline import resolve_timeline

__all__ = ["REPLICATIONS", "agent_times", "summarize"]

REPLICATIONS = 50  # the model's handle times are random: its prediction is over this many draws


def _minutes(x: NDArray[np.float64]) -> dict[str, float | None]:
    x = x[~np.isnan(x)]
    if not x.size:
        return {"mean": None, "p50": None, "p90": None, "max": None}
    q = {"p50": 0.5, "p90": 0.9}
    return {
        "mean": round(float(x.mean()), 4),
        **{k: round(float(np.quantile(x, v)), 4) for k, v in q.items()},
        "max": round(float(x.max()), 4),
    }


def _met(arrival: NDArray[np.float64], at: NDArray[np.float64], end: float, target: float) -> Any:
    """Share of messages done within `target` of arrival, among those whose outcome is known."""
    known = ~np.isnan(at) | (end - arrival > target)
    met = ~np.isnan(at) & (at - arrival <= target)
    return round(float(met.sum() / known.sum()), 4) if known.any() else None


def summarize(
    arrival: NDArray[np.float64],
    claimed: NDArray[np.float64],
    answered: NDArray[np.float64],
    end: float,
    targets: tuple[float, float],
) -> dict[str, Any]:
    """Counts, first response and resolution (minutes; NaN = not yet) of one side."""
    return {
        "routed": int(arrival.size),
        "claimed": int((~np.isnan(claimed)).sum()),
        "answered": int((~np.isnan(answered)).sum()),
        "first_response_minutes": _minutes(claimed - arrival),
        "resolution_minutes": _minutes(answered - arrival),
        "first_response_met_share": _met(arrival, claimed, end, targets[0]),
        "resolution_met_share": _met(arrival, answered, end, targets[1]),
    }


def _serve(
    arrival: NDArray[np.float64],
    priority: NDArray[np.int64],
    handle: NDArray[np.float64],
    roster: StaffSchedule,
    end: float,
) -> NDArray[np.float64]:
    """Pick-up times (NaN: not by `end`) of the model's queue serving these messages."""
    queue = HumanQueue(roster)
    queue.offer(arrival, priority, handle, np.full(arrival.size, np.inf))
    queue.advance(end)
    return queue.records().start


def _pooled(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Replication means of every figure, and the 5-95 % range of the mean times."""
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        if isinstance(value, dict):
            out[key] = {q: _mean([run[key][q] for run in runs]) for q in value}
            means = [run[key]["mean"] for run in runs if run[key]["mean"] is not None]
            if means:
                lo, hi = np.quantile(means, [0.05, 0.95])
                out[key]["mean_range_5_95"] = [round(float(lo), 4), round(float(hi), 4)]
        else:
            out[key] = _mean([run[key] for run in runs])
    return out


def _mean(xs: list[Any]) -> float | None:
    xs = [x for x in xs if x is not None]
    return round(float(np.mean(xs)), 4) if xs else None


def agent_times(db: Path, r: RunRecords, meta: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """Measured (from the database) and modelled agent times for the run's human messages."""
    duty = DutyPlan.from_dict(meta)
    scenario = load_scenario(Path(meta["scenario"]))
    unix0 = float(r.workers[0]["unix_start"])
    sent = r.outcome != DROPPED
    keys = r.dedup_keys(sent)
    intended = dict(zip(keys, r.intended[sent].tolist(), strict=True))
    rows = sorted(human_routed(db, keys), key=lambda row: intended[row.dedup_key])
    per_min = duty.speedup / 60.0  # scenario minutes per wall second
    end = duty.end * per_min
    service = resolve_timeline(scenario).days[duty.day].service
    targets = (service.first_response_target_minutes, service.resolution_target_minutes)

    def at(times: list[float | None]) -> NDArray[np.float64]:
        return np.array([np.nan if t is None else (t - unix0) * per_min for t in times])

    arrival = np.array([intended[x.dedup_key] * per_min for x in rows], np.float64)
    priority = np.array([int(x.priority) for x in rows], np.int64)
    roster = StaffSchedule(tuple(t * per_min for t in duty.times), duty.agents)
    dists = handle_times(scenario, duty.day)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(arrival.size,)))

    def draw() -> NDArray[np.float64]:
        return np.array(
            [float(dists[str(x.class_name)].sample(rng, 1)[0]) for x in rows], np.float64
        )

    # the measured holds (answer - last claim); a hold not finished in the run is drawn
    held = at([x.answered_at for x in rows]) - at([x.claimed_at for x in rows])
    held = np.where(np.isnan(held), draw(), held)
    start = _serve(arrival, priority, held, roster, end)
    replayed = summarize(arrival, start, start + held, end, targets)
    runs = []
    for _ in range(REPLICATIONS):
        handle = draw()
        start = _serve(arrival, priority, handle, roster, end)
        runs.append(summarize(arrival, start, start + handle, end, targets))
    return {
        "minutes_per_wall_second": per_min,
        "targets_minutes": {"first_response": targets[0], "resolution": targets[1]},
        "on_duty": {"times_wall_seconds": list(duty.times), "agents": list(duty.agents)},
        "measured": summarize(
            at([x.received_at for x in rows]),
            at([x.first_claimed_at for x in rows]),
            at([x.answered_at for x in rows]),
            end,
            targets,
        ),
        "model": _pooled(runs),
        "model_replications": REPLICATIONS,
        "model_with_measured_holds": replayed,
    }
