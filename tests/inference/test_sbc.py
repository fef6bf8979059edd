"""Simulation-based calibration: a fast check in the suite, the full one as a benchmark.

The fast check fits 12 synthetic accounts (6 weeks of history, 2 free parameters, 30 particles,
3 generations): 24 truth-in-interval trials per level. Under calibration the 80% coverage has a
binomial standard error of sqrt(0.8 x 0.2 / 24) = 0.08, so the band [0.55, 1] is about 3 standard
errors below nominal; 50% coverage must lie in [0.2, 0.8] (3 SE of 0.10 either side), 95%
coverage at least 0.82 (3 SE of 0.044 below). The forecast of daily follows is held to bands as
wide for its 12 accounts (its 14 days per account are correlated, so the account is the trial):
50% in [0.15, 0.85], 80% at least 0.45. A method whose intervals are badly too narrow, or at 50%
too wide, fails it. Measured (seed 7): posterior 0.625 / 0.79 / 0.875, daily follows 0.52 / 0.82 /
0.95 (few accounts: the benchmark below, 100 of them, is the check with power).
"""

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.experiments.executors import ProcessExecutor, SerialExecutor
from sim.inference.event_stats import EVENT_FIGURES, event_targets
from sim.inference.priors import DEFAULT_GENERATIONS, DEFAULT_PARTICLES, load_fit_config
from sim.inference.sbc import SbcAccount, SbcSetup, coverage, rank_figure, reported_events, run_sbc
from sim.inference.simulator import Simulator
from sim.scenario import load_scenario

from .conftest import ACCOUNT, DATA, PATHS, PRIORS, START

AHEAD = DATA / "campaigns_ahead.toml"
CAMPAIGN_PRIORS = DATA / "campaign_priors.toml"
CASCADE_PRIORS = DATA / "cascade_priors.toml"

DOCS = Path(__file__).parents[2] / "docs"
EXAMPLES = Path(__file__).parents[2] / "examples"


def _summary(results: list[SbcAccount], paths: tuple[str, ...], setup: str) -> dict[str, Any]:
    """The figures every SBC benchmark writes first: accounts, setup, posterior, daily follows."""
    cov = coverage(results)
    return {
        "accounts": len(results),
        "configuration": setup,
        "posterior_coverage": {p: cov["posterior"][j].tolist() for j, p in enumerate(paths)},
        "forecast_coverage_daily_follows": cov["forecast"][0].tolist(),
    }


def _events_summary(
    results: list[SbcAccount], setup: SbcSetup, account: str, out: Path
) -> dict[str, Any]:
    """An events SBC's figures (posterior, forecasts, event figures, ranks), written to `out`."""
    cfg, cov = setup.config, coverage(results)
    summary = _summary(
        results,
        cfg.paths,
        f"{account}, {len(cfg.paths)} free parameters, {cfg.particles} particles, "
        f"{cfg.generations} generations, {setup.forecast_draws} forecast draws",
    )
    summary["forecast_coverage_fans_at_horizon"] = cov["forecast"][1].tolist()
    summary["event_forecast_coverage"] = {
        k[6:]: v.tolist() for k, v in cov.items() if k.startswith("event_")
    }
    summary["ranks"] = _ranks(results, cfg.paths)
    out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _ranks(results: list[SbcAccount], paths: tuple[str, ...]) -> dict[str, list[int]]:
    """Each parameter's rank of the truth, account by account (the JSON keeps them)."""
    return {p: [int(r.ranks[j]) for r in results] for j, p in enumerate(paths)}


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
        } | {("draw_feb", "shares"), ("draw_feb", "early_r")}
        ((name, early),) = r.truth_r  # the account's own cascade ahead (the quiz has none)
        assert name == "draw_feb" and 0 < early < 3
        # where each figure fell: inside the 80% interval (of 20 draws, ends between the 2nd and
        # 3rd, 18th and 19th) only with 2 to 18 draws below it, else in a tail
        assert [(c, m) for c, m, _ in r.event_pit] == [(c, m) for c, m, _ in r.event_inside]
        for (_, m, u), (_, _, inside) in zip(r.event_pit, r.event_inside, strict=True):
            if m == "early_r":  # over the runs that passed on: maybe fewer than 20
                continue
            tail = u < 3.5 / 21 or u > 17.5 / 21
            assert 0 < u < 1 and (tail if inside[1] == 0 else 1.5 / 21 <= u <= 19.5 / 21)
    cov = coverage(results)
    assert set(cov) >= {f"event_{m}" for m in ("participants", "shares", "net_follows_14d")}
    assert cov["event_shares"].shape == (3,)
    assert "event_quiz_feb_shares" not in cov and "event_draw_feb_shares" in cov
    assert "event_draw_feb_early_r" in cov and "event_quiz_feb_early_r" not in cov
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
    summary = _summary(
        results,
        PATHS,
        "tests/data/inference/account.toml, 56-day history, 28-day horizon, "
        "2 free parameters, 50 particles, 4 generations, 50 forecast draws",
    )
    summary["forecast_coverage_fans_at_horizon"] = cov["forecast"][1].tolist()
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
    example = EXAMPLES / "synthetic_account"
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
    summary = _summary(
        results,
        cfg.paths,
        "examples/synthetic_account (a year: 337-day history, 28-day horizon), "
        f"3 free parameters, {cfg.particles} particles, {cfg.generations} generations, "
        "100 forecast draws",
    )
    summary["forecast_coverage_fans_at_horizon"] = cov["forecast"][1].tolist()
    summary["ranks"] = _ranks(results, cfg.paths)
    (DOCS / "inference-sbc-full.json").write_text(json.dumps(summary, indent=2) + "\n")
    pooled = cov["posterior"].mean(axis=0)
    assert 0.55 <= pooled[1] <= 1.0, summary  # about 3 standard errors below nominal
    assert 0.15 <= pooled[0] <= 0.85, summary


