"""Exact sums equal `math.fsum` of every value of a bin, however the values are batched."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.exact_sum import ExactSums

VALUES = st.lists(
    st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False),
        st.floats(0.0, 1e-6, allow_nan=False),
        st.sampled_from([0.0, 0.1, 1e300, -1e300, 2.0**-1000, 60.0]),
    ),
    max_size=200,
)


def _batches(n: int, cuts: list[int]) -> list[tuple[int, int]]:
    edges = sorted({0, n, *(c % (n + 1) for c in cuts)})
    return list(itertools.pairwise(edges))


@settings(max_examples=200, deadline=None)
@given(values=VALUES, cuts=st.lists(st.integers(0, 200), max_size=8), seed=st.integers(0, 99))
def test_the_total_is_fsum_of_all_values_whatever_the_batches(
    values: list[float], cuts: list[int], seed: int
) -> None:
    x = np.asarray(values, np.float64)
    x = x[np.random.default_rng(seed).permutation(x.size)]
    s = ExactSums()
    for lo, hi in _batches(x.size, cuts):
        s.add(x[lo:hi])
    assert s.total() == math.fsum(values)


@settings(max_examples=200, deadline=None)
@given(
    values=VALUES,
    bins=st.lists(st.integers(0, 5000), min_size=200, max_size=200),
    cuts=st.lists(st.integers(0, 200), max_size=8),
    stop=st.integers(0, 5001),
)
def test_each_bin_is_fsum_of_its_values_and_popped_bins_are_let_go(
    values: list[float], bins: list[int], cuts: list[int], stop: int
) -> None:
    x = np.asarray(values, np.float64)
    b = np.asarray(bins[: x.size], np.int64)
    s = ExactSums()
    for lo, hi in _batches(x.size, cuts):
        s.add(x[lo:hi], b[lo:hi])
    below, sums = s.pop_below(stop)
    rest, rest_sums = s.pop_below(5001)
    for popped, got in ((below, sums), (rest, rest_sums)):
        for k, v in zip(popped.tolist(), got.tolist(), strict=True):
            assert v == math.fsum(x[b == k].tolist())
    assert set(below.tolist()) == set(b[b < stop].tolist())
    assert set(rest.tolist()) == set(b[b >= stop].tolist())
    assert s.keys.size == 0


def test_a_float_sum_would_depend_on_the_batches_but_the_exact_one_does_not() -> None:
    x = np.asarray([1e16, 1.0, -1e16, 1.0] * 3)
    s, t = ExactSums(), ExactSums()
    s.add(x)
    for v in x:
        t.add(np.asarray([v]))
    assert s.total() == t.total() == 6.0 != float(np.sum(x[:2])) + float(np.sum(x[2:]))


def test_infinite_values_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        ExactSums().add(np.asarray([1.0, np.inf]))


def test_a_batch_larger_than_a_pass_is_summed_whole_per_bin() -> None:
    """More values than one pass takes (the sum is cut in blocks to bound its temporaries)."""
    rng = np.random.default_rng(3)
    x = rng.exponential(5.0, 200_003) * rng.choice([1.0, -1.0, 1e-9, 1e9], 200_003)
    bins = rng.integers(0, 5, x.size)
    s = ExactSums()
    s.add(x, bins)
    got_bins, got = s.pop_below(5)
    assert got_bins.tolist() == list(range(5))
    assert got.tolist() == [math.fsum(x[bins == b].tolist()) for b in range(5)]
