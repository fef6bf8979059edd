"""Coupled counting processes: exact laws, and monotone in argument and parameter."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.model.coupled import CHUNK, GammaSums, Marks, PoissonPoints, UniformPoints
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


@pytest.mark.parametrize(("n", "u"), [(10, 0.3), (50_000, 0.61), (3_000_000, 0.01)])
def test_uniform_points_below_u_are_binomial(n: int, u: float) -> None:
    counts = [
        UniformPoints(Streams(6, r), "cascade.reach", ("u",), n).count(u) for r in range(REPS)
    ]
    _chi2_ok(counts, stats.binom(n, u))


def test_uniform_points_are_monotone_and_end_at_n() -> None:
    pts = UniformPoints(Streams(7), "cascade.reach", ("u",), 100_000)
    grid = [pts.count(u) for u in np.linspace(0, 1, 501)]
    assert grid == sorted(grid) and grid[0] == 0 and grid[-1] == 100_000