def _events_ahead(
    setup: SbcSetup, seed: int, figure: str
) -> tuple[list[SbcAccount], dict[str, list[float]]]:
    """100 accounts of an events SBC, their rank figure, and each event figure's coverage."""
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 100, seed=seed, executor=ex)
    rank_figure(results, setup.config.paths, DOCS / figure)
    cov = coverage(results)
    return results, {k[6:]: v.tolist() for k, v in cov.items() if k.startswith("event_")}


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
    results, events = _events_ahead(setup, 2028, "inference-sbc-events-ranks.png")
    summary = _summary(
        results,
        cfg.paths,
        "tests/data/inference/campaigns_ahead.toml, 40-day history holding one "
        "past draw, a quiz and a near-critical draw ahead, 2 free parameters (search conversion, "
        f"take-up), {cfg.particles} particles, {cfg.generations} generations, "
        f"{setup.forecast_draws} forecast draws",
    )
    summary["event_forecast_coverage"] = events
    summary["ranks"] = _ranks(results, cfg.paths)
    (DOCS / "inference-sbc-events.json").write_text(json.dumps(summary, indent=2) + "\n")
    # each campaign's own figures, 100 trials each: about 3 binomial standard errors (pooling
    # the quiz with the draw could hide the heavy-tailed one)
    _own_bands(results, events)


def _misses(results: list[SbcAccount], campaign: str) -> dict[str, dict[str, float]]:
    """Per figure of `campaign`, the shares of PITs under 0.1 and over 0.9.

    About the misses of the 80% interval below it (the forecast too high) and above it (too
    low): the interval's ends are interpolated between samples, so the two can differ by one.
    """
    pits: dict[str, list[float]] = {}
    for r in results:
        for c, m, u in r.event_pit:
            if c == campaign:
                pits.setdefault(m, []).append(u)
    return {
        m: {"below": float(np.mean(np.less(u, 0.1))), "above": float(np.mean(np.greater(u, 0.9)))}
        for m, u in pits.items()
    }


def _trials(results: list[SbcAccount]) -> dict[str, int]:
    """Trials per `<campaign>_<figure>`: an early R only where the account's cascade passed on."""
    counts: dict[str, int] = {}
    for r in results:
        for c, m, _ in r.event_inside:
            counts[f"{c}_{m}"] = counts.get(f"{c}_{m}", 0) + 1
    return counts


def _own_bands(results: list[SbcAccount], events: dict[str, list[float]]) -> None:
    """`_bands` for each campaign's own figures (not the pooled ones), over their own trials."""
    trials = _trials(results)
    _bands({k: v for k, v in events.items() if k in trials}, trials, "event")


def _bands(figures: dict[str, Any], trials: dict[str, int] | int, where: str) -> None:
    """50/80/95% coverage within 3 binomial standard errors of nominal for its trials."""
    for key, (c50, c80, c95) in figures.items():
        n = trials if isinstance(trials, int) else trials[key]
        assert abs(c50 - 0.5) <= 3 * math.sqrt(0.25 / n), (where, key, n, figures)
        assert abs(c80 - 0.8) <= 3 * math.sqrt(0.16 / n), (where, key, n, figures)
        assert c95 >= 0.95 - 3 * math.sqrt(0.0475 / n), (where, key, n, figures)


