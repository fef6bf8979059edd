"""`fansim fit` as a function: data + scenario + priors -> posterior, checked and summarised.

Before any simulation, the data are checked against the scenario (dates outside it are an
error naming the line) and the priors against the scenario's schema (each path is set to its
prior's midpoint and validated), so a bad input fails in a second, not after the sampler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import OptionError, Problem, ScenarioError
from sim.experiments.executors import Executor
from sim.inference.data import SOURCE_PREFIX, History
from sim.inference.distance import Observed
from sim.inference.event_stats import event_targets, last_launch
from sim.inference.events import MESSAGE_FACTS, SHARE_PREFIX, Event, Fact, dated_problems
from sim.inference.priors import FitConfig
from sim.inference.simulator import Simulator, follower_only
from sim.inference.smc import Posterior, Progress, abc_smc
from sim.model.followers import FollowerModel
from sim.model.rng import Streams
from sim.scenario import Scenario, load_scenario
from sim.scenario.overrides import overlaps, split_phase_path
from sim.scenario.timeline import flatten_set, resolve_timeline

__all__ = [
    "AT_BOUND",
    "IDENTIFIED_RATIO",
    "FitResult",
    "at_bound",
    "check_inputs",
    "diagnostics",
    "fit",
    "overridden_by_phase",
]

IDENTIFIED_RATIO = 0.7
"""A posterior sd above this share of the prior's (working space) means the data barely speak."""
AT_BOUND = 0.25
"""This much posterior weight within 1% of the prior's range from a bound: the bound binds."""


@dataclass(frozen=True)
class FitResult:
    """A fit's inputs and its posterior."""

    scenario_path: str
    simulator: Simulator
    observed: Observed
    config: FitConfig
    posterior: Posterior
    events: tuple[Event, ...] = ()


def check_inputs(
    scenario_path: str,
    config: FitConfig,
    history: History | None,
    events: Sequence[Event] = (),
    facts: Sequence[Fact] = (),
) -> Scenario:
    """Validate data and priors against the scenario; raise one error listing every problem."""
    base = load_scenario(scenario_path)
    start = base.scenario.start
    end = start + dt.timedelta(days=base.scenario.days - 1)
    known = FollowerModel(resolve_timeline(base).days, start, Streams(0)).sources
    if history is None and not facts and not events:
        raise OptionError([Problem("--history", "give a history, events, facts, or several")])
    if history is not None:
        problems = history.problems_against(start, end)
        for source in Observed(start, history).sources:
            if source not in known:
                rule = f"names no source of the scenario ({', '.join(known)})"
                problems.append(Problem(f"header, column {SOURCE_PREFIX}{source}", rule))
        if problems:
            raise OptionError(problems, history.source)
    dated = [
        (e.line, col, day) for e in events for col, day in (("start", e.start), ("end", e.end))
    ]
    problems = dated_problems(dated, start, end)
    if problems:
        raise OptionError(problems, events[0].source or "--events")
    problems = dated_problems([(f.line, "date", f.date) for f in facts], start, end)
    last = max([f.date for f in facts] + ([history.dates[-1]] if history else []), default=end)
    for f in facts:
        source = f.metric.removeprefix(SHARE_PREFIX)
        if f.metric.startswith(SHARE_PREFIX) and source not in known:
            rule = f"names no source of the scenario ({', '.join(known)})"
            problems.append(Problem(f"line {f.line}, column metric", rule, f.metric, True))
        elif f.metric.startswith(SHARE_PREFIX) and f.date != last:
            rule = f"a share of fans must be dated on the data's last day ({last})"
            problems.append(Problem(f"line {f.line}, column date", rule, f.date.isoformat(), True))
    if problems:
        raise OptionError(problems, facts[0].source or "--facts")
    problems = overridden_by_phase(base, config.paths)
    if problems:
        raise OptionError(problems, "--priors")
    try:
        mids = [float(np.mean(p.from_z(np.asarray(p.z_bounds)))) for p in config.priors]
        Simulator(scenario_path, config.paths).scenario(mids)
    except ScenarioError as exc:
        hint = Problem("--priors", "each free parameter must be a number field of the scenario")
        raise ScenarioError([hint, *exc.problems], exc.source) from None
    return base


def overridden_by_phase(scenario: Scenario, paths: Sequence[str]) -> list[Problem]:
    """Free parameters that a phase sets from its date, with the phase's own field not free.

    Such a fit would move a value the phase replaces: from the phase's date on the simulation
    ignores it, so the data after that date say nothing of it and the fitted value would
    silently not be the one simulated. The problem names the phase's path to free instead.
    """
    phased = {split_phase_path(p) for p in paths}
    problems = []
    for path in paths:
        if split_phase_path(path)[0] is not None:
            continue
        for i, phase in enumerate(scenario.phases):
            key = next((k for k, _ in flatten_set("", phase.set) if overlaps(k, path)), None)
            if key is None or any(j == i and overlaps(key, q) for j, q in phased):
                continue
            rule = (
                f"phases[{i}] sets `{key}` from {phase.date}, so this value would hold only "
                f"before then and the fit would move a value the simulation does not use from "
                f'that date; free the phase\'s field instead ("phases[{i}].set.{key}"), or '
                "as well"
            )
            problems.append(Problem(f"fit.parameters.{path!r}", rule))
            break
    return problems


