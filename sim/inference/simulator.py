"""The simulator: parameter values + seed -> the daily KPIs a history reports.

Parameter values become `--set` overrides of the scenario file (`load_scenario(path,
overrides)`), so anything a scenario can say can be fitted by its dotted path. Then the fastest
path that is exact for that scenario runs:
- the follower model alone (`FollowerModel`, no messages, no queue) when nothing the service
  side does reaches the fans: no campaign that brings fans, no dated push, no unfollows after
  unanswered messages, no channel whose conversion depends on service quality. Its trace is then
  the one `run_one` would give for the same seed, draw for draw (a test checks it);
- otherwise the whole model (`run_one`), whose follower trace carries every feedback.
On a one-year account of two channels the first costs ~0.09 s and the second ~0.23 s
(docs/inference.md). The function is pure and picklable: the executors farm it out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.model.campaigns import brings_fans
from sim.model.cascades import CascadeResult, early_r
from sim.model.engine import ModelResult, RunSpec, run_one
from sim.model.followers import FollowerModel, FollowerTrace
from sim.model.rng import Streams
from sim.results.campaign_tables import gone_within
from sim.results.service_periods import hourly_counts
from sim.scenario import Scenario, load_scenario
from sim.scenario.overrides import split_phase_path
from sim.scenario.timeline import resolve_timeline
from sim.units import DAY

__all__ = [
    "KEPT_DAYS",
    "Simulator",
    "Trajectory",
    "follower_only",
    "integer_fields",
    "override_text",
    "simulate_job",
]

I64 = NDArray[np.int64]
HOURS_PER_DAY = 24
KEPT_DAYS = 14
"""A campaign's net follows count its followers still following this many days after following
(the campaign tables' `net_follows_14d`, one of their `NET_DAYS`)."""


@dataclass(frozen=True)
class Trajectory:
    """Daily KPIs of one simulated account, from the scenario's start."""

    follows: I64  # new follows per day, all sources
    unfollows: I64
    fans: I64  # at the end of each day
    follows_by_source: dict[str, I64]
    messages: I64 | None = None  # received per day; the whole model only
    to_humans: I64 | None = None  # of which routed to agents
    fans_by_source: dict[str, int] | None = None  # at the end of the last day
    # the service, per day (the whole model only): most messages waiting for an agent at once,
    # and of the day's messages to agents those that met the first-response target, of those
    # whose outcome is known (answered, abandoned, or still waiting past the target)
    backlog: I64 | None = None
    in_target: I64 | None = None
    target_known: I64 | None = None
    # per campaign (the whole model only): (days, 3) participants, shares and follows per day,
    # as the campaign tables count them (sim.inference.event_stats.EVENT_FIGURES)
    campaigns: dict[str, I64] | None = None
    # per campaign (the whole model only), by day of follow: of that day's followers it
    # brought, those who unfollowed within `KEPT_DAYS` days (counted only up to the run's end)
    campaign_left: dict[str, I64] | None = None
    # per campaign with a cascade (the whole model only): its early reproduction number,
    # joiners per participant over its cascades' first generations (`_cascade_r`)
    cascade_r: dict[str, float] | None = None

    @property
    def net(self) -> I64:
        """Net follows per day."""
        return self.follows - self.unfollows


def override_text(path: str, value: float, integer: bool = False) -> str:
    """A `--set` override; integer-valued fields (day counts, pools) take the rounded value."""
    return f"{path}={round(value)}" if integer else f"{path}={float(value)!r}"


def _lookup(table: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(table, dict) or part not in table:
            return None
        table = table[part]
    return table


def integer_fields(scenario: Scenario, paths: Sequence[str]) -> frozenset[str]:
    """The paths whose field holds a whole number in `scenario` (the schema's `Whole` fields).

    A prior draws floats; such fields are set to the nearest whole number, so the sampler
    moves on a continuous scale and the simulator sees the value the schema accepts. A phase's
    field (`phases[N].set.<path>`) has the type of the scenario's own `<path>`.
    """
    dump = scenario.model_dump()
    out = set()
    for path in paths:
        value = _lookup(dump, split_phase_path(path)[1])
        if isinstance(value, int) and not isinstance(value, bool):
            out.add(path)
    return frozenset(out)


def follower_only(scenario: Scenario) -> bool:
    """Whether the follower model alone reproduces the whole model's follower trace."""
    for sc in resolve_timeline(scenario).days:
        if sc.followers.unanswered_unfollow > 0 or sc.pushes.sends:
            return False
        if any(brings_fans(c) for c in sc.campaigns.values()):
            return False
        if any(ch.quality_sensitivity > 0 for ch in sc.channels.values()):
            return False
    return True


def _trajectory(trace: FollowerTrace) -> Trajectory:
    return Trajectory(
        trace.follows.sum(axis=1).astype(np.int64),
        trace.unfollows.astype(np.int64),
        trace.fans.astype(np.int64),
        {s: trace.follows[:, i].astype(np.int64) for i, s in enumerate(trace.sources)},
        fans_by_source={
            s: int(n) for s, n in zip(trace.sources, trace.fans_by_source, strict=True)
        },
    )


def _daily(per_interval: NDArray[np.int64], days: int) -> I64:
    """(intervals, classes) counts -> per day."""
    out: I64 = per_interval.sum(axis=1).reshape(days, -1).sum(axis=1).astype(np.int64)
    return out


def _campaigns(result: ModelResult, days: int) -> dict[str, I64]:
    """Per campaign and day of the run: participants, shares, follows (days before it dropped)."""
    follows = result.followers.campaign_follows if result.followers is not None else {}
    out: dict[str, I64] = {}
    for name in sorted(set(result.campaign_days) | set(follows)):
        daily = np.zeros((days, 3), np.int64)
        for d, rec in result.campaign_days.get(name, {}).items():
            if 0 <= d < days:
                daily[d, :2] += (rec.participants, rec.shares)
        for d, n in follows.get(name, {}).items():
            if 0 <= d < days:
                daily[d, 2] += n
        out[name] = daily
    return out


def _campaign_left(result: ModelResult, days: int) -> dict[str, I64]:
    """Per campaign and day of follow: its followers of that day gone within `KEPT_DAYS` days."""
    gone = result.followers.campaign_unfollows if result.followers is not None else {}
    out: dict[str, I64] = {}
    for name, pairs in sorted(gone.items()):
        left = np.zeros(days, np.int64)
        for f, n in gone_within(pairs, KEPT_DAYS).items():
            if 0 <= f < days:
                left[f] += n
        out[name] = left
    return out


def _cascade_r(result: ModelResult) -> dict[str, float]:
    """Per campaign with a cascade, its early R pooled over its cascades (launch days).

    The cascade's reproduction number as it starts (`early_r`): above 1 it grows until its pool
    or its days run out. Over a whole cascade that died out, joiners per participant is
    1 - seeds / participants, below 1 however explosive the start, so it could not tell past
    the tipping point from near it. NaN where none passed on.
    """
    by_campaign: dict[str, list[CascadeResult]] = {}
    for c in result.cascades:
        by_campaign.setdefault(c.campaign, []).append(c)
    return {name: early_r(cascades) for name, cascades in by_campaign.items()}


def _with_service(traj: Trajectory, result: ModelResult, days: int) -> Trajectory:
    """Add the whole model's per-day figures: messages, backlog, first responses in target."""
    tally = result.tally
    hourly = {k: v[: days * HOURS_PER_DAY] for k, v in hourly_counts(result).items()}
    spans = [[(d * DAY, min((d + 1) * DAY, tally.horizon))] for d in range(days)]
    return replace(
        traj,
        messages=_daily(result.received, days),
        to_humans=_daily(result.to_humans, days),
        backlog=np.asarray([tally.waiting.peak_within(s) for s in spans], np.int64),
        in_target=hourly["sla_first_response_met_n"].reshape(days, -1).sum(axis=1),
        target_known=hourly["sla_first_response_known_n"].reshape(days, -1).sum(axis=1),
        campaigns=_campaigns(result, days),
        campaign_left=_campaign_left(result, days),
        cascade_r=_cascade_r(result),
    )


@dataclass(frozen=True)
class Simulator:
    """Scenario file + free parameters' paths; `simulate(values, seed)` runs one account.

    `end` cuts or extends the simulated period (a fit runs to the history's last day, a
    forecast to the horizon); `fixed` are further overrides applied first; `whole` always runs
    the whole model, whose trajectories then carry messages and messages to humans per day.
    """

    scenario_path: str
    paths: tuple[str, ...]
    end: dt.date | None = None
    fixed: tuple[str, ...] = ()
    whole: bool = False

    @cached_property
    def base(self) -> Scenario:
        """The scenario with the fixed overrides only (the free parameters as the file has them)."""
        return load_scenario(self.scenario_path, self.fixed)

    @cached_property
    def integers(self) -> frozenset[str]:
        """The free parameters that are whole-number fields (rounded when set)."""
        return integer_fields(self.base, self.paths)

    def scenario(self, values: Sequence[float]) -> Scenario:
        """The scenario with these parameter values."""
        sets = list(self.fixed)
        if self.end is not None:
            sets.append(f"scenario.end={self.end.isoformat()}")
        sets += [
            override_text(p, v, p in self.integers) for p, v in zip(self.paths, values, strict=True)
        ]
        return load_scenario(self.scenario_path, sets)

    def simulate(self, values: Sequence[float], seed: int) -> Trajectory:
        """One replication with these values, the follower part alone when that is exact."""
        sc = self.scenario(values)
        if not self.whole and follower_only(sc):
            model = FollowerModel(resolve_timeline(sc).days, sc.scenario.start, Streams(seed, 0))
            for day in range(sc.scenario.days):
                model.step(day, None)
            return _trajectory(model.trace())
        result = run_one(RunSpec(sc, seed))
        days = sc.scenario.days
        if result.followers is None:  # a fixed fan count: nothing follows or leaves
            zero = np.zeros(days, np.int64)
            fans = np.full(days, sc.fans.initial, np.int64)
            return _with_service(Trajectory(zero, zero, fans, {}), result, days)
        return _with_service(_trajectory(result.followers), result, days)


def simulate_job(job: tuple[Simulator, tuple[float, ...], int]) -> Trajectory:
    """`(simulator, values, seed)` -> its trajectory: a top-level function executors can ship."""
    simulator, values, seed = job
    return simulator.simulate(values, seed)
