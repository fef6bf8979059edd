"""Simulation-based calibration: a fast check in the suite, the full one as a benchmark.

The fast check fits 12 synthetic accounts (6 weeks of history, 2 free parameters, 30 particles,
3 generations): 24 truth-in-interval trials per level. Under calibration the 80% coverage has a
binomial standard error of sqrt(0.8 x 0.2 / 24) = 0.08, so the band [0.55, 1] is about 3 standard
errors below nominal; 50% coverage must lie in [0.2, 0.8] (3 SE of 0.10 either side), 95%
coverage at least 0.82 (3 SE of 0.044 below). The forecast of daily follows is held to bands as
wide for its 12 accounts (its 14 days per account are correlated, so the account is the trial):
50% in [0.15, 0.85], 80% at least 0.45. A method whose intervals are badly too narrow, or at 50%
too wide, fails it. Measured (seed 7): posterior 0.625 / 0.75 / 0.875, daily follows 0.54 / 0.82 /
0.95 (few accounts: over 100 the same configuration gave posterior 0.51 / 0.77 / 0.94).
"""

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.executors import ProcessExecutor, SerialExecutor
from sim.inference.priors import load_fit_config
from sim.inference.sbc import SbcSetup, coverage, rank_figure, run_sbc

from .conftest import ACCOUNT, PATHS, PRIORS

DOCS = Path(__file__).parents[2] / "docs"


def test_fast_sbc_covers_near_nominal_rates() -> None:
    setup = SbcSetup(str(ACCOUNT), load_fit_config(PRIORS), history_days=42, horizon=14)
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 12, seed=7, executor=ex)
    cov = coverage(results)["posterior"]  # (parameters, levels 50/80/95)
    pooled = cov.mean(axis=0)
    assert 0.2 <= pooled[0] <= 0.8
    assert 0.55 <= pooled[1] <= 1.0
    assert pooled[2] >= 0.82
    daily = coverage(results)["forecast"][0]
    assert 0.15 <= daily[0] <= 0.85
    assert daily[1] >= 0.45
    ranks = np.array([r.ranks for r in results])
    assert ranks.min() >= 0 and ranks.max() <= 99


def test_sbc_is_the_same_serially() -> None:
    cfg = dataclasses.replace(load_fit_config(PRIORS), particles=10, generations=2)
    setup = SbcSetup(str(ACCOUNT), cfg, history_days=21, horizon=7, forecast_draws=5)
    with SerialExecutor() as ex:
        a = run_sbc(setup, 2, seed=3, executor=ex)
    with ProcessExecutor(2) as ex:
        b = run_sbc(setup, 2, seed=3, executor=ex)
    assert [r.ranks.tolist() for r in a] == [r.ranks.tolist() for r in b]


@pytest.mark.benchmark
def test_full_sbc_100_accounts() -> None:
    """>= 100 accounts, reduced configuration (docs/inference.md); figures into docs/."""
    cfg = dataclasses.replace(load_fit_config(PRIORS), particles=50, generations=4)
    setup = SbcSetup(str(ACCOUNT), cfg, history_days=56, horizon=28)
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 100, seed=2026, executor=ex)
    cov = coverage(results)
    rank_figure(results, PATHS, DOCS / "inference-sbc-ranks.png")
    summary = {
        "accounts": len(results),
        "configuration": "tests/data/inference/account.toml, 56-day history, 28-day horizon, "
        "2 free parameters, 50 particles, 4 generations, 50 forecast draws",
        "posterior_coverage": {p: cov["posterior"][j].tolist() for j, p in enumerate(PATHS)},
        "forecast_coverage_daily_follows": cov["forecast"][0].tolist(),
        "forecast_coverage_fans_at_horizon": cov["forecast"][1].tolist(),
    }
    (DOCS / "inference-sbc.json").write_text(json.dumps(summary, indent=2) + "\n")
    pooled = cov["posterior"].mean(axis=0)
    se80 = math.sqrt(0.8 * 0.2 / (len(results) * len(PATHS)))
    assert abs(pooled[1] - 0.8) <= max(0.05, 2 * se80), summary
    assert abs(pooled[0] - 0.5) <= 0.05, summary


@pytest.mark.benchmark
def test_full_size_method_on_a_handful_of_accounts() -> None:
    """Beside the reduced SBC: the worked example's full size on 6 accounts from its priors.

    A year (337 days of history, 28 ahead), its 3 free parameters, 200 particles, 6 generations,
    100 forecast draws. Six accounts give 18 truth-in-interval trials: the check is coarse
    (80% coverage has a standard error of 0.09); its figures go into docs/inference-sbc-full.json.
    """
    example = Path(__file__).parents[2] / "examples" / "synthetic_account"
    cfg = dataclasses.replace(
        load_fit_config(example / "priors.toml"), particles=200, generations=6
    )
    setup = SbcSetup(
        str(example / "scenario.toml"), cfg, history_days=337, horizon=28, forecast_draws=100
    )
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 6, seed=2027, executor=ex)
    cov = coverage(results)
    summary = {
        "accounts": len(results),
        "configuration": "examples/synthetic_account (a year: 337-day history, 28-day horizon), "
        "3 free parameters, 200 particles, 6 generations, 100 forecast draws",
        "posterior_coverage": {p: cov["posterior"][j].tolist() for j, p in enumerate(cfg.paths)},
        "forecast_coverage_daily_follows": cov["forecast"][0].tolist(),
        "forecast_coverage_fans_at_horizon": cov["forecast"][1].tolist(),
        "ranks": {p: [int(r.ranks[j]) for r in results] for j, p in enumerate(cfg.paths)},
    }
    (DOCS / "inference-sbc-full.json").write_text(json.dumps(summary, indent=2) + "\n")
    pooled = cov["posterior"].mean(axis=0)
    assert 0.55 <= pooled[1] <= 1.0, summary  # about 3 standard errors below nominal
    assert 0.15 <= pooled[0] <= 0.85, summary
