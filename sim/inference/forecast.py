"""Predictive distributions from a posterior: draws x replications.

Intervals so carry both the parameters' uncertainty and the simulation's own randomness.
Each of `draws` parameter sets (resampled from the posterior by weight) is simulated
`replications` times from the scenario's start to the horizon. Flows (follows, unfollows, net
per day) over the horizon are the simulations' own; the fan count is the last observed
cumulative plus the simulated net follows after it, so the forecast starts from where the
account actually is, not where a simulation happened to drift. When the whole model runs (a
scenario whose service side reaches the fans, or `whole=True`), the service is forecast too:
messages received per day, messages to humans, the backlog (most messages waiting for an agent
at once that day) and the service level (the share of the day's messages to agents answered
within the first-response target, of those whose outcome is known; undefined on a day when
none is, and left out of that day's quantiles).

With `per_event`, each campaign with a day after the data end is forecast too (participants,
shares, follows gained and net follows over its days after the data end,
`sim.inference.event_forecast`): the whole model then runs, and the simulation runs on until
every such campaign is counted whole, whatever the horizon.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.errors import OptionError, Problem
from sim.experiments.executors import Executor, run_ordered
from sim.inference.event_forecast import (
    EVENT_METRICS,
    EventForecast,
    campaigns_ahead,
    event_forecasts,
    events_end,
)
from sim.inference.event_stats import last_launch
from sim.inference.scores import predictive_quantile
from sim.inference.simulator import KEPT_DAYS, Simulator, simulate_job
from sim.inference.smc import systematic
from sim.model.rng import Streams
from sim.scenario import load_scenario

__all__ = [
    "EARLY_R",
    "EVENT_COLUMNS",
    "MESSAGE_METRICS",
    "METRICS",
    "QUANTILES",
    "SERVICE_METRICS",
    "Forecast",
    "SavedPosterior",
    "event_headlines",
    "event_rows",
    "forecast",
    "forecast_seed",
    "headlines",
    "load_posterior",
    "posterior_id",
    "predictive_jobs",
    "quantile_rows",
]

F64 = NDArray[np.float64]
METRICS = ("fans", "follows", "unfollows", "net_follows")
MESSAGE_METRICS = ("messages", "to_humans")
SERVICE_METRICS = ("backlog", "service_level")
QUANTILES = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)


@dataclass(frozen=True)
class SavedPosterior:
    """A fit's folder read back: the particles, their weights, and where the data ended."""

    paths: tuple[str, ...]
    values: F64
    weights: F64
    seed: int
    last_date: dt.date
    cumulative: int | None


def posterior_id(posterior: SavedPosterior) -> str:
    """A short digest of the particles, weights, seed and data end: which posterior a row used."""
    h = hashlib.sha256()
    h.update(json.dumps([posterior.paths, posterior.seed, str(posterior.last_date)]).encode())
    h.update(json.dumps(posterior.cumulative).encode())
    for a in (posterior.values, posterior.weights):
        h.update(np.ascontiguousarray(a, np.float64).tobytes())
    return h.hexdigest()[:12]


def load_posterior(folder: Path) -> SavedPosterior:
    """Read `posterior.parquet` and `diagnostics.json` written by `fansim fit`."""
    try:
        table = pd.read_parquet(folder / "posterior.parquet")
        diag = json.loads((folder / "diagnostics.json").read_text(encoding="utf-8"))
        data = diag["data"]
    except (OSError, ValueError, KeyError) as exc:
        rule = f"must be a folder written by `fansim fit` ({exc})"
        raise OptionError([Problem("--posterior", rule, str(folder), True)]) from None
    paths = tuple(c for c in table.columns if c not in ("weight", "distance"))
    return SavedPosterior(
        paths,
        table[list(paths)].to_numpy(np.float64),
        table["weight"].to_numpy(np.float64),
        int(diag["seed"]),
        dt.date.fromisoformat(data["last_date"]),
        data["cumulative_at_end"],
    )


@dataclass(frozen=True)
class Forecast:
    """Samples per metric over the horizon's days: `samples[metric]` is (samples, days)."""

    dates: tuple[dt.date, ...]
    samples: dict[str, F64]
    seed: int  # the seed the draws and replications are keyed by (`forecast_seed`)
    posterior: str  # `posterior_id` of the posterior drawn from
    # per sample, the service level over the whole horizon (NaN where no outcome is known)
    service_level: F64 | None = None
    # the campaigns with a day after the data end, when asked for (`per_event`)
    events: tuple[EventForecast, ...] = ()


