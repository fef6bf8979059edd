"""The simulated queue against queueing theory, with 95% confidence intervals over replications.

Seeds are explicit (root 2024, replications 0..R-1), so each check is deterministic.
"""

import numpy as np

from sim.analytic.erlang import ErlangA, ErlangC
from sim.model.engine import RunSpec, run_one
from sim.results.stats import mean_ci95
from tests.factories import queue_scenario

REPS = 16
WARMUP = 120.0  # minutes discarded from each replication (the queue starts empty)
COOLDOWN = 60.0  # arrivals this close to the horizon may still wait: not measured


def per_replication(scenario, fn):  # type: ignore[no-untyped-def]
    out = []
    for r in range(REPS):
        q = run_one(records=True, spec=RunSpec(scenario, seed=2024, replication=r)).queue
        keep = (q.arrival >= WARMUP) & (q.arrival <= q.horizon - COOLDOWN)
        out.append(fn(q, keep))
    return out


def test_mmc_matches_erlang_c() -> None:
    theory = ErlangC(arrival_rate=9.0, service_rate=1.0, agents=10)
    assert round(theory.prob_wait, 4) == 0.6687
    sc = queue_scenario(rate_per_minute=9.0, agents=10)
    waits = per_replication(sc, lambda q, k: q.start[k] - q.arrival[k])
    assert not any(np.isnan(w).any() for w in waits)  # every measured message was answered
    lo, hi = mean_ci95([float(np.mean(w > 0)) for w in waits])
    assert lo <= theory.prob_wait <= hi
    lo, hi = mean_ci95([float(np.mean(w)) for w in waits])
    assert lo <= theory.mean_wait <= hi
    lo, hi = mean_ci95([float(np.mean(w <= 0.5)) for w in waits])
    assert lo <= theory.service_level(0.5) <= hi


def test_mmc_plus_m_matches_erlang_a() -> None:
    theory = ErlangA(arrival_rate=9.0, service_rate=1.0, agents=10, abandon_rate=0.5)
    sc = queue_scenario(rate_per_minute=9.0, agents=10, mean_patience=2.0)

    def measures(q, k):  # type: ignore[no-untyped-def]
        answered = ~np.isnan(q.start[k])
        waited = np.where(answered, q.start[k], q.deadline[k]) - q.arrival[k]
        return (
            float(np.mean(~answered)),
            float(np.mean(waited)),
            float(np.mean(answered & (waited <= 0.5))),
            float(np.mean(waited > 0)),
        )

    results = per_replication(sc, measures)
    for i, expected in enumerate(
        (theory.prob_abandon, theory.mean_wait, theory.service_level(0.5), theory.prob_wait)
    ):
        lo, hi = mean_ci95([r[i] for r in results])
        assert lo <= expected <= hi, (i, lo, expected, hi)


def test_littles_law_queue_length() -> None:
    """Time-average backlog L equals lambda x mean wait W (here: against Erlang C's Lq)."""
    theory = ErlangC(arrival_rate=9.0, service_rate=1.0, agents=10)
    sc = queue_scenario(rate_per_minute=9.0, agents=10)

    def mean_queue(q, k):  # type: ignore[no-untyped-def]
        # integral of the backlog over [WARMUP, horizon] = sum of waiting inside that window
        lo_t, hi_t = WARMUP, q.horizon
        a = np.clip(q.arrival, lo_t, hi_t)
        s = np.clip(np.where(np.isnan(q.start), hi_t, q.start), lo_t, hi_t)
        return float(np.sum(s - a) / (hi_t - lo_t))

    lo, hi = mean_ci95(per_replication(sc, mean_queue))
    assert lo <= theory.mean_queue_length <= hi
