"""Events held out: fit on the history and the campaigns before each one, predict its figures.

For each event after the first `first` (by start date), the fit sees the history up to its
origin, the day before the event or its matched campaign started (whichever is first: a row
dated after the launch, or a warm-up, must not let the campaign's own follows into the fit), and
the events that ended by the origin; posterior draws x
replications then simulate the scenario through the event's end, and the matched campaign's
participants, shares and follows gained (counted as in the fit, `sim.inference.event_stats`)
are scored against what the row reports: CRPS, coverage of the 50/80/95% central intervals and
the absolute percentage error of the median (`mdape` of one figure). Two naive baselines from
the same past events: the previous event's figure, the mean of the past events' (each of the
same type when there is one, else of any type), and the previous event's figure per fan times
the fans at the origin (the account's growth, from the history before the origin); a baseline
with no past figure is left out.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.errors import OptionError, Problem
from sim.experiments.executors import Executor, run_ordered
from sim.inference.backtest import EVENT_BASELINES
from sim.inference.data import History
from sim.inference.event_stats import (
    EventTarget,
    event_targets,
    figure_total,
    first_day,
    last_launch,
    match_events,
    scenario_campaigns,
)
from sim.inference.events import Event
from sim.inference.fit import diagnostics, fit
from sim.inference.forecast import SavedPosterior, predictive_jobs
from sim.inference.priors import FitConfig
from sim.inference.scores import LEVELS, covered, crps, mdape
from sim.inference.simulator import Simulator, simulate_job
from sim.scenario import load_scenario

__all__ = ["MIN_HISTORY_DAYS", "event_backtest", "held_out", "metric_name"]

F64 = NDArray[np.float64]
MIN_HISTORY_DAYS = 14
"""Days of history a held-out event's fit needs before the event starts (as the origins do)."""


def metric_name(figure: str) -> str:
    """The metric column of an event figure in backtest.csv (`event_participants`, ...)."""
    return f"event_{figure}"


def held_out(events: Sequence[Event], first: int) -> list[Event]:
    """The events that are predicted: all after the first `first` by start (then by line)."""
    ordered = sorted(events, key=lambda e: (e.start, e.line))
    if first >= len(ordered):
        rule = f"must be less than the number of events ({len(ordered)}), to leave one to predict"
        raise OptionError([Problem("--first-events", rule, first, True)])
    return ordered[first:]


def predict_figures(
    scenario_path: str,
    posterior: SavedPosterior,
    targets: Sequence[EventTarget],
    draws: int,
    replications: int,
    executor: Executor,
    purpose: str,
) -> F64:
    """Predictive samples (targets, draws x replications) of each figure, the whole model run."""
    base = load_scenario(scenario_path)
    start = base.scenario.start
    end = start + dt.timedelta(days=max(t.last_day for t in targets))
    end = max(end, last_launch(base) or end)
    simulator = Simulator(scenario_path, posterior.paths, end=end, whole=True)
    jobs = predictive_jobs(simulator, posterior, draws, replications, purpose)
    sims = run_ordered(executor, simulate_job, jobs)
    out = np.zeros((len(targets), len(sims)))
    for j, traj in enumerate(sims):
        runs = traj.campaigns or {}
        for i, t in enumerate(targets):
            out[i, j] = figure_total(runs.get(t.campaign), t.figure, t.last_day)
    return out


def _past_reports(past: Sequence[Event], event: Event, figure: str) -> list[Event]:
    """Past events (by end) giving the figure, of the same type when any has it, else any type."""
    given = [
        e for e in sorted(past, key=lambda e: (e.end, e.line)) if e.counts.get(figure) is not None
    ]
    same = [e for e in given if e.type.lower() == event.type.lower()]
    return same or given


def _fans_before(history: History | None, day: dt.date) -> int | None:
    """Fans at the end of the day before `day`, if the history holds that day."""
    if history is None:
        return None
    i = (day - history.start).days - 1
    return int(history.cumulative[i]) if 0 <= i < len(history.dates) else None


def _baseline_points(
    reports: Sequence[Event], figure: str, history: History | None, origin: dt.date
) -> dict[str, float]:
    """Each naive baseline's figure (`previous_per_fan` only when the history has both days).

    `previous_per_fan` scales the previous event's figure by the fans at the origin over the
    fans the day before it started: account growth, from data before the origin only.
    """
    figures = [float(e.counts[figure] or 0) for e in reports]
    points = {"previous_event": figures[-1], "past_mean": float(np.mean(figures))}
    then = _fans_before(history, reports[-1].start)
    now = _fans_before(history, origin + dt.timedelta(days=1))
    if then and now is not None:
        points["previous_per_fan"] = figures[-1] * now / then
    return points


