import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from sim.inference.scores import covered, crps, mdape, pit

finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=50), finite)
def test_crps_is_never_negative(xs: list[float], y: float) -> None:
    assert crps(np.array(xs), np.array(y)) >= -1e-9 * (1 + max(map(abs, [*xs, y])))


@given(finite, finite, st.integers(1, 20))
def test_crps_of_a_point_mass_is_the_absolute_error(x: float, y: float, n: int) -> None:
    assert crps(np.full(n, x), np.array(y)) == pytest.approx(abs(x - y), abs=1e-6)


def test_crps_matches_the_normal_closed_form() -> None:
    # Gneiting & Raftery (2007): CRPS(N(0,1), y) = y(2 Phi(y) - 1) + 2 phi(y) - 1/sqrt(pi)
    x = stats.norm.ppf((np.arange(20_000) + 0.5) / 20_000)
    for y in (-1.0, 0.0, 0.7, 2.5):
        exact = y * (2 * stats.norm.cdf(y) - 1) + 2 * stats.norm.pdf(y) - 1 / np.sqrt(np.pi)
        assert crps(x, np.array(y)) == pytest.approx(exact, abs=1e-3)


def test_crps_is_vectorised_over_forecasts() -> None:
    samples = np.array([[0.0, 1.0], [5.0, 5.0]])
    assert crps(samples, np.array([0.0, 3.0])).tolist() == pytest.approx([0.25, 2.0])


@pytest.mark.parametrize("level", [0.5, 0.8, 0.95])
def test_exact_intervals_cover_at_their_level(level: float) -> None:
    # observations drawn from the forecast's own distribution land inside at the nominal rate
    grid = (np.arange(2000) + 0.5) / 2000
    samples = np.tile(stats.norm.ppf(grid), (4000, 1))
    y = stats.norm.ppf((np.arange(4000) + 0.5) / 4000)
    assert covered(samples, y, level).mean() == pytest.approx(level, abs=0.005)


def test_mdape_ignores_zero_observations() -> None:
    assert mdape([110, 90, 5], [100, 100, 0]) == pytest.approx(10.0)
    assert np.isnan(mdape([1], [0]))


@pytest.mark.parametrize("n", [50, 200])
@pytest.mark.parametrize("level", [0.5, 0.8, 0.95])
def test_intervals_from_few_samples_cover_a_new_draw_at_their_level(n: int, level: float) -> None:
    # 20,000 forecasts of n samples each and one outcome, all from the same distribution: the
    # interval read at the plotting position p(n + 1) covers at the level (numpy's default
    # position gives 0.913 at 95% with 50 samples); 3 standard errors of 20,000 trials <= 0.011
    rng = np.random.default_rng(11)
    draws = rng.standard_normal((20_000, n + 1))
    assert covered(draws[:, :n], draws[:, n], level).mean() == pytest.approx(level, abs=0.011)


def test_pit_of_an_exchangeable_draw_is_uniform() -> None:
    """A new draw among 19 from the same law: each of the 20 ranks equally likely."""
    rng = np.random.default_rng(8)
    x = rng.lognormal(0.0, 1.5, (20_000, 20))
    u = np.array([pit(row[1:], row[0]) for row in x])
    counts = np.bincount(np.round(u * 20 - 0.5).astype(int), minlength=20)
    assert stats.chisquare(counts).pvalue > 0.001 and len(counts) == 20
    assert u.min() == pytest.approx(0.5 / 20) and u.max() == pytest.approx(19.5 / 20)


def test_pit_says_on_which_side_a_forecast_missed() -> None:
    x = np.arange(1.0, 100.0)
    assert pit(x, 0.0) < 0.01 and pit(x, 500.0) > 0.99  # too high; too low
    assert pit(np.full(9, 3.0), 3.0) == pytest.approx(0.5)  # all ties: the middle
