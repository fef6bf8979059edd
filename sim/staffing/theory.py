"""The simulation search against the closed forms on stationary M/M/c and M/M/c+M queues.

One flat-rate, human-routed message class with exponential handling (and exponential patience
for M/M/c+M), staffed as one long interval from an empty system, over R replications. The
acceptance rule (docs/staffing.md): the simulation's agents equal Erlang C's (M/M/c) or Erlang
A's (M/M/c+M), or are one apart only where the analytic service level at the boundary (the
smaller of the two answers) lies inside the simulation's 95% confidence interval there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.analytic.erlang import ErlangA, ErlangC
from sim.model.engine import RunSpec
from sim.model.replay import sample_traffic
from sim.results.stats import mean_ci95
from sim.scenario.load import scenario_from_dict
from sim.scenario.schema import Scenario
from sim.staffing.requirements import Grid, erlang_a_agents, erlang_c_agents
from sim.staffing.search import search
from sim.staffing.targets import Policy, ServiceTarget

__all__ = ["StationaryCheck", "stationary_check", "stationary_scenario"]


def stationary_scenario(
    rate_per_minute: float, mean_handle: float, mean_patience: float | None, days: int = 1
) -> Scenario:
    """A flat Poisson stream of human-routed messages: M/M/c, or M/M/c+M with patience."""
    service: dict[str, object] = {"agents_by_hour": [1] * 24}
    if mean_patience is not None:
        service["patience_minutes"] = {"dist": "exponential", "mean": mean_patience}
    return scenario_from_dict(
        {
            "scenario": {"name": "stationary", "start": "2013-04-10", "end": f"2013-04-{9 + days}"},
            "fans": {"initial": round(rate_per_minute * 1440)},
            "messages": {
                "per_active_fan_per_day": 1.0,
                "classes": {
                    "all": {
                        "share": 1.0,
                        "routing": "human",
                        "handle_time_minutes": {"dist": "exponential", "mean": mean_handle},
                    }
                },
            },
            "service": service,
        }
    )


@dataclass(frozen=True)
class StationaryCheck:
    """The closed form's and the simulation's agents, and the evidence where they differ."""

    rate: float
    mean_handle: float
    mean_patience: float | None
    target: ServiceTarget
    analytic: int
    simulation: int
    boundary: int  # the smaller answer
    analytic_level: float  # the closed form's service level at the boundary
    simulated_ci: tuple[float, float]  # the simulation's 95% CI there (R replications)

    @property
    def agrees(self) -> bool:
        """Equal, or one apart with the analytic level inside the simulation's CI."""
        if self.analytic == self.simulation:
            return True
        lo, hi = self.simulated_ci
        return abs(self.analytic - self.simulation) == 1 and lo <= self.analytic_level <= hi


def _level(rate: float, handle: float, patience: float | None, c: int, t: float) -> float:
    if patience is None:
        if rate * handle >= c:
            return 0.0  # unstable: the queue grows without bound
        return ErlangC(rate, 1.0 / handle, c).service_level(t)
    return ErlangA(rate, 1.0 / handle, c, 1.0 / patience).service_level(t)


def stationary_check(
    rate: float,
    mean_handle: float,
    mean_patience: float | None,
    target: ServiceTarget,
    replications: int = 10,
    seed: int = 1,
    days: int = 1,
) -> StationaryCheck:
    """Staff one stationary queue both ways (one interval of `days` days)."""
    scenario = stationary_scenario(rate, mean_handle, mean_patience, days)
    records = [sample_traffic(RunSpec(scenario, seed, r)).records for r in range(replications)]
    found = search(records, Grid(days * 1440.0, 1), Policy(target)).intervals[0]
    if mean_patience is None:
        analytic = erlang_c_agents(rate, mean_handle, target)
    else:
        analytic = erlang_a_agents(rate, mean_handle, 1.0 / mean_patience, target, None)
    boundary = min(analytic, found.agents)
    levels = found.per_replication if boundary == found.agents else found.below
    ci = mean_ci95(levels) if levels else (math.nan, math.nan)
    return StationaryCheck(
        rate,
        mean_handle,
        mean_patience,
        target,
        analytic,
        found.agents,
        boundary,
        _level(rate, mean_handle, mean_patience, boundary, target.minutes),
        ci,
    )