def _row(t: EventTarget, method: str, flags: int) -> dict[str, Any]:
    e = t.event
    return {
        "origin": e.start.isoformat(),
        "horizon": (e.end - e.start).days + 1,
        "metric": metric_name(t.figure),
        "method": method,
        "event": t.label,
        "not_identified": flags,
    }


def _scored(t: EventTarget, method: str, samples: F64, flags: int) -> dict[str, Any]:
    y = np.asarray([t.value], np.float64)
    row = _row(t, method, flags)
    row["crps"] = float(crps(samples[None, :], y)[0])
    row["mdape"] = mdape(np.median(samples, keepdims=True), y)
    row.update(
        {f"cover{int(100 * lv)}": float(covered(samples[None, :], y, lv)[0]) for lv in LEVELS}
    )
    return row


def _baseline_rows(
    t: EventTarget, past: Sequence[Event], history: History | None, origin: dt.date
) -> list[dict[str, Any]]:
    reports = _past_reports(past, t.event, t.figure)
    if not reports:
        return []
    points = _baseline_points(reports, t.figure, history, origin)
    y = np.asarray([t.value], np.float64)
    rows = []
    for method in (m for m in EVENT_BASELINES if m in points):
        p = np.asarray([points[method]])
        row = _row(t, method, 0)
        row["crps"] = float(np.abs(p - y)[0])
        row["mdape"] = mdape(p, y)
        row.update({f"cover{int(100 * lv)}": math.nan for lv in LEVELS})
        rows.append(row)
    return rows


def _training(history: History | None, event: Event, origin: dt.date) -> History | None:
    if history is None:
        return None
    if (origin - history.start).days < MIN_HISTORY_DAYS - 1:
        rule = (
            f"the event at line {event.line} is held out from {origin + dt.timedelta(days=1)} "
            "(its start, or its campaign's first day if earlier); the history must give "
            f"{MIN_HISTORY_DAYS} days before that (it starts on {history.start}), or hold the "
            "event in with --first-events"
        )
        raise OptionError([Problem("--hold-out-events", rule)], event.source or "--events")
    return history.until(origin)


def event_backtest(
    scenario_path: str,
    history: History | None,
    events: Sequence[Event],
    config: FitConfig,
    first: int,
    seed: int,
    executor: Executor,
    replications: int = 1,
    draws: int = 100,
    progress: Callable[[int, int], None] | None = None,
    truth: Sequence[float] | None = None,
) -> list[dict[str, Any]]:
    """Score rows: one per held-out event, reported figure and method (model, truth, baselines).

    Inputs are checked before any fit: every event matched to a campaign, and each held-out
    event with its history (a bad one fails in a second, not after the first fits).
    """
    base = load_scenario(scenario_path)
    start = base.scenario.start
    event_targets(base, events, start)  # every row matches a campaign that can give its figures
    campaigns = scenario_campaigns(base)
    matched = dict(zip((e.line for e in events), match_events(base, events), strict=True))
    predicted = held_out(events, first)
    origins = [
        min(e.start, first_day(campaigns[matched[e.line]])) - dt.timedelta(days=1)
        for e in predicted
    ]
    training = [_training(history, e, o) for e, o in zip(predicted, origins, strict=True)]
    if progress is not None:
        progress(0, len(predicted))
    rows: list[dict[str, Any]] = []
    for k, (event, last, train) in enumerate(zip(predicted, origins, training, strict=True)):
        targets = event_targets(base, [event], start)
        past = [e for e in events if e.end <= last]
        if targets:
            result = fit(scenario_path, config, train, seed, executor, past)
            cumulative = None if train is None else int(train.cumulative[-1])
            post = result.posterior
            saved = SavedPosterior(
                config.paths, post.values(), post.weights, seed, last, cumulative
            )
            flags = len(diagnostics(result)["warnings"])
            purpose = f"event line {event.line}"
            x = predict_figures(
                scenario_path, saved, targets, draws, replications, executor, purpose
            )
            rows += [_scored(t, "model", x[i], flags) for i, t in enumerate(targets)]
            if truth is not None:
                known = SavedPosterior(
                    config.paths, np.asarray([truth], np.float64), np.ones(1), seed, last, None
                )
                x = predict_figures(
                    scenario_path, known, targets, draws, replications, executor, purpose
                )
                rows += [_scored(t, "truth", x[i], 0) for i, t in enumerate(targets)]
            for t in targets:
                rows += _baseline_rows(t, past, train, last)
        if progress is not None:
            progress(k + 1, len(predicted))
    return rows
