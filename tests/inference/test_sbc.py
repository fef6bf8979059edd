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
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.experiments.executors import ProcessExecutor, SerialExecutor
from sim.inference.event_stats import EVENT_FIGURES, event_targets
from sim.inference.priors import DEFAULT_GENERATIONS, DEFAULT_PARTICLES, load_fit_config
from sim.inference.sbc import SbcSetup, coverage, rank_figure, reported_events, run_sbc
from sim.inference.simulator import Simulator
from sim.scenario import load_scenario

from .conftest import ACCOUNT, DATA, PATHS, PRIORS, START

AHEAD = DATA / "campaigns_ahead.toml"
CAMPAIGN_PRIORS = DATA / "campaign_priors.toml"

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


def test_past_campaigns_are_reported_as_an_account_would() -> None:
    """Each campaign over by the origin gives its totals through its last day; none it cannot."""
    values = (0.01, 0.2)
    paths = load_fit_config(CAMPAIGN_PRIORS).paths
    traj = Simulator(str(AHEAD), paths).simulate(values, 5)
    scenario = Simulator(str(AHEAD), paths).scenario(values)
    events = reported_events(scenario, traj, dt.date(2025, 2, 11))
    assert [(e.type, e.start, e.end) for e in events] == [
        ("repost_lottery", dt.date(2025, 1, 15), dt.date(2025, 1, 18)),  # 2 days + the cascade's
        ("live_quiz", dt.date(2025, 2, 10), dt.date(2025, 2, 10)),
    ]
    assert traj.campaigns is not None
    draw = traj.campaigns["draw_jan"][: (dt.date(2025, 1, 18) - START).days + 1].sum(axis=0)
    assert [events[0].counts[f] for f in EVENT_FIGURES] == draw.tolist()
    assert events[1].counts["shares"] is None  # a quiz has no cascade
    targets = event_targets(scenario, events, START)  # the fit takes them as they are
    assert [(t.campaign, t.figure) for t in targets] == [
        ("draw_jan", "participants"),
        ("draw_jan", "shares"),
        ("draw_jan", "follows_gained"),
        ("quiz_feb", "participants"),
        ("quiz_feb", "follows_gained"),
    ]
    assert all(e.platform == load_scenario(AHEAD).scenario.platform for e in events)


def test_event_sbc_scores_every_figure_of_the_campaigns_ahead() -> None:
    """The past draw enters the fit; the quiz and the near-critical draw ahead are scored."""
    cfg = dataclasses.replace(load_fit_config(CAMPAIGN_PRIORS), particles=12, generations=2)
    setup = SbcSetup(str(AHEAD), cfg, history_days=40, horizon=5, forecast_draws=20, events=True)
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 2, seed=11, executor=ex)
    for r in results:  # the quiz gives no shares; the draw_feb every figure
        scored = {(c, figure) for c, figure, _ in r.event_inside}
        assert scored == {
            (c, figure)
            for c in ("quiz_feb", "draw_feb")
            for figure in ("participants", "follows_gained", "net_follows_14d")
        } | {("draw_feb", "shares")}
    cov = coverage(results)
    assert set(cov) >= {f"event_{m}" for m in ("participants", "shares", "net_follows_14d")}
    assert cov["event_shares"].shape == (3,)
    assert "event_quiz_feb_shares" not in cov and "event_draw_feb_shares" in cov
    with SerialExecutor() as ex:  # the same figures serially: the account is the unit of work
        again = run_sbc(setup, 1, seed=11, executor=ex)
    assert [x.tolist() for _, _, x in again[0].event_inside] == [
        x.tolist() for _, _, x in results[0].event_inside
    ]


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

    A year (337 days of history, 28 ahead), its 3 free parameters, the default sizes (100
    particles, 10 generations), 100 forecast draws. Six accounts give 18 truth-in-interval
    trials: the check is coarse (80% coverage has a standard error of 0.09); its figures go
    into docs/inference-sbc-full.json.
    """
    example = Path(__file__).parents[2] / "examples" / "synthetic_account"
    cfg = dataclasses.replace(
        load_fit_config(example / "priors.toml"),
        particles=DEFAULT_PARTICLES,
        generations=DEFAULT_GENERATIONS,
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
        f"3 free parameters, {cfg.particles} particles, {cfg.generations} generations, "
        "100 forecast draws",
        "posterior_coverage": {p: cov["posterior"][j].tolist() for j, p in enumerate(cfg.paths)},
        "forecast_coverage_daily_follows": cov["forecast"][0].tolist(),
        "forecast_coverage_fans_at_horizon": cov["forecast"][1].tolist(),
        "ranks": {p: [int(r.ranks[j]) for r in results] for j, p in enumerate(cfg.paths)},
    }
    (DOCS / "inference-sbc-full.json").write_text(json.dumps(summary, indent=2) + "\n")
    pooled = cov["posterior"].mean(axis=0)
    assert 0.55 <= pooled[1] <= 1.0, summary  # about 3 standard errors below nominal
    assert 0.15 <= pooled[0] <= 0.85, summary


@pytest.mark.benchmark
def test_event_sbc_100_accounts() -> None:
    """Per-event forecasts over 100 accounts: a quiz and a near-critical cascade ahead.

    Each account: 40 days of history holding one past draw (its figures enter the fit), search
    conversion and take-up free (50 particles, 4 generations), 50 forecast draws; figures into
    docs/inference-sbc-events.json: each figure pooled over the campaigns ahead that can give
    it, and each campaign's own.
    """
    cfg = load_fit_config(CAMPAIGN_PRIORS)
    setup = SbcSetup(str(AHEAD), cfg, history_days=40, horizon=5, events=True)
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 100, seed=2028, executor=ex)
    cov = coverage(results)
    rank_figure(results, cfg.paths, DOCS / "inference-sbc-events-ranks.png")
    events = {k[6:]: v.tolist() for k, v in cov.items() if k.startswith("event_")}
    summary = {
        "accounts": len(results),
        "configuration": "tests/data/inference/campaigns_ahead.toml, 40-day history holding one "
        "past draw, a quiz and a near-critical draw ahead, 2 free parameters (search conversion, "
        f"take-up), {cfg.particles} particles, {cfg.generations} generations, "
        f"{setup.forecast_draws} forecast draws",
        "posterior_coverage": {p: cov["posterior"][j].tolist() for j, p in enumerate(cfg.paths)},
        "forecast_coverage_daily_follows": cov["forecast"][0].tolist(),
        "event_forecast_coverage": events,
        "ranks": {p: [int(r.ranks[j]) for r in results] for j, p in enumerate(cfg.paths)},
    }
    (DOCS / "inference-sbc-events.json").write_text(json.dumps(summary, indent=2) + "\n")
    # each campaign's own figures, 100 trials each: about 3 binomial standard errors (pooling
    # the quiz with the draw could hide the heavy-tailed one)
    for key in (k for k in events if k.startswith(("quiz_feb_", "draw_feb_"))):
        c50, c80, c95 = events[key]
        assert 0.35 <= c50 <= 0.65, (key, summary)
        assert 0.68 <= c80 <= 0.92, (key, summary)
        assert c95 >= 0.885, (key, summary)
