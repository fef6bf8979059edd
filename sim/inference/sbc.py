"""Simulation-based calibration: does the fit's uncertainty mean what it says?

For each synthetic account: draw parameters from the priors, simulate a history and its future
with the model, fit the history, and record (a) the rank of each true value among posterior
draws and whether it lies in the 50/80/95% central posterior intervals, and (b) whether the
forecast's intervals cover the simulated future (daily follows and the fan count at the
horizon). If the method is calibrated, ranks are uniform and coverage is at the nominal rates
(Talts et al. 2018). Accounts run in parallel, each fit serially, so the result is the same on
any executor.

With `events`, the campaigns over by the history's end enter the fit as reported events (their
participants, shares and follows gained through their last logged day, each figure the campaign
can give), and each campaign ahead is forecast per event (`forecast(per_event=True)`) and its
figures scored against the synthetic account's own: so the per-event forecasts, the ones that
carry a cascade's heavy tail, are checked as the daily ones are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray

from sim.experiments.executors import Executor, SerialExecutor, run_ordered
from sim.inference.data import History
from sim.inference.event_forecast import (
    EVENT_METRICS,
    campaigns_ahead,
    event_forecasts,
    events_end,
    last_day,
    reported_as,
)
from sim.inference.event_stats import (
    EVENT_FIGURES,
    cannot_give,
    figure_total,
    first_day,
    scenario_campaigns,
)
from sim.inference.events import Event
from sim.inference.fit import fit
from sim.inference.forecast import EARLY_R, Forecast, SavedPosterior, forecast
from sim.inference.priors import FitConfig
from sim.inference.scores import LEVELS, covered, pit
from sim.inference.simulator import Simulator, Trajectory
from sim.model.rng import Streams
from sim.scenario import Scenario
from sim.scenario.schema import CampaignSpec

__all__ = [
    "RANK_DRAWS",
    "SbcAccount",
    "SbcSetup",
    "coverage",
    "rank_figure",
    "reported_events",
    "run_sbc",
]

F64 = NDArray[np.float64]
RANK_DRAWS = 99  # ranks 0..99: 100 equally likely values under calibration


@dataclass(frozen=True)
class SbcSetup:
    """The reduced configuration an SBC runs: scenario, priors, history length, horizon."""

    scenario_path: str
    config: FitConfig
    history_days: int
    horizon: int
    forecast_draws: int = 50
    events: bool = False  # past campaigns enter the fit; those ahead are forecast and scored


@dataclass(frozen=True)
class SbcAccount:
    """One synthetic account's outcome."""

    truth: F64  # (parameters,)
    ranks: NDArray[np.int64]  # (parameters,) in 0..RANK_DRAWS
    inside: F64  # (parameters, levels): 1.0 where the truth is in the central interval
    forecast_inside: F64  # (2, levels): daily follows (share of days), fans at the horizon
    # (campaign, figure, (levels,)) per campaign ahead and figure it can give, and its early R
    # (`EARLY_R`) where it has a cascade that passed on in the account's own run
    event_inside: tuple[tuple[str, str, F64], ...] = ()
    # (campaign, early R) per campaign ahead with a cascade, in the account's own run
    truth_r: tuple[tuple[str, float], ...] = ()
    # (campaign, figure, PIT) as `event_inside`: where the account's own figure fell (`pit`)
    event_pit: tuple[tuple[str, str, float], ...] = ()


def reported_events(scenario: Scenario, traj: Trajectory, origin: dt.date) -> list[Event]:
    """The campaigns over by `origin` as an account reports them: every figure they can give."""
    start = scenario.scenario.start
    platform = scenario.scenario.platform
    out = []
    ahead = campaigns_ahead(scenario, origin)
    over = {n: c for n, c in scenario_campaigns(scenario).items() if n not in ahead}
    for line, (name, c) in enumerate(sorted(over.items(), key=lambda kv: first_day(kv[1]))):
        daily = (traj.campaigns or {}).get(name)
        end = (last_day(c) - start).days
        counts: dict[str, int | None] = {
            f: figure_total(daily, f, end) if cannot_give(c, f) is None else None
            for f in EVENT_FIGURES
        }
        days = first_day(c), last_day(c)
        out.append(Event(line + 2, c.platform or platform, c.type, *days, counts, c.prize_value))
    return out


