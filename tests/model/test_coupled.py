"""Coupled counting processes: exact laws, and monotone in argument and parameter."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model.coupled import CHUNK, SPAN, GammaSums, Marks, PoissonPoints, ReachOrder
from sim.model.rng import Streams

REPS = 300


def _chi2_ok(counts: list[int], dist: stats.rv_discrete) -> None:
    """The counts' mean and variance agree with `dist` (z-scores within 4)."""
    x = np.asarray(counts, float)
    n = x.size
    assert abs(x.mean() - dist.mean()) <= 4 * dist.std() / np.sqrt(n)
    ratio = x.var(ddof=1) / dist.var()
    assert 1 - 4 * np.sqrt(2 / (n - 1)) <= ratio <= 1 + 4 * np.sqrt(2 / (n - 1))


@pytest.mark.parametrize("n", [7, CHUNK, CHUNK + 1234, 3 * CHUNK + 17])
def test_marks_count_is_binomial_across_chunk_boundaries(n: int) -> None:
    counts = [Marks(Streams(1, r), "cascade.share", ("m",), 0.3).count(n) for r in range(REPS)]
    _chi2_ok(counts, stats.binom(n, 0.3))


def test_marks_increments_are_independent_binomials() -> None:
    """Marks on [a, b) given marks on [0, a): a fresh Binomial(b - a, p), not a copy."""
    a, b = CHUNK - 500, CHUNK + 500
    first, second = [], []
    for r in range(REPS):
        m = Marks(Streams(2, r), "cascade.share", ("m",), 0.5)
        first.append(m.count(a))
        second.append(m.count(b) - m.count(a))
    _chi2_ok(second, stats.binom(b - a, 0.5))
    assert abs(np.corrcoef(first, second)[0, 1]) < 4 / np.sqrt(REPS)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    p=st.floats(0, 1),
    dp=st.floats(0, 0.5),
    n=st.integers(0, 5 * CHUNK),
    dn=st.integers(0, 2 * CHUNK),
)
def test_marks_never_fall_with_more_people_or_a_higher_probability(
    seed: int, p: float, dp: float, n: int, dn: int
) -> None:
    low = Marks(Streams(seed), "cascade.join", ("m",), p)
    high = Marks(Streams(seed), "cascade.join", ("m",), min(1.0, p + dp))
    assert 0 <= low.count(n) <= min(low.count(n + dn), high.count(n)) <= high.count(n + dn)
    assert high.count(n + dn) <= n + dn


@pytest.mark.parametrize("t", [0.5, 100.0, CHUNK * 2.5])
def test_poisson_points_count_is_poisson(t: float) -> None:
    counts = [PoissonPoints(Streams(3, r), "cascade.fanout", ("p",)).count(t) for r in range(REPS)]
    _chi2_ok(counts, stats.poisson(t))


def test_gamma_sums_have_gamma_totals_within_a_chunk() -> None:
    n, shape = 1000, 0.5
    sums = [GammaSums(Streams(4, r), "cascade.fanout", ("g",), shape).total(n) for r in range(REPS)]
    lo, hi = stats.gamma.ppf([0.1, 0.9], n * shape)
    inside = np.mean([(lo <= s <= hi) for s in sums])
    assert 0.8 - 4 * np.sqrt(0.16 / REPS) <= inside <= 0.8 + 4 * np.sqrt(0.16 / REPS)


def test_negative_binomial_fanouts_by_composition() -> None:
    """Poisson points at gamma times: sums of NegBin(k, mean) fan-outs, exactly."""
    k, mean, sharers = 0.5, 4.0, 300
    counts = []
    for r in range(REPS):
        s = Streams(5, r)
        gam = GammaSums(s, "cascade.fanout", ("g",), k).total(sharers)
        counts.append(PoissonPoints(s, "cascade.fanout", ("p",)).count(gam * mean / k))
    _chi2_ok(counts, stats.nbinom(sharers * k, k / (k + mean)))


@pytest.mark.parametrize(
    ("n", "over", "contacts"),
    [(10, 10.0, 3.0), (50_000, 60_000.0, 40_000.0), (SPAN + 30_000, SPAN + 30_000.0, 1.5e5)],
)
def test_reach_order_counts_are_binomial(n: int, over: float, contacts: float) -> None:
    """Reached after `contacts` contacts on `over` people: Binomial(n, 1 - exp(-c / over))."""
    counts = [
        ReachOrder(Streams(6, r), "cascade.reach", ("o",), n, over).count(contacts)
        for r in range(REPS)
    ]
    _chi2_ok(counts, stats.binom(n, -np.expm1(-contacts / over)))


def test_reach_order_is_the_sellke_process() -> None:
    """Given m reached at c1, the newly reached by c2 are Binomial(n - m, 1 - e^{-(c2-c1)/n})."""
    n, c1, c2 = SPAN + 5_000, 20_000.0, 90_000.0  # c2 lands in the second block
    z = []
    for r in range(REPS):
        order = ReachOrder(Streams(8, r), "cascade.reach", ("o",), n, n)
        m = order.count(c1)
        p = -np.expm1(-(c2 - c1) / n)
        z.append((order.count(c2) - m - (n - m) * p) / np.sqrt((n - m) * p * (1 - p)))
    assert abs(np.mean(z)) <= 4 / np.sqrt(REPS)
    assert abs(np.var(z, ddof=1) - 1) <= 4 * np.sqrt(2 / (REPS - 1))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 3 * SPAN),
    more=st.integers(0, 2 * SPAN),
    spread=st.floats(0, 1),
    contacts=st.floats(0, 4 * SPAN),
    extra=st.floats(0, 4 * SPAN),
    seed=st.integers(0, 2**31),
)
def test_reach_order_never_falls_with_more_contacts_or_a_larger_pool(
    n: int, more: int, spread: float, contacts: float, extra: float, seed: int
) -> None:
    """Larger pool: n grows by `more`, the crowd the contacts fall on by at most as much."""
    over = n + 1_000.0
    small = ReachOrder(Streams(seed), "cascade.reach", ("o",), n, over)
    large = ReachOrder(Streams(seed), "cascade.reach", ("o",), n + more, over + spread * more)
    assert small.count(contacts) <= small.count(contacts + extra) <= n
    assert small.count(contacts) <= large.count(contacts)
    assert small.count(0) == 0 and small.count(math.inf) == n
