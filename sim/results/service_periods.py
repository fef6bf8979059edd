"""Service levels over a period: each day, and each campaign's days and live hours.

The whole-run figures answer "how did the service do"; a planner asks "did the agents keep up
during the campaign". A period's figures are those of the messages routed to agents that
arrived within it: the share meeting the first-response and resolution targets (as in the
summary: abandoned messages count as missed, still-waiting ones once past the target), the
90th percentiles of response and resolution of those answered, the number abandoned and the
most messages waiting at any moment of the period.

A campaign's windows come from the timeline (so a campaign a phase adds counts from its date):
`days`, from midnight of its first day to midnight after its last, and `live`, its clock hours
on each of those days (the same window `campaigns_on` gives the model). Windows are clipped to
the simulated horizon; a campaign outside it has no entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.model.campaigns import campaigns_on
from sim.model.engine import ModelResult
from sim.model.human_queue import QueueRecords
from sim.results.backlog import Backlog
from sim.results.outcomes import message_targets, outcomes, quantile, sla_flags
from sim.units import DAY

__all__ = [
    "PeriodService",
    "Span",
    "campaign_spans",
    "hourly_counts",
    "service_by_campaign",
    "service_by_day",
]

F64 = NDArray[np.float64]
Bool = NDArray[np.bool_]
Span = tuple[float, float]  # [from, to) in minutes since the run's start


class PeriodService:
    """Per-message flags computed once, then any period's figures from them."""

    def __init__(self, result: ModelResult) -> None:
        q = result.queue
        self.queue = q
        wait = q.start - q.arrival
        resolution = wait + q.handle
        out = outcomes(q)
        self.answered = out["answered"]
        self.abandoned = out["abandoned"]
        self.wait = wait
        self.resolution = resolution
        self.first_met, self.first_known = sla_flags(
            q, wait, message_targets(result, "first_response")
        )
        self.res_met, self.res_known = sla_flags(
            q, resolution, message_targets(result, "resolution")
        )
        self.backlog = Backlog(q)

    def figures(self, spans: list[Span]) -> dict[str, Any]:
        """The service figures of the messages that arrived within `spans`.

        Records are in arrival order, so each span is a slice: the cost follows the messages
        in the period, not the run's (a year of days stays linear).
        """
        q = self.queue
        bounds = np.searchsorted(q.arrival, np.asarray(spans, np.float64).reshape(-1), "left")
        idx = np.concatenate(
            [np.arange(a, b) for a, b in bounds.reshape(-1, 2)] or [np.zeros(0, np.int64)]
        )
        routed = int(idx.size)
        abandoned = int(self.abandoned[idx].sum())
        answered = idx[self.answered[idx]]

        def share(met: Bool, known: Bool) -> float:
            n = int(known[idx].sum())
            return int(met[idx].sum()) / n if n else float("nan")

        return {
            "messages_to_agents": routed,
            "sla_first_response_met": share(self.first_met, self.first_known),
            "sla_resolution_met": share(self.res_met, self.res_known),
            "response_p90_minutes": quantile(self.wait[answered], 0.9),
            "resolution_p90_minutes": quantile(self.resolution[answered], 0.9),
            "messages_abandoned": abandoned,
            "abandoned_share": abandoned / routed if routed else float("nan"),
            "backlog_max": self.backlog.peak_within(spans),
        }


def _clock(start: dt.datetime, minutes: float) -> str:
    return (start + dt.timedelta(minutes=minutes)).isoformat(timespec="minutes")


def campaign_spans(result: ModelResult) -> dict[str, dict[str, list[Span]]]:
    """Each campaign's `days` and `live` spans (minutes since the start), within the horizon."""
    tl = result.spec.timeline
    horizon = result.queue.horizon
    start = dt.datetime.combine(tl.start, dt.time())
    out: dict[str, dict[str, list[Span]]] = {}
    for d in range(len(tl.days)):
        for name, c in campaigns_on(tl.on(d).campaigns, tl.date(d)).items():
            spans = out.setdefault(name, {"days": [], "live": []})
            spans["days"].append((d * DAY, min((d + 1) * DAY, horizon)))
            lo = (c.start - start).total_seconds() / 60.0
            hi = min((c.end - start).total_seconds() / 60.0, horizon)
            if hi > lo:
                spans["live"].append((lo, hi))
    for spans in out.values():  # consecutive days as one span
        merged: list[Span] = []
        for lo, hi in spans["days"]:
            if merged and merged[-1][1] == lo:
                merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        spans["days"] = merged
    return out


def service_by_campaign(
    result: ModelResult, periods: PeriodService | None = None
) -> dict[str, dict[str, Any]]:
    """`service_by_campaign` of summary.json: per campaign, its days' and live hours' figures."""
    periods = periods if periods is not None else PeriodService(result)
    start = dt.datetime.combine(result.spec.timeline.start, dt.time())
    out: dict[str, dict[str, Any]] = {}
    for name, spans in campaign_spans(result).items():
        entry: dict[str, Any] = {}
        for kind in ("days", "live"):
            s = spans[kind]
            if not s:
                continue
            entry[kind] = {
                "from": _clock(start, s[0][0]),
                "to": _clock(start, s[-1][1]),
                "hours": sum(hi - lo for lo, hi in s) / 60.0,
                **periods.figures(s),
            }
        out[name] = entry
    return out


def service_by_day(
    result: ModelResult, periods: PeriodService | None = None
) -> list[dict[str, Any]]:
    """One dict per simulated day: daily.csv's `service_*` columns."""
    periods = periods if periods is not None else PeriodService(result)
    horizon = result.queue.horizon
    rows = []
    for d in range(len(result.spec.timeline.days)):
        span = (d * DAY, min((d + 1) * DAY, horizon))
        rows.append({f"service_{k}": v for k, v in periods.figures([span]).items()})
    return rows


def hourly_counts(
    result: ModelResult, hours: int, periods: PeriodService | None = None
) -> dict[str, NDArray[np.int64]]:
    """Per hour of arrival: the counts a period's shares are sums of (timeseries.csv columns).

    `arrivals_to_agents` and `arrivals_abandoned` count the hour's arrivals (not the hour's
    abandonments, which `messages_abandoned` counts); `*_known` are the messages whose outcome
    against the target is known, `*_met_n` those that met it.
    """
    periods = periods if periods is not None else PeriodService(result)
    q: QueueRecords = periods.queue
    hour = np.minimum((q.arrival // 60).astype(np.int64), hours - 1)

    def count(mask: Bool) -> NDArray[np.int64]:
        return np.bincount(hour[mask], minlength=hours).astype(np.int64)

    every = np.ones(q.arrival.size, np.bool_)
    return {
        "arrivals_to_agents": count(every),
        "arrivals_abandoned": count(periods.abandoned),
        "sla_first_response_met_n": count(periods.first_met),
        "sla_first_response_known_n": count(periods.first_known),
        "sla_resolution_met_n": count(periods.res_met),
        "sla_resolution_known_n": count(periods.res_known),
    }