def forecast_seed(posterior: SavedPosterior, seed: int | None) -> int:
    """The seed draws and replications are keyed by: `seed` if given, else the fit's."""
    return posterior.seed if seed is None else seed


def predictive_jobs(
    simulator: Simulator,
    posterior: SavedPosterior,
    draws: int,
    replications: int,
    purpose: str,
    seed: int | None = None,
) -> list[tuple[Simulator, tuple[float, ...], int]]:
    """Simulation jobs: `draws` parameter sets resampled by weight, `replications` seeds each.

    Draws and seeds come from streams keyed by `purpose`, so each use has its own, and by
    `seed` (`forecast_seed`: by default the fit's).
    """
    streams = Streams(forecast_seed(posterior, seed))
    u0 = streams.get("fit.draws", purpose).random()
    chosen = posterior.values[systematic(posterior.weights, draws, u0)]
    return [
        (
            simulator,
            tuple(map(float, v)),
            int(streams.sequence("fit.simulate", purpose, i, r).generate_state(1)[0]),
        )
        for i, v in enumerate(chosen)
        for r in range(replications)
    ]


def forecast(
    scenario_path: str,
    posterior: SavedPosterior,
    horizon: int,
    replications: int,
    draws: int,
    executor: Executor,
    whole: bool = False,
    per_event: bool = False,
    seed: int | None = None,
) -> Forecast:
    """Predictive samples for the `horizon` days after the posterior's data end.

    `whole` runs the whole model for every draw (slower), so messages are forecast as well.
    `per_event` forecasts the campaigns with a day after the data end; if there are any, the
    whole model runs and the runs reach their last day plus 14 (`events_end`). Draws and
    replications are keyed by `seed`, by default the fit's.
    """
    seed = forecast_seed(posterior, seed)
    base = load_scenario(scenario_path)
    end = posterior.last_date + dt.timedelta(days=horizon)
    end = max(end, last_launch(base) or end)  # campaigns stay within
    ahead = campaigns_ahead(base, posterior.last_date) if per_event else {}
    if ahead:
        whole = True
        end = max(end, events_end(ahead) or end)
    simulator = Simulator(scenario_path, posterior.paths, end=end, whole=whole)
    jobs = predictive_jobs(simulator, posterior, draws, replications, "forecast", seed)
    sims = run_ordered(executor, simulate_job, jobs)
    start = simulator.scenario(jobs[0][1]).scenario.start
    origin = (posterior.last_date - start).days
    window = slice(origin + 1, origin + 1 + horizon)
    follows = np.vstack([t.follows[window] for t in sims]).astype(np.float64)
    unfollows = np.vstack([t.unfollows[window] for t in sims]).astype(np.float64)
    net = follows - unfollows
    if posterior.cumulative is None:  # fitted to facts only: the simulated level
        fans = np.vstack([t.fans[window] for t in sims]).astype(np.float64)
    else:
        fans = posterior.cumulative + np.cumsum(net, axis=1)
    dates = tuple(posterior.last_date + dt.timedelta(days=d + 1) for d in range(horizon))
    samples = {"fans": fans, "follows": follows, "unfollows": unfollows, "net_follows": net}
    for metric in (*MESSAGE_METRICS, "backlog", "in_target", "target_known"):
        series = [getattr(t, metric) for t in sims]
        if all(x is not None for x in series):
            samples[metric] = np.vstack([x[window] for x in series]).astype(np.float64)
    level = None
    if "in_target" in samples:
        met, known = samples.pop("in_target"), samples.pop("target_known")
        samples["service_level"] = np.divide(
            met, known, out=np.full(met.shape, np.nan), where=known > 0
        )
        period = known.sum(axis=1)
        level = np.divide(
            met.sum(axis=1), period, out=np.full(period.shape, np.nan), where=period > 0
        )
    events = event_forecasts(ahead, sims, start, posterior.last_date)
    return Forecast(dates, samples, seed, posterior_id(posterior), level, events)


