"""Per-event forecasts: the campaigns still ahead at a forecast's origin, and their figures.

A campaign is ahead when any of its days falls after the origin (the posterior's last observed
date). Its days run from its first logged day (`first_day`: the warm-up's first, else the
launch) to its last (`last_day`): its end, or with a cascade the last day of the cascade its
end day's part starts (a multi-day campaign runs as one-day parts, each starting a cascade
followed for `max_days` days from that day's midnight, sim.model.launch), so end + max_days - 1.
Per sample, each figure is summed over those of its days after the origin, so a campaign under
way at the origin counts its remaining days only (what it did before is in the data the fit
saw). The figures are the fit's (`EVENT_FIGURES`: participants,
shares, follows gained) and `net_follows_14d`: the follows gained less those of these
followers who unfollowed within 14 days of following (the campaign tables' figure; the model
tags each campaign's followers, so their unfollows are its own, not the account's). The run
must reach each campaign's last day plus those 14 days (`events_end`); campaign figures need the
whole model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.inference.event_stats import EVENT_FIGURES, figure_total, first_day, scenario_campaigns
from sim.inference.simulator import KEPT_DAYS, Trajectory
from sim.scenario import Scenario
from sim.scenario.schema import CampaignSpec

__all__ = [
    "EVENT_METRICS",
    "EventForecast",
    "campaigns_ahead",
    "event_forecasts",
    "events_end",
    "last_day",
    "reported_as",
]

F64 = NDArray[np.float64]
EVENT_METRICS = (*EVENT_FIGURES, f"net_follows_{KEPT_DAYS}d")
"""The figures forecast per event, in the order of outputs."""


@dataclass(frozen=True)
class EventForecast:
    """One campaign ahead: its own dates, the days counted and, per figure, its samples.

    The counted days differ from the campaign's own: they start at its first logged day (a
    warm-up's first) or the day after the origin, and run on through its cascade's days.
    """

    campaign: str
    type: str
    start: dt.date  # the campaign's own start (launch) and end dates, as the scenario gives them
    end: dt.date
    counted_from: dt.date  # the campaign's first logged day, or the day after the origin
    counted_to: dt.date  # the campaign's last logged day (`last_day`)
    samples: dict[str, F64]  # per figure, one sample per simulation
    under_way: bool = False  # the origin fell after its first logged day: only days ahead count
    # per sample, the cascade's early R (`Trajectory.cascade_r`; None: the campaign has none)
    effective_r: F64 | None = None


def reported_as(metric: str) -> str:
    """The reported figure (`EVENT_FIGURES`) a forecast metric is counted from.

    Net follows are the follows gained less their early unfollows, so a campaign that can give
    no follows gained gives no net follows either.
    """
    return metric if metric in EVENT_FIGURES else "follows_gained"


def last_day(c: CampaignSpec) -> dt.date:
    """A campaign's last possible logged day: its end, or its end day's cascade's last day.

    That cascade is followed for `max_days` days counting its own (days end .. end+max_days-1).
    """
    return c.end.date() + dt.timedelta(days=c.cascade.max_days - 1 if c.cascade is not None else 0)


def campaigns_ahead(scenario: Scenario, origin: dt.date) -> dict[str, CampaignSpec]:
    """The campaigns with a day after `origin`, by first day (then name)."""
    ahead = {n: c for n, c in scenario_campaigns(scenario).items() if last_day(c) > origin}
    return dict(sorted(ahead.items(), key=lambda kv: (first_day(kv[1]), kv[0])))


def events_end(ahead: dict[str, CampaignSpec]) -> dt.date | None:
    """The last day a run must reach so that every campaign ahead is counted whole."""
    return max((last_day(c) + dt.timedelta(days=KEPT_DAYS) for c in ahead.values()), default=None)


def _totals(traj: Trajectory, name: str, origin: int, last: int) -> list[int]:
    """One run's figures (`EVENT_METRICS`) of campaign `name` over days origin+1..last."""
    last = max(last, origin)  # a campaign over by the origin counts no day
    daily = (traj.campaigns or {}).get(name)
    out = [figure_total(daily, f, last) - figure_total(daily, f, origin) for f in EVENT_FIGURES]
    left = (traj.campaign_left or {}).get(name)
    gone = 0 if left is None else int(left[origin + 1 : last + 1].sum())
    return [*out, out[EVENT_FIGURES.index("follows_gained")] - gone]


def event_forecasts(
    ahead: dict[str, CampaignSpec],
    sims: Sequence[Trajectory],
    start: dt.date,
    origin: dt.date,
) -> tuple[EventForecast, ...]:
    """Per campaign ahead, its figures' samples over its days after `origin` (runs from `start`)."""
    o = (origin - start).days
    out = []
    for name, c in ahead.items():
        last = last_day(c)
        x = np.asarray([_totals(t, name, o, (last - start).days) for t in sims], np.float64)
        samples = {m: x[:, k] for k, m in enumerate(EVENT_METRICS)}
        first = max(first_day(c), origin + dt.timedelta(days=1))
        own = c.start.date(), c.end.date()
        under_way = first > first_day(c)
        r = None
        if c.cascade is not None:
            r = np.asarray([(t.cascade_r or {}).get(name, np.nan) for t in sims], np.float64)
        out.append(EventForecast(name, c.type, *own, first, last, samples, under_way, r))
    return tuple(out)
