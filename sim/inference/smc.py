"""ABC-SMC (population Monte Carlo): the sampler, deterministic whatever runs the simulations.

Generation 0 draws `particles` parameter sets from the priors and simulates each; the
statistics' scales and their projection to one statistic per parameter (`sim.inference.adjust`)
are fitted on those simulations, and later distances are measured between projected
statistics. The projection is fitted again on each later population's own simulations for the
next generation: a linear fit over the whole prior is a poor summary where the posterior is (the
worked example's unfollow rate depends on the weekly log counts far from linearly across its
prior), and the tolerance stalled at a sixth of the prior's spread, leaving intervals 4 to 10
times as wide as the exact posterior's (docs/inference.md). Any summary keeps the sampler valid
as long as it is fixed before the generation it measures is simulated (adaptive distances,
Prangle 2017). With no more statistics than parameters (a fit to a few sparse facts) there is
nothing to reduce, and a projection fitted linearly over the whole prior would only lose what
the statistics say where the data are: the distance is then the scaled statistics' own (facts
in units of their tolerance), and no regression adjustment follows.
Each later generation sets its tolerance to the median distance of the previous one, proposes
by resampling the previous particles by weight and moving them with a Gaussian kernel of twice
their weighted covariance (in the priors' working space), keeps proposals whose simulation lands
within the tolerance, and weights them by prior over proposal density. The sampler stops after
`generations`, or earlier when acceptance falls below `MIN_ACCEPTANCE` (the tolerance then
costs more than it gains); the final particles are then regression-adjusted to the data's
statistics (when projected).

Determinism: proposals and each candidate's simulation seed come from named streams keyed by
generation and candidate; candidates are evaluated in batches on any executor and accepted in
candidate order, so one seed gives the same posterior serially, on 2 processes or on Dask.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from numpy.typing import NDArray

from sim.experiments.executors import Executor, run_ordered
from sim.inference.adjust import Projection, fit_projection, regression_adjust
from sim.inference.distance import Observed, distance, mad_scales
from sim.inference.priors import FitConfig, Prior
from sim.inference.simulator import Simulator
from sim.model.rng import Streams

__all__ = ["MIN_ACCEPTANCE", "Generation", "Posterior", "abc_smc", "simulate_stats", "systematic"]

F64 = NDArray[np.float64]
MIN_ACCEPTANCE = 0.02
MAX_BATCHES = 40  # per generation; a generation that cannot fill its population ends the fit

Job = tuple[Simulator, Observed, tuple[float, ...], int]
Progress = Callable[[int, int], None]
"""`progress(done, total)`: particles accepted so far over all generations, of the most."""


def simulate_stats(job: Job) -> F64:
    """One candidate: simulate with its values and seed, return its summary statistics."""
    simulator, observed, values, seed = job
    return observed.stats(simulator.simulate(values, seed))


@dataclass(frozen=True)
class Generation:
    """One population: particles in the working space, their weights and distances."""

    epsilon: float
    z: F64  # (particles, parameters)
    weights: F64  # sum to 1
    distances: F64
    simulations: int
    measured_by: str = "scaled statistics"  # the distance, or the projection that measured it

    @property
    def acceptance(self) -> float:
        """Accepted share of the simulations this generation ran."""
        return len(self.weights) / self.simulations

    @property
    def ess(self) -> float:
        """Effective sample size of the importance weights (Kish)."""
        return float(1.0 / np.sum(self.weights**2))


@dataclass(frozen=True)
class Posterior:
    """The sampler's result: every generation, the priors and the statistics' scales."""

    priors: tuple[Prior, ...]
    generations: tuple[Generation, ...]
    scales: F64
    seed: int
    z: F64  # the final particles after regression adjustment (working space)
    weights: F64  # their weights (importance x kernel), sum to 1

    @property
    def last(self) -> Generation:
        """The final population as sampled (before adjustment)."""
        return self.generations[-1]

    def values(self) -> F64:
        """Final (adjusted) particles as parameter values, (particles, parameters)."""
        return np.column_stack([p.from_z(self.z[:, j]) for j, p in enumerate(self.priors)])

    def draws(self, n: int, purpose: str) -> F64:
        """`n` equally weighted values, resampled systematically by weight (deterministic)."""
        u0 = Streams(self.seed).get("fit.draws", purpose).random()
        return self.values()[systematic(self.weights, n, u0)]


def systematic(weights: F64, n: int, u0: float) -> NDArray[np.int64]:
    """Indices of `n` systematic resamples by `weights` (low variance, deterministic given u0)."""
    positions = (u0 + np.arange(n)) / n
    index = np.searchsorted(np.cumsum(weights) / np.sum(weights), positions, side="right")
    return np.minimum(index, len(weights) - 1).astype(np.int64)


def _sim_seeds(seed: int, generation: int, first: int, n: int) -> list[int]:
    streams = Streams(seed)
    return [
        int(streams.sequence("fit.simulate", generation, first + i).generate_state(1)[0])
        for i in range(n)
    ]


def _kernel(prev: Generation) -> tuple[F64, F64]:
    """Cholesky factor and inverse of twice the weighted covariance (Beaumont et al. 2009)."""
    k = prev.z.shape[1]
    cov = 2.0 * np.atleast_2d(np.cov(prev.z, rowvar=False, aweights=prev.weights))
    cov += np.eye(k) * 1e-12 * max(1.0, float(np.trace(cov)))
    chol = np.asarray(np.linalg.cholesky(cov), np.float64)
    inv = np.asarray(np.linalg.inv(cov), np.float64)
    return chol, inv


def _inside(priors: Sequence[Prior], z: F64) -> NDArray[np.bool_]:
    ok = np.ones(len(z), bool)
    for j, p in enumerate(priors):
        a, b = p.z_bounds
        ok &= (z[:, j] >= a) & (z[:, j] <= b)
    return ok


def _propose(
    priors: Sequence[Prior], prev: Generation | None, rng: np.random.Generator, n: int
) -> F64:
    if prev is None:
        return np.column_stack([p.sample_z(rng, n) for p in priors])
    chol, _ = _kernel(prev)
    out = np.zeros((0, len(priors)))
    while len(out) < n:  # moves outside the bounds have zero prior: draw again
        ancestors = rng.choice(len(prev.weights), size=n, p=prev.weights)
        moved = prev.z[ancestors] + rng.standard_normal((n, len(priors))) @ chol.T
        out = np.vstack([out, moved[_inside(priors, moved)]])
    return out[:n]


def _weights(priors: Sequence[Prior], z: F64, prev: Generation | None) -> F64:
    log_prior = sum(p.logpdf_z(z[:, j]) for j, p in enumerate(priors))
    if prev is None:
        w = np.ones(len(z))
    else:
        _, inv = _kernel(prev)
        diff = z[:, None, :] - prev.z[None, :, :]
        quad = np.einsum("ijk,kl,ijl->ij", diff, inv, diff)
        # the kernel's normalising constant is the same for every pair: it cancels
        mix = np.exp(-0.5 * quad) @ prev.weights
        w = np.exp(np.asarray(log_prior) - np.max(log_prior)) / mix
    out: F64 = w / w.sum()
    return out


def _generation(
    t: int,
    run: Callable[[F64, int], F64],
    priors: Sequence[Prior],
    prev: Generation | None,
    epsilon: float,
    n: int,
    seed: int,
    progress: Callable[[int], None],
) -> tuple[Generation | None, F64]:
    """Fill one population; None if it cannot be filled within `MAX_BATCHES`."""
    kept_z: list[F64] = []
    kept_stats: list[F64] = []
    simulated, rate = 0, 1.0
    for batch in range(MAX_BATCHES):
        need = n - sum(len(z) for z in kept_z)
        size = n if prev is None else min(4 * n, max(need, math.ceil(need / max(rate, 0.05))))
        z = _propose(priors, prev, Streams(seed).get("fit.propose", t, batch), size)
        stats = run(z, simulated)
        simulated += size
        ok = np.ones(size, bool) if math.isinf(epsilon) else stats[:, -1] <= epsilon
        kept_z.append(z[ok][:need])
        kept_stats.append(stats[ok][:need])
        rate = max(float(ok.mean()), 1.0 / size)
        accepted = sum(len(z) for z in kept_z)
        progress(accepted)
        if accepted >= n:
            z_all = np.vstack(kept_z)
            d = np.vstack(kept_stats)[:, -1]
            gen = Generation(epsilon, z_all, _weights(priors, z_all, prev), d, simulated)
            return gen, np.vstack(kept_stats)[:, :-1]
    return None, np.zeros((0, 0))


def abc_smc(
    simulator: Simulator,
    observed: Observed,
    config: FitConfig,
    seed: int,
    executor: Executor,
    progress: Progress | None = None,
) -> Posterior:
    """Run ABC-SMC with the priors and sizes of `config`; see the module docstring."""
    priors = config.priors
    target = observed.observed_stats()
    scales = np.ones_like(target)
    measure: Callable[[F64], F64] = partial(distance, observed=target, scales=scales)
    n, total = config.particles, config.particles * config.generations

    def run(t: int) -> Callable[[F64, int], F64]:
        def evaluate(z: F64, first: int) -> F64:
            values = np.column_stack([p.from_z(z[:, j]) for j, p in enumerate(priors)])
            seeds = _sim_seeds(seed, t, first, len(z))
            jobs = [
                (simulator, observed, tuple(map(float, v)), s)
                for v, s in zip(values, seeds, strict=True)
            ]
            stats = np.vstack(run_ordered(executor, simulate_stats, jobs))
            return np.column_stack([stats, measure(stats)])

        return evaluate

    def report(t: int) -> Callable[[int], None]:
        return lambda accepted: progress(min(t * n + accepted, total), total) if progress else None

    if progress is not None:
        progress(0, total)
    generations: list[Generation] = []
    prev: Generation | None = None
    projection: Projection | None = None
    measured_by: Projection | None = None  # the projection the last generation was measured by
    last_stats = np.zeros((0, len(target)))
    for t in range(config.generations):
        epsilon = math.inf if prev is None else float(np.median(prev.distances))
        gen, stats = _generation(t, run(t), priors, prev, epsilon, n, seed, report(t))
        if gen is None:
            break
        if t == 0:  # from the prior's simulations: scales, then the projection if it reduces
            scales = mad_scales(stats, observed.fixed_scales())
            if len(target) > len(priors):
                projection = fit_projection(stats, gen.z, scales)
                measure = partial(projection.distance, goal=projection(target))
            else:
                measure = partial(distance, observed=target, scales=scales)
            gen = Generation(epsilon, gen.z, gen.weights, measure(stats), gen.simulations)
        if projection is not None:
            gen = replace(gen, measured_by=f"projection ({projection.kind})")
        generations.append(gen)
        last_stats, measured_by = stats, projection
        prev = gen
        if gen.acceptance < MIN_ACCEPTANCE:
            break
        if projection is not None and 0 < t < config.generations - 1:
            # the next generation measures distance with a projection fitted where the
            # particles now are (see the module docstring); its tolerance follows from the
            # population's distances under that projection
            projection = fit_projection(stats, gen.z, mad_scales(stats, observed.fixed_scales()))
            measure = partial(projection.distance, goal=projection(target))
            prev = Generation(gen.epsilon, gen.z, gen.weights, measure(stats), gen.simulations)
    if progress is not None:
        progress(total, total)
    last = generations[-1]
    z, w = last.z, last.weights
    if measured_by is not None:  # not `projection`: a generation that failed to fill may
        # leave one refitted for it, while the last population's distances are the previous
        z, w = regression_adjust(
            z, measured_by(last_stats), measured_by(target), w, last.distances, last.epsilon
        )
        z = _clip(priors, z)
    return Posterior(tuple(priors), tuple(generations), scales, seed, z, w)


def _clip(priors: Sequence[Prior], z: F64) -> F64:
    """Adjusted particles pushed past a bound sit on it (the prior has no mass beyond)."""
    lows = np.array([p.z_bounds[0] for p in priors])
    highs = np.array([p.z_bounds[1] for p in priors])
    return np.clip(z, lows, highs)