def _event_inside(
    ahead: dict[str, CampaignSpec], start: dt.date, origin: dt.date, fc: Forecast, traj: Trajectory
) -> tuple[tuple[str, str, F64, float], ...]:
    """Per campaign ahead and figure it can give: inside each level? where it falls (PIT)?

    A cascade's early R is scored too, over the forecast's runs in which it passed on.
    """
    actual = {e.campaign: e for e in event_forecasts(ahead, [traj], start, origin)}
    out = []
    for e in fc.events:
        own = actual[e.campaign]
        if (own.counted_from, own.counted_to) != (e.counted_from, e.counted_to):
            raise ValueError(f"{e.campaign}: the account and its forecast count different days")
        figures = [
            (m, e.samples[m], float(own.samples[m][0]))
            for m in EVENT_METRICS
            if cannot_give(ahead[e.campaign], reported_as(m)) is None
        ]
        mine = np.nan if own.effective_r is None else float(own.effective_r[0])
        if e.effective_r is not None and np.isfinite(mine):  # the account's cascade passed on
            runs = e.effective_r[np.isfinite(e.effective_r)]
            if not runs.size:  # none of the forecast's did: a miss above, not a skipped trial
                out.append((e.campaign, EARLY_R, np.zeros(len(LEVELS)), 1.0))
            else:
                figures.append((EARLY_R, runs, mine))
        for m, x, y in figures:
            inside = np.array([covered(x, y, lv) for lv in LEVELS], np.float64)
            out.append((e.campaign, m, inside, pit(x, y)))
    return tuple(out)


def _account(job: tuple[SbcSetup, int, int]) -> SbcAccount:
    setup, seed, index = job
    streams = Streams(seed)
    cfg = setup.config
    rng = streams.get("fit.draws", "sbc", index)
    truth = np.array([p.from_z(p.sample_z(rng, 1))[0] for p in cfg.priors])
    values = tuple(map(float, truth))
    scenario = Simulator(setup.scenario_path, cfg.paths).scenario(values)
    start = scenario.scenario.start
    end = start + dt.timedelta(days=setup.history_days + setup.horizon - 1)
    origin = start + dt.timedelta(days=setup.history_days - 1)
    ahead = campaigns_ahead(scenario, origin) if setup.events else {}
    # the account's own run reaches every campaign ahead's last counted day
    end = max(end, events_end(ahead) or end)
    sim_seed = int(streams.sequence("fit.simulate", "sbc", index).generate_state(1)[0])
    # with events the whole model runs, as for the fit and the forecast: campaigns need it
    truth_run = Simulator(setup.scenario_path, cfg.paths, end=end, whole=setup.events)
    traj = truth_run.simulate(values, sim_seed)
    n = setup.history_days
    dates = tuple(start + dt.timedelta(days=d) for d in range(n))
    history = History(
        f"sbc-{index}", dates, traj.follows[:n], traj.unfollows[:n], traj.net[:n], traj.fans[:n]
    )
    events = reported_events(scenario, traj, origin) if setup.events else []
    with SerialExecutor() as ex:
        result = fit(setup.scenario_path, cfg, history, seed + index, ex, events)
        post = result.posterior
        draws = post.draws(RANK_DRAWS, "sbc")
        ranks = (draws < truth[None, :]).sum(axis=0).astype(np.int64)
        inside = np.vstack(
            [covered(post.draws(1000, "sbc-intervals").T, truth, lv) for lv in LEVELS]
        ).T
        saved = SavedPosterior(
            cfg.paths,
            post.values(),
            post.weights,
            seed + index,
            dates[-1],
            int(traj.fans[n - 1]),
        )
        fc = forecast(
            setup.scenario_path,
            saved,
            setup.horizon,
            1,
            setup.forecast_draws,
            ex,
            per_event=setup.events,
        )
    future = slice(n, n + setup.horizon)
    last = n + setup.horizon - 1
    daily = [covered(fc.samples["follows"].T, traj.follows[future], lv).mean() for lv in LEVELS]
    level = [covered(fc.samples["fans"][:, -1], np.array(traj.fans[last]), lv) for lv in LEVELS]
    by_event = _event_inside(ahead, start, origin, fc, traj) if setup.events else ()
    own_r = tuple((c, r) for c, r in sorted((traj.cascade_r or {}).items()) if c in ahead)
    return SbcAccount(
        truth=truth,
        ranks=ranks,
        inside=inside,
        forecast_inside=np.array([daily, level], np.float64),
        event_inside=tuple((c, m, x) for c, m, x, _ in by_event),
        truth_r=own_r,
        event_pit=tuple((c, m, u) for c, m, _, u in by_event),
    )