def _quantiles(x: F64) -> tuple[F64, F64]:
    """Per day (column): mean and `QUANTILES` of the defined (finite) samples; NaN if none."""
    mean = np.full(x.shape[1], np.nan)
    qs = np.full((len(QUANTILES), x.shape[1]), np.nan)
    for d in range(x.shape[1]):
        ok = x[np.isfinite(x[:, d]), d]
        if ok.size:
            mean[d], qs[:, d] = ok.mean(), predictive_quantile(ok, QUANTILES)
    return mean, qs


def _quantile_columns(mean: float, qs: F64) -> dict[str, Any]:
    return {"mean": mean, **{f"q{100 * q:g}": qs[k] for k, q in enumerate(QUANTILES)}}


def quantile_rows(fc: Forecast) -> list[dict[str, Any]]:
    """One row per date and metric: mean and the predictive quantiles, seed and posterior."""
    rows = []
    for metric in fc.samples:
        mean, qs = _quantiles(fc.samples[metric])
        for d, day in enumerate(fc.dates):
            row: dict[str, Any] = {"date": day.isoformat(), "metric": metric}
            row.update(_quantile_columns(mean[d], qs[:, d]))
            rows.append({**row, "seed": fc.seed, "posterior": fc.posterior})
    return rows


EVENT_COLUMNS = (
    "campaign",
    "type",
    "start",
    "end",
    "counted_from",
    "counted_to",
    "figure",
    "mean",
    *(f"q{100 * q:g}" for q in QUANTILES),
    "samples",
    "seed",
    "posterior",
)
"""events.csv's columns (the header alone when no campaign lies ahead)."""


EARLY_R = "early_r"
"""The figure name of a cascade's early R in `events.csv`: over the runs where it passed on."""


def event_rows(fc: Forecast) -> list[dict[str, Any]]:
    """One row per campaign ahead and figure (`EVENT_METRICS`): mean and predictive quantiles.

    A campaign with a cascade gets one more row, `EARLY_R`: its early R's mean and quantiles
    over the runs in which it passed something on (`samples` counts them), so that the
    tipping-point words of the report can be checked against numbers.
    """
    rows = []
    for e in fc.events:
        figures = {m: e.samples[m] for m in EVENT_METRICS}
        if e.effective_r is not None:
            figures[EARLY_R] = e.effective_r
        mean, qs = _quantiles(np.column_stack(list(figures.values())))
        days = {
            "start": e.start.isoformat(),
            "end": e.end.isoformat(),
            "counted_from": e.counted_from.isoformat(),
            "counted_to": e.counted_to.isoformat(),
        }
        for k, (m, x) in enumerate(figures.items()):
            rows.append(
                {
                    "campaign": e.campaign,
                    "type": e.type,
                    **days,
                    "figure": m,
                    **_quantile_columns(mean[k], qs[:, k]),
                    "samples": int(np.isfinite(x).sum()),
                    "seed": fc.seed,
                    "posterior": fc.posterior,
                }
            )
    return rows


def _interval(x: F64) -> tuple[str, bool]:
    """'80% interval lo to hi (median m)', and whether the upper tail is long (skewed right)."""
    lo, mid, hi = predictive_quantile(x, [0.1, 0.5, 0.9])
    long = bool(mid != 0 and hi - mid > 2 * max(mid - lo, 1e-9))
    return f"80% interval {lo:,.0f} to {hi:,.0f} (median {mid:,.0f})", long


LONG_TAIL = "the upper tail is long: large outcomes are plausible"
NEAR_CRITICAL = 0.8
"""A cascade whose median early R is at least this is said to sit near its tipping point: each
participant brings most of one more, so its size swings widely between runs (a branching
process at 0.9 reaches ten times its seeds on average, if its days let it)."""
TIPS_SHARE = 0.1
"""Below `NEAR_CRITICAL`, a cascade is still said to reach its tipping point when at least this
share of the runs had an early R of 1 or more: one plausible outcome in ten is explosive."""


