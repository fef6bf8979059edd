import numpy as np
import pytest

from sim.inference.adjust import (
    _emulated,
    _held_out_miss,
    _regressed,
    fit_projection,
    regression_adjust,
)
from sim.model.rng import Streams


def _linear_model(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = Streams(1).get("fit.propose", 0)
    z = rng.uniform(-3, 3, (n, 1))
    noise = 0.01 * rng.standard_normal((n, 4))
    stats = np.hstack([2 * z, -z, 0.5 * z + 1, np.zeros((n, 1))]) + noise
    return z, stats


def test_projection_recovers_the_parameter_from_linear_statistics() -> None:
    z, stats = _linear_model(400)
    proj = fit_projection(stats, z, np.ones(4))
    estimate = proj(stats)[:, 0] / proj.whiten[0, 0] + proj.z_mean[0]
    assert np.corrcoef(estimate, z[:, 0])[0, 1] > 0.999


def test_a_narrow_population_with_many_noisy_statistics_keeps_the_emulated_projection() -> None:
    # 60 statistics, 40 particles: regressing each parameter on every statistic misses
    # held-out particles more (by ~8% here) than the emulator's 3 coefficients per statistic
    rng = Streams(3).get("fit.propose", 0)
    b = rng.normal(0.0, 1.0, (2, 60))
    z = rng.normal(0.0, 0.1, (40, 2))
    proj = fit_projection(z @ b + rng.normal(0.0, 0.1, (40, 60)), z, np.ones(60))
    assert proj.kind == "emulated"
    fresh = rng.normal(0.0, 0.1, (200, 2))
    estimate = proj(fresh @ b + rng.normal(0.0, 0.1, (200, 60))) @ np.linalg.inv(proj.whiten)
    for j in range(2):
        assert np.corrcoef(estimate[:, j], fresh[:, j])[0, 1] > 0.95


def test_a_wide_population_whose_statistics_bend_keeps_the_regressed_projection() -> None:
    # few statistics, many particles, far from linear in the parameter: the direct regression
    # predicts the parameter better than inverting a straight-line emulator
    rng = Streams(3).get("fit.propose", 1)
    z = rng.uniform(-3.0, 3.0, (400, 1))
    stats = np.hstack([np.exp(z), np.exp(-z)]) + rng.normal(0.0, 0.05, (400, 2))
    assert fit_projection(stats, z, np.ones(2)).kind == "regressed"


def test_the_kept_projection_misses_held_out_particles_least() -> None:
    """The rule itself, on mixed cases (it catches a rule that keeps the worse one)."""
    rng = Streams(5).get("fit.propose", 0)
    for n, k, p in [(30, 1, 8), (100, 2, 20), (200, 3, 5)]:
        z = rng.normal(0.0, 1.0, (n, k))
        stats = np.tanh(z @ rng.normal(0.0, 1.0, (k, p))) + rng.normal(0.0, 0.3, (n, p))
        proj = fit_projection(stats, z, np.ones(p))
        x = stats - np.median(stats, axis=0)
        misses = {
            "regressed": _held_out_miss(_regressed, x, z, proj.whiten),
            "emulated": _held_out_miss(_emulated, x, z, proj.whiten),
        }
        assert misses[proj.kind] == min(misses.values())


def test_projected_statistics_are_whitened_by_the_particles_covariance() -> None:
    # two parameters on a thin ridge (they trade off): measured across it, the ridge's thin
    # direction counts as much as its long one
    rng = Streams(2).get("fit.propose", 0)
    a = rng.standard_normal(500)
    z = np.column_stack([a, -a + 0.05 * rng.standard_normal(500)])
    stats = np.hstack([z, z.sum(axis=1, keepdims=True)]) + 0.001 * rng.standard_normal((500, 3))
    projected = fit_projection(stats, z, stats.std(axis=0))(stats)  # scaled by their spread
    assert np.cov(projected, rowvar=False) == pytest.approx(np.eye(2), abs=0.05)


def test_adjustment_moves_particles_to_the_observed_statistics() -> None:
    z, stats = _linear_model(400)
    proj = fit_projection(stats, z, np.ones(4))
    goal = proj(np.array([2.0, -1.0, 1.5, 0.0]))  # statistics of z = 1
    d = proj.distance(stats, goal)
    epsilon = float(np.quantile(d, 0.2))
    inside = d <= epsilon
    w = np.full(inside.sum(), 1 / inside.sum())
    adjusted, weights = regression_adjust(
        z[inside], proj(stats[inside]), goal, w, d[inside], epsilon
    )
    assert weights.sum() == pytest.approx(1.0)
    assert z[inside].std() > 0.2  # accepted particles spread over the tolerance
    assert np.average(adjusted[:, 0], weights=weights) == pytest.approx(1.0, abs=0.01)
    assert adjusted[weights > 0].std() < 0.02  # ... and sit at the truth once adjusted


def test_no_tolerance_no_adjustment() -> None:
    z, stats = _linear_model(20)
    w = np.full(20, 0.05)
    adjusted, weights = regression_adjust(z, stats[:, :1], np.zeros(1), w, np.ones(20), np.inf)
    assert adjusted is z and weights is w


def _spread_and_miss(seed: int, n: int, rounds: int, unequal: bool) -> tuple[float, float]:
    """Mean weighted variance of adjusted particles, and mean squared miss of a fresh truth.

    z = 1 + 2 s1 - s2 + N(0, 1): at the data's statistics (s = 0) the truth is 1 + N(0, 1), so
    a calibrated adjustment's spread equals the truth's mean squared distance from its centre.
    """
    rng = Streams(seed).get("fit.propose", 0)
    variances, misses = [], []
    for _ in range(rounds):
        s = rng.standard_normal((n, 2))
        z = (1 + 2 * s[:, 0] - s[:, 1] + rng.standard_normal(n))[:, None]
        prior = rng.uniform(1, 5, n) if unequal else np.ones(n)
        distances = rng.uniform(0, 1.2, n) if unequal else np.zeros(n)
        adjusted, w = regression_adjust(z, s, np.zeros(2), prior / prior.sum(), distances, 1.0)
        centre = w @ adjusted[:, 0]
        variances.append(w @ (adjusted[:, 0] - centre) ** 2)
        misses.append((1 + rng.standard_normal() - centre) ** 2)
    return float(np.mean(variances)), float(np.mean(misses))


def test_adjusted_spread_is_the_truths_distance_on_few_particles() -> None:
    # 12 particles, all inside the kernel: fitted residuals would have variance (12 - 4) / 12
    # of the truth's; the modified ones have all of it, and the spread adds the centre's own
    # error, which the truth's miss carries (the straight fit without it gave 0.88 of the miss)
    spread, miss = _spread_and_miss(3, 12, 4000, unequal=False)
    assert spread > 1.1  # the residuals' sigma^2 = 1 and the centre's error on top
    assert spread / miss == pytest.approx(1.0, abs=0.07)


def test_under_unequal_weights_the_spread_is_the_truths_distance_too() -> None:
    # 30 particles, importance weights up to fivefold apart, some outside the kernel: the
    # weighted variance stays near the truth's mean squared miss (the straight fit without the
    # centre's error gave 0.94 of it)
    spread, miss = _spread_and_miss(4, 30, 3000, unequal=True)
    assert spread / miss == pytest.approx(1.0, abs=0.05)


def test_a_curved_relation_is_followed_to_the_data() -> None:
    # z = exp(s): a rate on its own scale against a log statistic. The particles' statistics sit
    # around the data's (s = 0) with spread 0.5; a straight line through them meets s = 0 about
    # exp(0.125) - 1 = 13% high, the square's fit within a few percent
    rng = Streams(5).get("fit.propose", 0)
    centres, straight = [], []
    for _ in range(200):
        s = rng.normal(0.0, 0.5, (60, 1))
        z = np.exp(s[:, 0] + rng.normal(0.0, 0.05, 60))[:, None]
        w = np.full(60, 1 / 60)
        adjusted, _ = regression_adjust(z, s, np.zeros(1), w, np.zeros(60), 1.0)
        centres.append(w @ adjusted[:, 0])
        x = np.column_stack([np.ones(60), s])
        straight.append(np.linalg.lstsq(x, z[:, 0], rcond=None)[0][0])
    assert np.mean(straight) > 1.09  # the straight line's bias this test is about
    assert np.mean(centres) == pytest.approx(1.0, abs=0.02)


def test_a_statistic_with_two_values_keeps_a_straight_fit() -> None:
    # d = -1 or 1 only: its square is the constant, and a fit with both would split the centre
    # between them; the straight fit finds it
    s = np.tile([[-1.0], [1.0]], (10, 1))
    z = (3.0 + 2.0 * s[:, 0] + np.linspace(-0.1, 0.1, 20))[:, None]
    adjusted, w = regression_adjust(z, s, np.zeros(1), np.full(20, 0.05), np.zeros(20), 1.0)
    assert w @ adjusted[:, 0] == pytest.approx(3.0, abs=0.01)


def test_too_few_particles_for_the_square_keep_a_straight_fit() -> None:
    # two statistics and four particles inside the kernel: the square's four coefficients would
    # pass through them all; the straight fit's three leave a residual to spread them by
    s = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [5.0, 5.0]])
    z = np.array([[1.0], [3.1], [0.1], [1.9], [0.0]])
    distances = np.array([0.0, 0.1, 0.2, 0.3, 2.0])  # the last outside the kernel
    adjusted, w = regression_adjust(z, s, np.zeros(2), np.full(5, 0.2), distances, 1.0)
    assert w[-1] == 0.0
    assert adjusted[w > 0, 0].std() > 0.01  # a perfect fit would leave them all at its centre


def test_a_particle_that_alone_sets_the_fit_stays_finite() -> None:
    # four particles on a line and one off it: that one has leverage 1 and no residual
    s = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [1.0, 1.0]])
    z = np.array([[0.1], [0.3], [0.2], [0.4], [0.9]])
    adjusted, _ = regression_adjust(z, s, np.zeros(2), np.full(5, 0.2), np.zeros(5), 1.0)
    assert np.all(np.isfinite(adjusted))
