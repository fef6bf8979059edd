"""Rolling-origin backtest: fit on the history up to each origin, forecast, score what happened.

Each origin's fit sees only the days up to it. The forecast of the next `horizon` days is
scored against the days that followed, per metric (daily follows, unfollows, and the fan count)
by CRPS, coverage of the 50/80/95% central intervals and the median absolute percentage error
of the median; beside it, three naive baselines built from the same training days: the last
value, a linear trend over the last 28 days, and the same weekday last week. Baselines forecast
daily flows; their fan count is the last observed one plus their net follows, so all methods are
scored on the same footing (CRPS of a point forecast is its absolute error).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.errors import OptionError, Problem
from sim.experiments.executors import Executor
from sim.inference.data import History
from sim.inference.events import Event
from sim.inference.fit import diagnostics, fit
from sim.inference.forecast import Forecast, SavedPosterior, forecast
from sim.inference.priors import FitConfig
from sim.inference.scores import LEVELS, covered, crps, mdape

__all__ = ["BASELINES", "EVENT_BASELINES", "TREND_DAYS", "backtest", "baseline", "summary_rows"]

F64 = NDArray[np.float64]
TREND_DAYS = 28
EVENT_BASELINES = ("previous_event", "past_mean", "previous_per_fan")
"""Naive forecasts of a held-out event's figures (`sim.inference.event_backtest`)."""
BASELINES = ("last_value", "linear_trend", "same_weekday")
SCORED = ("follows", "unfollows", "fans")


def baseline(kind: str, past: F64, horizon: int) -> F64:
    """A naive point forecast of a daily series for the next `horizon` days."""
    if kind == "last_value":
        return np.full(horizon, past[-1], np.float64)
    if kind == "same_weekday":
        week = past[-7:] if len(past) >= 7 else np.full(7, past[-1])
        return np.asarray([week[h % 7] for h in range(horizon)], np.float64)
    recent = past[-TREND_DAYS:]
    if len(recent) < 2:
        return np.full(horizon, past[-1], np.float64)
    slope, intercept = np.polyfit(np.arange(len(recent)), recent, 1)
    ahead = np.arange(len(recent), len(recent) + horizon)
    return np.asarray(np.maximum(0.0, intercept + slope * ahead), np.float64)


def _point_forecasts(train: History, horizon: int) -> dict[str, dict[str, F64]]:
    out = {}
    for kind in BASELINES:
        follows = baseline(kind, train.new_follows.astype(np.float64), horizon)
        unfollows = baseline(kind, train.unfollows.astype(np.float64), horizon)
        fans = train.cumulative[-1] + np.cumsum(follows - unfollows)
        out[kind] = {"follows": follows, "unfollows": unfollows, "fans": fans}
    return out


def _actual(history: History, origin: int, horizon: int) -> dict[str, F64]:
    window = slice(origin + 1, origin + 1 + horizon)
    return {
        "follows": history.new_follows[window].astype(np.float64),
        "unfollows": history.unfollows[window].astype(np.float64),
        "fans": history.cumulative[window].astype(np.float64),
    }


def _origin_index(history: History, origin: dt.date, horizon: int) -> int:
    i = (origin - history.start).days
    if i < 14 or i + horizon > len(history.dates) - 1:
        last = history.end - dt.timedelta(days=horizon)
        first = history.start + dt.timedelta(days=14)
        rule = f"must leave 14 days before it and {horizon} after it ({first} to {last})"
        raise OptionError([Problem("--origins", rule, origin.isoformat(), True)])
    return i


def _model_rows(
    method: str, fc: Forecast, actual: dict[str, F64], origin: dt.date, horizon: int, flags: int
) -> list[dict[str, Any]]:
    rows = []
    for metric in SCORED:
        x = fc.samples[metric].T  # (days, samples)
        y = actual[metric]
        row: dict[str, Any] = {
            "origin": origin.isoformat(),
            "horizon": horizon,
            "metric": metric,
            "method": method,
            "crps": float(crps(x, y).mean()),
            "mdape": mdape(np.median(x, axis=1), y),
            "not_identified": flags,
        }
        row.update({f"cover{int(100 * lv)}": float(covered(x, y, lv).mean()) for lv in LEVELS})
        rows.append(row)
    return rows


