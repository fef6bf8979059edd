"""Planning for a quantile of the forecast load: the posterior draw `staff`/`size-servers` take.

The posterior says which parameter values the account's history allows; the load a plan must
carry depends on them. `load_quantile` simulates the whole model once for each of `draws`
parameter sets resampled from a fit's posterior, measures each one's load (messages received
over the planned days, or on the busiest of them), and returns the draw whose load sits at the
chosen quantile, as `--set` overrides. The plan is then made for that world, with the command's
own replications for the simulation's randomness; the sentence it prints says so.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.errors import OptionError, Problem
from sim.experiments.executors import Executor, run_ordered
from sim.inference.forecast import SavedPosterior
from sim.inference.scores import predictive_quantile
from sim.inference.simulator import Simulator, override_text, simulate_job
from sim.inference.smc import systematic
from sim.model.rng import Streams

__all__ = ["LoadQuantile", "load_quantile"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class LoadQuantile:
    """The posterior draw at a quantile of the load, and every draw's load beside it."""

    quantile: float
    what: str  # e.g. "messages received 2025-03-01..2025-03-07"
    values: dict[str, float]
    overrides: tuple[str, ...]  # `--set` texts of the chosen draw
    load: float
    loads: F64

    def sentence(self) -> str:
        """What the plan is for, in words, with the loads' 80% interval."""
        lo, mid, hi = predictive_quantile(self.loads, [0.1, 0.5, 0.9])
        return (
            f"planning for the {100 * self.quantile:g}th percentile of the forecast load: "
            f"{self.what} {self.load:,.0f} in the chosen posterior draw "
            f"(median of {len(self.loads)} draws {mid:,.0f}, 80% interval {lo:,.0f} to "
            f"{hi:,.0f}); parameters " + ", ".join(f"{p}={v:.4g}" for p, v in self.values.items())
        )


def load_quantile(
    scenario_path: str,
    posterior: SavedPosterior,
    quantile: float,
    draws: int,
    executor: Executor,
    period: tuple[dt.date, dt.date] | None = None,
    peak: bool = False,
    overrides: Sequence[str] = (),
) -> LoadQuantile:
    """The draw whose load is the `quantile` of `draws` draws' (total, or busiest day if `peak`).

    Loads are messages received per day from the whole model, over `period` (both days
    included) or the whole scenario; `overrides` are applied before the draw's values.
    """
    if not 0 < quantile < 1:
        raise OptionError([Problem("--quantile", "must lie between 0% and 100%", quantile, True)])
    streams = Streams(posterior.seed)
    u = streams.get("fit.draws", "plan").random()
    chosen = posterior.values[systematic(posterior.weights, draws, u)]
    simulator = Simulator(scenario_path, posterior.paths, fixed=tuple(overrides), whole=True)
    start = simulator.scenario(tuple(map(float, chosen[0]))).scenario.start
    jobs = [
        (
            simulator,
            tuple(map(float, v)),
            int(streams.sequence("fit.simulate", "plan", i).generate_state(1)[0]),
        )
        for i, v in enumerate(chosen)
    ]
    sims = run_ordered(executor, simulate_job, jobs)
    messages = [t.messages for t in sims if t.messages is not None]
    days = len(sims[0].fans)
    if period is None:
        first, last = 0, days - 1
        when = "over the scenario"
    else:
        first, last = (period[0] - start).days, (period[1] - start).days
        if first < 0 or last >= days:
            rule = f"must lie within the scenario ({start} and {days} days on)"
            text = f"{period[0]}..{period[1]}"
            raise OptionError([Problem("--period", rule, text, True)])
        when = f"{period[0]}..{period[1]}"
    window = [m[first : last + 1] for m in messages]
    loads = np.array([m.max() if peak else m.sum() for m in window], np.float64)
    order = np.argsort(loads, kind="stable")
    pick = int(order[min(max(math.ceil(quantile * draws) - 1, 0), draws - 1)])
    values = {p: float(v) for p, v in zip(posterior.paths, chosen[pick], strict=True)}
    texts = tuple(override_text(p, v, p in simulator.integers) for p, v in values.items())
    what = f"messages on the busiest day {when}" if peak else f"messages received {when}"
    return LoadQuantile(quantile, what, values, texts, float(loads[pick]), loads)