def fit(
    scenario_path: str | Path,
    config: FitConfig,
    history: History | None,
    seed: int,
    executor: Executor,
    events: Sequence[Event] = (),
    facts: Sequence[Fact] = (),
    progress: Progress | None = None,
) -> FitResult:
    """Fit the free parameters of `config` to the data by ABC-SMC."""
    path = str(scenario_path)
    base = check_inputs(path, config, history, events, facts)
    targets = event_targets(base, events, base.scenario.start)
    observed = Observed(base.scenario.start, history, tuple(facts), targets)
    end = base.scenario.start + dt.timedelta(days=observed.last_day)
    end = max(end, last_launch(base) or end)  # a later campaign must stay within the run
    # messages and campaigns' figures need the whole model
    whole = bool(targets) or any(f.metric in MESSAGE_FACTS for f in facts)
    simulator = Simulator(path, config.paths, end=end, whole=whole)
    posterior = abc_smc(simulator, observed, config, seed, executor, progress)
    return FitResult(path, simulator, observed, config, posterior, tuple(events))


def at_bound(z: np.ndarray, weights: np.ndarray, low: float, high: float) -> str | None:
    """'lower' or 'upper' when `AT_BOUND` of the weight sits within 1% of the range of it."""
    near = 0.01 * (high - low)
    for name, hit in (("lower", z <= low + near), ("upper", z >= high - near)):
        if float(weights[hit].sum()) >= AT_BOUND:
            return name
    return None


def diagnostics(result: FitResult) -> dict[str, Any]:
    """Per generation and per parameter: tolerance, acceptance, ESS, and identification."""
    post = result.posterior
    values = post.values()
    weights = post.weights
    params: dict[str, Any] = {}
    warnings: list[str] = []
    for j, prior in enumerate(post.priors):
        z = post.z[:, j]
        mean_z = float(np.sum(weights * z))
        sd_z = float(np.sqrt(np.sum(weights * (z - mean_z) ** 2)))
        ratio = sd_z / prior.z_sd()
        order = np.argsort(values[:, j])
        cdf = np.cumsum(weights[order])
        q = {
            f"q{int(100 * a):02d}": float(
                values[order, j][min(np.searchsorted(cdf, a), len(cdf) - 1)]
            )
            for a in (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
        }
        identified = ratio < IDENTIFIED_RATIO
        if not identified:
            warnings.append(
                f"{prior.path}: not identified by these data (posterior sd is {ratio:.0%} of the "
                "prior's); its posterior is mostly the prior"
            )
        bound = at_bound(z, weights, *prior.z_bounds)
        if bound is not None:
            warnings.append(
                f"{prior.path}: the posterior piles at the prior's {bound} bound; the data push "
                "it beyond the prior's range (widen the prior, or the model misses a mechanism), "
                "and its interval is the bound's, not the data's"
            )
        params[prior.path] = {
            "prior": str(prior),
            "mean": float(np.sum(weights * values[:, j])),
            **q,
            "sd_ratio_to_prior": ratio,
            "identified": identified and bound is None,
            "at_bound": bound,
        }
    sc = result.simulator.scenario([params[p]["q50"] for p in result.config.paths])
    obs = result.observed
    history = obs.history
    matched = {t.event.line: t.campaign for t in obs.events}
    return {
        "seed": post.seed,
        "data": {
            "scenario_start": obs.start.isoformat(),
            "history": None if history is None else history.source,
            "facts": len(obs.facts),
            "events": [
                f"{e.platform} {e.type} {e.start}..{e.end}"
                + (f" (campaign {matched[e.line]})" if e.line in matched else "")
                for e in result.events
            ],
            "last_date": (obs.start + dt.timedelta(days=obs.last_day)).isoformat(),
            "cumulative_at_end": None if history is None else int(history.cumulative[-1]),
        },
        "particles": result.config.particles,
        "generations_run": len(post.generations),
        "simulations": sum(g.simulations for g in post.generations),
        "simulator": "whole model (run_one)"
        if result.simulator.whole or not follower_only(sc)
        else "follower model alone",
        "generations": [
            {
                "epsilon": None if np.isinf(g.epsilon) else g.epsilon,
                "acceptance": g.acceptance,
                "ess": g.ess,
                "simulations": g.simulations,
                "distance": g.measured_by,
            }
            for g in post.generations
        ],
        "parameters": params,
        "warnings": warnings,
    }