def backtest(
    scenario_path: str,
    history: History,
    config: FitConfig,
    origins: Sequence[dt.date],
    horizon: int,
    seed: int,
    executor: Executor,
    replications: int = 1,
    draws: int = 100,
    progress: Callable[[int, int], None] | None = None,
    truth: Sequence[float] | None = None,
    events: Sequence[Event] = (),
) -> list[dict[str, Any]]:
    """Score rows: one per origin, metric and method (the model and each baseline).

    Each origin's fit sees the `events` that ended by the origin.

    `truth` (a synthetic account's true values of the free parameters, in `config`'s order)
    adds the method `truth`: forecasts made as the model's are, from those values instead of a
    posterior, the best any fit of this model could do, so what the data's noise allows.
    """
    index = [_origin_index(history, o, horizon) for o in origins]
    if progress is not None:
        progress(0, len(origins))  # the bar's clock starts now, not after the first origin
    rows: list[dict[str, Any]] = []
    for k, (origin, i) in enumerate(zip(origins, index, strict=True)):
        train = history.until(origin)
        past = [e for e in events if e.end <= origin]
        result = fit(scenario_path, config, train, seed, executor, past)
        last = int(train.cumulative[-1])
        saved = SavedPosterior(
            config.paths, result.posterior.values(), result.posterior.weights, seed, origin, last
        )
        fc = forecast(scenario_path, saved, horizon, replications, draws, executor)
        actual = _actual(history, i, horizon)
        flags = len(diagnostics(result)["warnings"])
        rows += _model_rows("model", fc, actual, origin, horizon, flags)
        if truth is not None:
            known = SavedPosterior(
                config.paths, np.asarray([truth], np.float64), np.ones(1), seed, origin, last
            )
            fc = forecast(scenario_path, known, horizon, replications, draws, executor)
            rows += _model_rows("truth", fc, actual, origin, horizon, 0)
        for kind, points in _point_forecasts(train, horizon).items():
            for metric in SCORED:
                p, y = points[metric], actual[metric]
                base: dict[str, Any] = {
                    "origin": origin.isoformat(),
                    "horizon": horizon,
                    "metric": metric,
                    "method": kind,
                    "crps": float(np.abs(p - y).mean()),
                    "mdape": mdape(p, y),
                    "not_identified": 0,
                }
                base.update({f"cover{int(100 * lv)}": math.nan for lv in LEVELS})
                rows.append(base)
        if progress is not None:
            progress(k + 1, len(origins))
    return rows


def _mean(values: Sequence[float]) -> float:
    """Mean of the defined values (an event figure of 0 has no percentage error); NaN if none."""
    defined = [v for v in values if not math.isnan(v)]
    return float(np.mean(defined)) if defined else math.nan


def _unit(row: dict[str, Any]) -> tuple[str, str | None]:
    """What a score row predicted: its origin, and the event for a held-out event's figure."""
    event = row.get("event")
    return row["origin"], event if isinstance(event, str) else None


def summary_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Means per metric and method, with the CRPS skill against the metric's best baseline.

    Means are over the origins (rolling) or the held-out events (event figures); `n` counts
    them per method. A baseline has no figure for an event no past event reported, so the
    skill compares CRPS means over the units every method scored (`n_compared`), never one
    method's mean over more events than another's.
    """
    out = []
    for metric in dict.fromkeys(r["metric"] for r in rows):
        present = {r["method"] for r in rows if r["metric"] == metric}
        methods = [m for m in ("model", "truth", *BASELINES, *EVENT_BASELINES) if m in present]
        mine = {m: [r for r in rows if r["metric"] == metric and r["method"] == m] for m in methods}
        common = set.intersection(*({_unit(r) for r in mine[m]} for m in methods))
        compared = {m: _mean([r["crps"] for r in mine[m] if _unit(r) in common]) for m in methods}
        naive = [compared[b] for b in (*BASELINES, *EVENT_BASELINES) if b in compared]
        best = min(naive, default=math.nan)
        for method in methods:
            means = {
                key: _mean([r[key] for r in mine[method]])
                for key in ("crps", "mdape", "cover50", "cover80", "cover95")
            }
            skill = 1 - compared[method] / best if best > 0 else math.nan  # NaN: no baseline
            out.append(
                {
                    "metric": metric,
                    "method": method,
                    "n": len(mine[method]),
                    **means,
                    "n_compared": len(common),
                    "crps_skill_vs_best_naive": skill,
                }
            )
    return out