def _tipping_point(r: F64 | None) -> str:
    """Words for a cascade near or past its tipping point, else ''.

    Said when the median early R is at least `NEAR_CRITICAL`, or when at least `TIPS_SHARE` of
    the runs passed 1 (parameter uncertainty can put a cascade on both sides); the share past 1
    is given whenever the runs fall on both sides. Runs whose cascade passed nothing on (NaN)
    are left out; with fewer than half the runs left, nothing is said.
    """
    if r is None or 2 * np.isfinite(r).sum() < r.size:
        return ""
    runs = r[np.isfinite(r)]
    lo, mid, hi = predictive_quantile(runs, [0.1, 0.5, 0.9])
    past = float(np.mean(runs >= 1.0))
    if mid < NEAR_CRITICAL and past < TIPS_SHARE:
        return ""
    if mid >= 1.0:
        where, so = "past its tipping point", "it grows until its pool or its days run out"
    elif mid >= NEAR_CRITICAL:
        where, so = "near its tipping point", "its size swings widely between runs"
    else:
        where = "below its tipping point in most simulations"
        so = "most runs stay small, but those past it grow until their pool or days run out"
    share = f"; past 1 in {min(max(past, 0.01), 0.99):.0%} of them" if 0 < past < 1 else ""
    return (
        f"; its cascade sits {where} (early R {lo:.2f} to {hi:.2f}, median {mid:.2f}, in the "
        f"simulations{share}), so {so}; the intervals are the runs' own"
    )


def headlines(fc: Forecast) -> list[str]:
    """A sentence per headline with its 80% interval; wide or skewed ones are said to be."""
    last = fc.dates[-1]
    figures = {
        f"fans on {last}": fc.samples["fans"][:, -1],
        f"new follows {fc.dates[0]} to {last}": fc.samples["follows"].sum(axis=1),
        f"unfollows {fc.dates[0]} to {last}": fc.samples["unfollows"].sum(axis=1),
        f"net follows {fc.dates[0]} to {last}": fc.samples["net_follows"].sum(axis=1),
    }
    if "messages" in fc.samples:
        figures[f"messages {fc.dates[0]} to {last}"] = fc.samples["messages"].sum(axis=1)
        figures[f"messages to humans {fc.dates[0]} to {last}"] = fc.samples["to_humans"].sum(axis=1)
    if "backlog" in fc.samples:
        figures[f"most messages waiting for an agent at once {fc.dates[0]} to {last}"] = fc.samples[
            "backlog"
        ].max(axis=1)
    out = []
    for what, x in figures.items():
        text, long = _interval(x)
        out.append(f"{what}: {text}" + (f"; {LONG_TAIL}." if long else "."))
    if fc.service_level is not None:
        level = fc.service_level[np.isfinite(fc.service_level)]
        what = (
            f"messages to agents answered within the first-response target {fc.dates[0]} to {last}"
        )
        if level.size:
            lo, mid, hi = 100 * predictive_quantile(level, [0.1, 0.5, 0.9])
            out.append(f"{what}: 80% interval {lo:.1f}% to {hi:.1f}% (median {mid:.1f}%).")
        else:
            out.append(f"{what}: none in any simulation (no message reaches an agent).")
    return out


def event_headlines(fc: Forecast) -> list[str]:
    """Per campaign ahead, a sentence: its participants' and net follows' 80% intervals.

    A long upper tail is said in words, and so is a cascade near or past its tipping point
    (`NEAR_CRITICAL`), whose skew a sample does not always show; the interval is the samples'
    own, never narrowed.
    """
    out = []
    net = f"net follows after {KEPT_DAYS} days"
    named = {"participants": "participants", EVENT_METRICS[-1]: net}
    for e in fc.events:
        parts, tails = [], []
        for figure, name in named.items():
            text, long = _interval(e.samples[figure])
            parts.append(f"{name} {text}")
            tails += [name] if long else []
        own = f"{e.start}" if e.start == e.end else f"{e.start} to {e.end}"
        counted = f"{e.counted_from} to {e.counted_to}"
        if e.counted_from == e.counted_to:
            counted = f"{e.counted_from}"
        ahead = ", only its days still ahead" if e.under_way else ""
        sentence = f"campaign {e.campaign} ({e.type}, {own}; counted {counted}{ahead}): "
        sentence += ", ".join(parts)
        if tails:
            sentence += f"; for {' and '.join(tails)} {LONG_TAIL}"
        sentence += _tipping_point(e.effective_r)
        out.append(sentence + ".")
    return out