def run_sbc(
    setup: SbcSetup,
    accounts: int,
    seed: int,
    executor: Executor,
    progress: Callable[[int, int], None] | None = None,
) -> list[SbcAccount]:
    """Fit `accounts` synthetic accounts drawn from the priors."""
    jobs = [(setup, seed, i) for i in range(accounts)]
    return run_ordered(executor, _account, jobs, progress)


def coverage(results: list[SbcAccount]) -> dict[str, F64]:
    """Shares inside the 50/80/95% intervals: per parameter, of the forecasts, per event figure.

    `event_<figure>` pools every campaign ahead that can give the figure, over all accounts;
    `event_<campaign>_<figure>` is one campaign's. A cascade's `early_r` comes last: it is
    scored only where the account's own cascade passed something on, so over fewer trials.
    """
    out = {
        "posterior": np.mean([r.inside for r in results], axis=0),  # (parameters, levels)
        "forecast": np.mean([r.forecast_inside for r in results], axis=0),  # (2, levels)
    }
    pooled: dict[str, list[F64]] = {}
    own: dict[tuple[str, str], list[F64]] = {}
    for r in results:
        for campaign, figure, x in r.event_inside:
            pooled.setdefault(figure, []).append(x)
            own.setdefault((campaign, figure), []).append(x)
    # in EVENT_METRICS' order (early R last), then by campaign: earlier keys keep their order
    order = (*EVENT_METRICS, EARLY_R)
    for m in (m for m in order if m in pooled):
        out[f"event_{m}"] = np.mean(pooled[m], axis=0)  # (levels,)
    for campaign, m in sorted(own, key=lambda k: (k[0], order.index(k[1]))):
        out[f"event_{campaign}_{m}"] = np.mean(own[(campaign, m)], axis=0)
    return out


def rank_figure(
    results: list[SbcAccount], paths: tuple[str, ...], out: Path, bins: int = 10
) -> None:
    """Rank histograms per parameter with the 99% band of a uniform histogram."""
    ranks = np.array([r.ranks for r in results])
    n = len(results)
    fig = Figure(figsize=(4 * len(paths), 3))
    FigureCanvasAgg(fig)
    axes = np.atleast_1d(fig.subplots(1, len(paths)))
    expected = n / bins
    sd = np.sqrt(n * (1 / bins) * (1 - 1 / bins))
    for j, (ax, path) in enumerate(zip(axes, paths, strict=True)):
        counts, edges = np.histogram(ranks[:, j], bins=bins, range=(0, RANK_DRAWS + 1))
        ax.bar(edges[:-1], counts, width=edges[1] - edges[0], align="edge", color="C0")
        ax.axhspan(max(0.0, expected - 2.58 * sd), expected + 2.58 * sd, color="grey", alpha=0.25)
        ax.set_title(path, fontsize=8)
        ax.set_xlabel(f"rank of the truth among {RANK_DRAWS} draws")
    fig.suptitle(f"SBC rank histograms, {n} synthetic accounts (grey: 99% band if uniform)")
    fig.tight_layout()
    fig.savefig(out, dpi=100, metadata={"Software": None})