@pytest.mark.benchmark
def test_cascade_sbc_100_accounts() -> None:
    """The prizes' lift on sharing fitted too: the draw ahead straddles its tipping point.

    As the events SBC, with `response.share_lift` free (uniform 0-3): the past draw's shares
    inform it, and it sets the draw ahead anywhere from well below its tipping point to past it
    (millions of participants). Figures into docs/inference-sbc-cascade.json, with the draw's
    coverage split by where the account's own cascade stood (its early R below or above 1).
    """
    cfg = load_fit_config(CASCADE_PRIORS)
    setup = SbcSetup(str(AHEAD), cfg, history_days=40, horizon=5, events=True)
    results, events = _events_ahead(setup, 2029, "inference-sbc-cascade-ranks.png")
    early_r = [dict(r.truth_r).get("draw_feb", math.nan) for r in results]
    past = [r for r, x in zip(results, early_r, strict=True) if x >= 1]
    below = [r for r, x in zip(results, early_r, strict=True) if x < 1]
    draw = [f"event_draw_feb_{m}" for m in ("participants", "shares", "follows_gained")]
    summary = _summary(
        results,
        cfg.paths,
        "tests/data/inference/campaigns_ahead.toml, 40-day history holding one "
        "past draw, a quiz and a near-critical draw ahead, 3 free parameters (search conversion, "
        f"take-up, share lift), {cfg.particles} particles, {cfg.generations} generations, "
        f"{setup.forecast_draws} forecast draws",
    )
    summary["event_forecast_coverage"] = events
    summary["draw_feb_early_r"] = {
        "quantiles_10_50_90": np.nanquantile(early_r, [0.1, 0.5, 0.9]).round(3).tolist(),
        "accounts_past_tipping_point": len(past),
        "accounts_whose_cascade_passed_nothing_on": int(np.isnan(early_r).sum()),
    }
    for side, part in (("past", past), ("below", below)):
        if part:
            side_cov = coverage(part)
            summary[f"draw_feb_coverage_{side}_tipping_point"] = {
                k[6:]: side_cov[k].tolist() for k in draw
            }
    summary["draw_feb_misses_of_80_percent"] = _misses(results, "draw_feb")
    summary["ranks"] = _ranks(results, cfg.paths)
    (DOCS / "inference-sbc-cascade.json").write_text(json.dumps(summary, indent=2) + "\n")
    _bands(summary["posterior_coverage"], len(results), "posterior")
    _own_bands(results, events)


@pytest.mark.benchmark
def test_event_sbc_on_a_half_year_account() -> None:
    """Campaigns on a longer account: examples/synthetic_events from its own priors and sizes.

    130 days of history (to 2025-05-10) holding four past campaigns (two draws, two quizzes)
    that enter the fit, three free parameters (search conversion, unfollow rate, take-up) at the
    example's sizes (30 particles, 4 generations), 50 forecast draws; a draw and a quiz ahead.
    40 accounts: a coverage has a standard error of 0.063 at 80%, so the bands are about 3 of
    them, for the forecasts and the posterior alike (the posterior leaned here, the unfollow
    rate and take-up high, until the adjustment took the square: docs/inference.md). Figures
    into docs/inference-sbc-half-year.json.
    """
    example = EXAMPLES / "synthetic_events"
    cfg = load_fit_config(example / "priors.toml")
    setup = SbcSetup(str(example / "scenario.toml"), cfg, 130, 28, events=True)
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 40, seed=2030, executor=ex)
    rank_figure(results, cfg.paths, DOCS / "inference-sbc-half-year-ranks.png")
    summary = _events_summary(
        results,
        setup,
        "examples/synthetic_events (130-day history holding 4 past campaigns, a draw and a quiz "
        "ahead, 28-day horizon)",
        DOCS / "inference-sbc-half-year.json",
    )
    forecasts = {
        "daily follows": summary["forecast_coverage_daily_follows"],
        "fans at the horizon": summary["forecast_coverage_fans_at_horizon"],
        **summary["event_forecast_coverage"],
    }
    trials = {**dict.fromkeys(forecasts, len(results)), **_trials(results)}
    _bands(forecasts, trials, "forecast")
    _bands(summary["posterior_coverage"], len(results), "posterior")


@pytest.mark.benchmark
def test_event_method_at_full_size_on_a_year_long_account() -> None:
    """Beside the reduced events SBCs: the default sizes on a handful of year-long accounts.

    tests/data/inference/events_year.toml (the events example over a year, twelve campaigns):
    307 days of history (to 2025-11-03) holding ten past campaigns, a draw and a quiz ahead,
    28-day horizon, the example's 3 free parameters at the default sizes (100 particles, 10
    generations), 50 forecast draws. Four accounts give 12 truth-in-interval trials (80%
    coverage's standard error 0.12): a coarse check, with bands of 3 standard errors; its figures
    go into docs/inference-sbc-events-year.json.
    """
    cfg = dataclasses.replace(
        load_fit_config(EXAMPLES / "synthetic_events" / "priors.toml"),
        particles=DEFAULT_PARTICLES,
        generations=DEFAULT_GENERATIONS,
    )
    setup = SbcSetup(str(DATA / "events_year.toml"), cfg, 307, 28, events=True)
    with ProcessExecutor(2) as ex:
        results = run_sbc(setup, 4, seed=2031, executor=ex)
    _events_summary(
        results,
        setup,
        "tests/data/inference/events_year.toml (307-day history holding 10 past campaigns, a "
        "draw and a quiz ahead, 28-day horizon)",
        DOCS / "inference-sbc-events-year.json",
    )
    pooled = coverage(results)["posterior"].mean(axis=0)
    _bands({"pooled posterior": pooled.tolist()}, len(results) * len(cfg.paths), "posterior")
