"""The ABC posterior against the exact one, where the likelihood of the daily counts is known.

The worked example's account (examples/synthetic_account) has no feedback, campaign or casual
fans, so its daily counts have a likelihood: unfollows on day t are Binomial(fans the day before,
u), and new follows Poisson(visitors x c_search x (1 - searched / pool) + referral exposure x
c_referrals x (1 - referred / pool)), the referral exposure being 0.05 x 0.3 x the fans after the
day's unfollows. Only the split of past follows between the two channels is latent (it sets how
much of each pool is used); its expectation stands in for it, an error far below a follow a day
with pools of 1-2 million. On a grid over the priors this gives the exact posterior, against which
the sampler's width is measured: too wide a posterior makes the fan count's forecast too wide
(docs/inference.md, backtest).
"""

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import stats

from sim.experiments.executors import ProcessExecutor
from sim.inference.backtest import SCORED, _actual, _model_rows, _origin_index
from sim.inference.data import History, read_history
from sim.inference.fit import fit
from sim.inference.forecast import SavedPosterior, forecast
from sim.inference.priors import load_fit_config
from sim.inference.scores import LEVELS
from sim.inference.smc import systematic

EXAMPLE = Path(__file__).parents[2] / "examples" / "synthetic_account"
VISITORS, SEARCH_POOL, REFERRAL_POOL, REFERRALS_PER_FAN = 20_000.0, 2e6, 1e6, 0.05 * 0.3
INITIAL = 20_000
F64 = NDArray[np.float64]


def follows_loglik(h: History, log_cs: F64, log_cr: F64) -> F64:
    """Log-likelihood of the daily new follows at each (c_search, c_referrals) of a grid."""
    cs, cr = np.exp(log_cs), np.exp(log_cr)
    searched, referred, out = np.zeros_like(cs), np.zeros_like(cs), np.zeros_like(cs)
    before = float(INITIAL)
    for t, y in enumerate(h.new_follows):
        search = VISITORS * cs * (1 - searched / SEARCH_POOL)
        word = REFERRALS_PER_FAN * (before - h.unfollows[t]) * cr * (1 - referred / REFERRAL_POOL)
        rate = search + word
        out += y * np.log(rate) - rate
        searched += y * search / rate
        referred += y * word / rate
        before = float(h.cumulative[t])
    return out


def exact_posterior(h: History, n: int = 301) -> tuple[F64, F64, F64, F64, F64]:
    """Grid posterior: (c_search, c_referrals, their weights), (u, its weights); flat priors in
    the priors' working spaces (log for the conversions), as examples/.../priors.toml has."""
    ls = np.linspace(np.log(0.001), np.log(0.05), n)
    lr = np.linspace(np.log(0.003), np.log(0.3), n)
    p = follows_loglik(h, *np.meshgrid(ls, lr, indexing="ij"))
    i, j = np.nonzero(p - p.max() > -20)  # zoom on where the mass is
    ls = np.linspace(ls[max(i.min() - 1, 0)], ls[min(i.max() + 1, n - 1)], n)
    lr = np.linspace(lr[max(j.min() - 1, 0)], lr[min(j.max() + 1, n - 1)], n)
    grid = np.meshgrid(ls, lr, indexing="ij")
    p = follows_loglik(h, *grid)
    w = np.exp(p - p.max()).ravel()
    u = np.linspace(0.0, 0.006, 6001)[1:]
    fans_before = np.concatenate([[INITIAL], h.cumulative[:-1]])
    lu = sum(stats.binom.logpmf(k, m, u) for k, m in zip(h.unfollows, fans_before, strict=True))
    wu = np.exp(lu - lu.max())
    return np.exp(grid[0]).ravel(), np.exp(grid[1]).ravel(), w / w.sum(), u, wu / wu.sum()


def weighted_sd(x: F64, w: F64) -> float:
    m = np.sum(w * x)
    return float(np.sqrt(max(np.sum(w * x**2) - m**2, 0.0)))


