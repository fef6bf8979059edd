"""The binomial pmfs agree with SciPy where SciPy works, and stay finite where it overflows."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.pmf import TINY, binomial_pmf, negative_binomial_pmf

# SciPy 1.17 raises OverflowError for these (n = 4 and n = 1000)
OVERFLOWING = [2.2250738585072014e-308, 5.7e-309, 1e-306, 1.4e-305]


@pytest.mark.parametrize("p", [0.0, *OVERFLOWING, 1e-260, TINY / 2])
@pytest.mark.parametrize("n", [1, 4, 1000])
def test_tiny_probabilities_give_the_closed_form(p: float, n: int) -> None:
    k = np.arange(-1, n + 2)
    pmf = binomial_pmf(k, n, p)
    assert np.all(np.isfinite(pmf)) and pmf[0] == 0 and pmf[-1] == 0
    assert pmf[1] == 1.0  # (1 - p)^n rounds to 1
    assert pmf[2] == pytest.approx(n * p, rel=1e-9, abs=0)  # log-gamma differences: ~n x 1e-15
    assert pmf[1:].sum() == 1.0
    nb = negative_binomial_pmf(np.arange(-1, 4), n, p)
    assert nb[0] == 0 and np.all(np.isfinite(nb))
    # n successes before any failure: p^n, which underflows to 0 for n > 1
    assert nb[1] == pytest.approx(p**n, rel=1e-9, abs=0)


@settings(max_examples=80, deadline=None)
@given(p=st.floats(TINY, 1.0), n=st.integers(1, 500))  # the model: max_invites <= 500
def test_above_tiny_the_values_are_scipy_s_unchanged(p: float, n: int) -> None:
    k = np.arange(n + 1)
    assert np.array_equal(binomial_pmf(k, n, p), stats.binom.pmf(k, n, p))
    assert np.array_equal(negative_binomial_pmf(k, n, p), stats.nbinom.pmf(k, n, p))


@pytest.mark.parametrize("n", [1, 3, 40])
def test_the_log_form_matches_scipy_where_both_work(n: int) -> None:
    """Just below TINY both forms are valid and agree to the log form's rounding."""
    p = TINY / 3
    k = np.arange(n + 1)
    ours, theirs = binomial_pmf(k, n, p), stats.binom.pmf(k, n, p)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)
    ours, theirs = negative_binomial_pmf(k, 1, p), stats.nbinom.pmf(k, 1, p)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)
