"""Service levels over a period: each day, and each campaign's days and live hours.

The whole-run figures answer "how did the service do"; a planner asks "did the agents keep up
during the campaign". A period's figures are those of the messages routed to agents that
arrived within it: the share meeting the first-response and resolution targets (as in the
summary: abandoned messages count as missed, still-waiting ones once past the target), the
90th percentiles of response and resolution of those answered, the number abandoned and the
most messages waiting at any moment of the period.

The periods (`sim.model.spans`) are tallied as the model runs (`sim.model.tally`): a day's
percentiles are exact; a campaign period's come from 1-second histograms, within half a second.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.model.engine import ModelResult
from sim.model.tally import PeriodTally
from sim.results.outcomes import share
from sim.units import DAY

__all__ = ["hourly_counts", "service_by_campaign", "service_by_day"]


def _figures(
    counts: dict[str, int], response_p90: float, resolution_p90: float, backlog_max: int
) -> dict[str, Any]:
    routed, abandoned = counts["routed"], counts["abandoned"]
    return {
        "messages_to_agents": routed,
        "sla_first_response_met": share(counts["first_met"], counts["first_known"]),
        "sla_resolution_met": share(counts["res_met"], counts["res_known"]),
        "response_p90_minutes": response_p90,
        "resolution_p90_minutes": resolution_p90,
        "messages_abandoned": abandoned,
        "abandoned_share": abandoned / routed if routed else float("nan"),
        "backlog_max": backlog_max,
    }


def _clock(start: dt.datetime, minutes: float) -> str:
    return (start + dt.timedelta(minutes=minutes)).isoformat(timespec="minutes")


def _period(result: ModelResult, p: PeriodTally) -> dict[str, Any]:
    return _figures(
        p.counts,
        p.wait.quantile(0.9),
        p.resolution.quantile(0.9),
        result.tally.waiting.peak_within(p.spans),
    )


def service_by_campaign(result: ModelResult) -> dict[str, dict[str, Any]]:
    """`service_by_campaign` of summary.json: per campaign, its days' and live hours' figures."""
    start = dt.datetime.combine(result.spec.timeline.start, dt.time())
    out: dict[str, dict[str, Any]] = {}
    for name, kinds in result.tally.campaigns.items():
        entry: dict[str, Any] = {}
        for kind in ("days", "live"):
            p = kinds.get(kind)
            if p is None:
                continue
            s = p.spans
            entry[kind] = {
                "from": _clock(start, s[0][0]),
                "to": _clock(start, s[-1][1]),
                "hours": sum(hi - lo for lo, hi in s) / 60.0,
                **_period(result, p),
            }
        out[name] = entry
    return out


def service_by_day(result: ModelResult) -> list[dict[str, Any]]:
    """One dict per simulated day: daily.csv's `service_*` columns."""
    t = result.tally
    rows = []
    for d in range(t.days):
        hours = slice(24 * d, 24 * d + 24)
        counts = {k: int(v[hours].sum()) for k, v in t.by_arrival_hour.items()}
        span = (d * DAY, min((d + 1) * DAY, t.horizon))
        figures = _figures(
            counts, float(t.day_p90[d, 0]), float(t.day_p90[d, 1]), t.waiting.peak_within([span])
        )
        rows.append({f"service_{k}": v for k, v in figures.items()})
    return rows


def hourly_counts(result: ModelResult) -> dict[str, NDArray[np.int64]]:
    """Per hour of arrival: the counts a period's shares are sums of (timeseries.csv columns).

    `arrivals_to_agents` and `arrivals_abandoned` count the hour's arrivals (not the hour's
    abandonments, which `messages_abandoned` counts); `*_known` are the messages whose outcome
    against the target is known, `*_met_n` those that met it.
    """
    by_hour = result.tally.by_arrival_hour
    return {
        "arrivals_to_agents": by_hour["routed"],
        "arrivals_abandoned": by_hour["abandoned"],
        "sla_first_response_met_n": by_hour["first_met"],
        "sla_first_response_known_n": by_hour["first_known"],
        "sla_resolution_met_n": by_hour["res_met"],
        "sla_resolution_known_n": by_hour["res_known"],
    }