@pytest.mark.benchmark
def test_abc_posterior_is_about_as_wide_as_the_exact_one() -> None:
    """The backtest's first origin at its size (50 particles, 16 generations)."""
    origin = dt.date(2025, 7, 31)
    h = read_history(EXAMPLE / "export.csv").until(origin)
    cfg = dataclasses.replace(
        load_fit_config(EXAMPLE / "priors.toml"), particles=50, generations=16
    )
    with ProcessExecutor(2) as ex:
        post = fit(str(EXAMPLE / "scenario.toml"), cfg, h, 2025, ex).posterior
    fans = float(h.cumulative[-1])
    v, w = post.values(), post.weights
    cs, cr, wc, u, wu = exact_posterior(h)
    # what a forecast of the next days hangs on: the follow rate at the origin, and unfollows
    abc_rate = weighted_sd(VISITORS * v[:, 0] + REFERRALS_PER_FAN * fans * v[:, 1], w)
    exact_rate = weighted_sd(VISITORS * cs + REFERRALS_PER_FAN * fans * cr, wc)
    abc_unfollows = weighted_sd(fans * v[:, 2], w)
    exact_unfollows = weighted_sd(fans * u, wu)
    widths = {
        "follows a day": (abc_rate, exact_rate),
        "unfollows a day": (abc_unfollows, exact_unfollows),
    }
    print(widths)
    for abc, exact in widths.values():
        assert abc < 2.5 * exact, widths  # measured: 3.61 vs 1.71 and 0.95 vs 0.67


ORIGINS = tuple(dt.date(2025, m, d) for m, d in ((7, 31), (8, 31), (9, 30), (10, 31), (11, 30)))


@pytest.mark.benchmark
def test_the_exact_posterior_backtest() -> None:
    """The documented backtest's origins, forecast from the exact posterior (no sampler at all):
    what any fit of this model could score here. Its fan count's intervals over-cover as the
    sampler's do (docs/inference.md, backtest): on 5 origins of one account that figure is one
    draw, not the method's calibration (the SBC measures that)."""
    cfg = load_fit_config(EXAMPLE / "priors.toml")
    full = read_history(EXAMPLE / "export.csv")
    cover: dict[str, list[F64]] = {m: [] for m in SCORED}
    with ProcessExecutor(2) as ex:
        for origin in ORIGINS:
            h = full.until(origin)
            cs, cr, wc, u, wu = exact_posterior(h)
            n = 400  # joint draws (the conversions' grid and the unfollow rate's are independent),
            # of which the forecast resamples its 100
            i = systematic(wc, n, 0.5)
            j = np.random.default_rng(2025).permutation(systematic(wu, n, 0.5))
            draws = np.column_stack([cs[i], cr[i], u[j]])
            post = SavedPosterior(
                cfg.paths, draws, np.full(n, 1.0 / n), 2025, origin, int(h.cumulative[-1])
            )
            fc = forecast(str(EXAMPLE / "scenario.toml"), post, 28, 1, 100, ex)
            actual = _actual(full, _origin_index(full, origin, 28), 28)
            for row in _model_rows("exact", fc, actual, origin, 28, 0):
                cover[row["metric"]].append(
                    np.array([row[f"cover{int(100 * lv)}"] for lv in LEVELS])
                )
    means = {m: np.mean(c, axis=0).round(2).tolist() for m, c in cover.items()}
    print(means)
    # measured: follows 0.49 / 0.80 / 0.97, unfollows 0.44 / 0.79 / 0.92, fans 0.84 / 0.99 / 1.00;
    # 5 origins of 28 correlated days: the daily flows near nominal, the fan count far above
    for m in ("follows", "unfollows"):
        assert np.all(np.abs(np.array(means[m]) - LEVELS) <= 0.1), means
    # a documented fact about these origins, not a goal: this fails if the exact posterior's
    # fan-count intervals came within 5 points here, and docs/inference.md must then change
    assert means["fans"][0] > 0.55, means
