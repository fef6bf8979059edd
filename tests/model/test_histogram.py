import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.model.histogram import ERROR_MINUTES, SecondHistogram

TIMES = arrays(
    np.float64,
    st.integers(0, 300),
    elements=st.one_of(st.just(0.0), st.floats(0.0, 2_000.0, allow_nan=False)),
)
PROBS = st.floats(0.0, 1.0)


def _of(x: np.ndarray) -> SecondHistogram:
    h = SecondHistogram()
    h.add(x)
    return h


def _same(a: SecondHistogram, b: SecondHistogram) -> bool:
    return np.array_equal(a.bins, b.bins) and np.array_equal(a.counts, b.counts)


@settings(max_examples=200, deadline=None)
@given(x=TIMES, p=PROBS)
def test_quantile_is_within_half_a_second_of_the_exact_one(x: np.ndarray, p: float) -> None:
    h = _of(x)
    assert h.count == x.size
    if x.size == 0:
        assert np.isnan(h.quantile(p))
        return
    assert abs(h.quantile(p) - float(np.quantile(x, p))) <= ERROR_MINUTES + 1e-9


@settings(max_examples=100, deadline=None)
@given(a=TIMES, b=TIMES, c=TIMES)
def test_merge_is_associative_commutative_and_exact_in_counts(
    a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> None:
    ha, hb, hc = _of(a), _of(b), _of(c)
    left = SecondHistogram.merged([SecondHistogram.merged([ha, hb]), hc])
    right = SecondHistogram.merged([ha, SecondHistogram.merged([hc, hb])])
    whole = _of(np.concatenate([a, b, c]))
    assert _same(left, right) and _same(left, whole)
    assert left.count == a.size + b.size + c.size


@settings(max_examples=50, deadline=None)
@given(x=TIMES, w=st.integers(1, 4))
def test_weights_count_a_time_that_many_times(x: np.ndarray, w: int) -> None:
    weighted = SecondHistogram()
    weighted.add(x, np.full(x.size, w, np.int64))
    assert _same(weighted, _of(np.repeat(x, w)))


def test_waits_of_zero_read_as_zero() -> None:
    h = _of(np.asarray([0.0, 0.0, 0.0, 0.5]))
    assert h.quantile(0.5) == 0.0
    assert h.quantile(1.0) == pytest.approx(30.5 / 60)
