import dataclasses
import datetime as dt

import numpy as np
import pytest

from sim.experiments.executors import ProcessExecutor, SerialExecutor
from sim.inference.distance import Observed
from sim.inference.events import Fact
from sim.inference.priors import load_fit_config
from sim.inference.simulator import Simulator
from sim.inference.smc import abc_smc

from .conftest import PRIORS, START, history_of


@pytest.fixture
def observed(simulator: Simulator) -> Observed:
    return Observed(START, history_of(simulator.simulate((0.012, 0.003), 99)))


def test_same_seed_same_posterior_serial_or_in_processes(
    simulator: Simulator, observed: Observed
) -> None:
    cfg = load_fit_config(PRIORS)
    with SerialExecutor() as ex:
        a = abc_smc(simulator, observed, cfg, 4, ex)
    with ProcessExecutor(2) as ex:
        b = abc_smc(simulator, observed, cfg, 4, ex)
    assert np.array_equal(a.values(), b.values())
    assert np.array_equal(a.weights, b.weights)


def test_posterior_narrows(simulator: Simulator, observed: Observed) -> None:
    cfg = dataclasses.replace(load_fit_config(PRIORS), generations=5)
    with SerialExecutor() as ex:
        post = abc_smc(simulator, observed, cfg, 4, ex)
    eps = [g.epsilon for g in post.generations]
    # each generation's tolerance is in its own projection's units (refitted every generation)
    assert eps[0] == np.inf and all(0 < e < np.inf for e in eps[1:])
    assert all(0 < g.acceptance <= 1 and 1 <= g.ess <= len(g.weights) for g in post.generations)
    assert post.last.weights.sum() == pytest.approx(1.0)
    prior_sd = np.std(post.generations[0].z, axis=0)
    post_sd = np.sqrt(np.cov(post.last.z, rowvar=False, aweights=post.last.weights).diagonal())
    assert post_sd[0] < 0.5 * prior_sd[0]  # the conversion is identified by 8 weeks of follows
    draws = post.draws(50, "test")
    assert draws.shape == (50, 2) and np.array_equal(draws, post.draws(50, "test"))


def test_same_posterior_on_a_dask_cluster(simulator: Simulator, observed: Observed) -> None:
    distributed = pytest.importorskip("distributed")
    from sim.experiments.executors import DaskExecutor

    cfg = dataclasses.replace(load_fit_config(PRIORS), particles=12, generations=2)
    with SerialExecutor() as ex:
        a = abc_smc(simulator, observed, cfg, 4, ex)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        DaskExecutor(cluster.scheduler_address) as ex,  # as `fansim fit --scheduler` connects
    ):
        b = abc_smc(simulator, observed, cfg, 4, ex)
    assert np.array_equal(a.values(), b.values())


def test_as_few_facts_as_parameters_are_matched_in_units_of_their_tolerance(
    simulator: Simulator,
) -> None:
    """Nothing to project: distances are the facts' own misses, the particles stay unadjusted."""
    truth = simulator.simulate((0.012, 0.003), 99)
    days = (20, 55)
    facts = tuple(
        Fact(2 + i, START + dt.timedelta(days=d), "cumulative_follows", float(truth.fans[d]), 300.0)
        for i, d in enumerate(days)
    )
    observed = Observed(START, None, facts)
    cfg = dataclasses.replace(load_fit_config(PRIORS), particles=12, generations=3)
    with SerialExecutor() as ex:
        post = abc_smc(simulator, observed, cfg, 4, ex)
    assert np.array_equal(post.z, post.last.z) and np.array_equal(post.weights, post.last.weights)
    for gen in post.generations[1:]:
        assert (gen.distances <= gen.epsilon).all()
    assert np.array_equal(post.scales, [300.0, 300.0])  # the facts' tolerances
