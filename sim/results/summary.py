"""From the run's tally to the summary and the hourly time series.

Definitions (also in docs/model.md):
- answered: picked up by an agent (the first human response) by the horizon;
- abandoned: not picked up before the fan's patience ran out (at or before the horizon);
- backlog: routed messages waiting at a time (arrived, not picked up, not abandoned);
- response time: arrival to pick-up, over answered messages; resolution: arrival to end of handling;
- SLA attainment: share met among messages whose outcome is known (answered, abandoned, or still
  waiting past the target); abandoned messages count as not met;
- utilisation: agent busy time / agent present time (present includes overtime to finish).

The model gathers these as it runs (`sim.model.tally`): counts are exact; the whole run's and
each class's percentiles come from 1-second histograms (within half a second of the exact
value); the hourly and daily percentiles are exact.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim import __version__
from sim.model.engine import ModelResult
from sim.model.histogram import SecondHistogram
from sim.results.assumptions import assumptions
from sim.results.campaign_tables import campaign_summary
from sim.results.channel_tables import channel_summary
from sim.results.costs import cost_summary
from sim.results.outcomes import dated_target, share
from sim.results.provenance import provenance
from sim.results.server_tables import server_summary
from sim.results.service_periods import hourly_counts, service_by_campaign, service_by_day
from sim.results.spread_tables import cascade_summary, push_summary

__all__ = ["daily_rows", "follower_summary", "hourly_rows", "summarize"]

F64 = NDArray[np.float64]


def _step_integral(times: F64, levels: F64, bounds: F64) -> F64:
    """Integral from 0 to each bound of the step function `levels[k]` from `times[k]`."""
    if times.size == 0:
        return np.zeros_like(bounds)
    widths = np.diff(times)
    area = np.concatenate([[0.0], np.cumsum(levels[:-1] * widths)])
    k = np.searchsorted(times, bounds, side="right") - 1
    inside = k >= 0
    out = np.zeros_like(bounds)
    kk = k[inside]
    out[inside] = area[kk] + levels[kk] * (bounds[inside] - times[kk])
    return out


def summarize(result: ModelResult) -> dict[str, Any]:
    """Whole-run figures; later model layers add keys, never rename them."""
    t, sc = result.tally, result.spec.scenario
    n = {key: int(v.sum()) for key, v in t.by_class.items()}
    horizon = np.asarray([t.horizon])
    busy_area = float(t.busy.sum())
    present_area = float(
        _step_integral(t.present_times, t.present_agents.astype(np.float64), horizon)[0]
    )
    by_class: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(result.class_names):
        by_class[name] = {
            "received": int(result.received[:, i].sum()),
            "failed_at_server": int(result.server_failed[:, i].sum()),
            "auto_replied": int(result.auto_replied[:, i].sum()),
            "to_humans": int(result.to_humans[:, i].sum()),
            "answered": int(t.by_class["answered"][i]),
            "abandoned": int(t.by_class["abandoned"][i]),
            "queued": int(t.by_class["queued"][i]),
            "response_p90_minutes": t.class_wait[i].quantile(0.9),
        }
    wait = SecondHistogram.merged(t.class_wait)
    answered = n["answered"]
    return {
        **provenance(result.spec),
        "version": __version__,
        "start": sc.scenario.start.isoformat(),
        "days": sc.scenario.days,
        "fans_mean": float(result.fans.mean()) if result.fans.size else 0.0,
        "messages_received": int(result.received.sum()),
        "messages_auto_replied": int(result.auto_replied.sum()),
        "messages_to_humans": int(result.to_humans.sum()),
        "messages_answered": answered,
        "messages_abandoned": n["abandoned"],
        "backlog_final": n["queued"],
        "backlog_max": t.waiting.peak(),
        "response_mean_minutes": t.wait_sum / answered if answered else float("nan"),
        "response_p50_minutes": wait.quantile(0.5),
        "response_p90_minutes": wait.quantile(0.9),
        "resolution_p50_minutes": t.resolution.quantile(0.5),
        "resolution_p90_minutes": t.resolution.quantile(0.9),
        "wait_mean_all_minutes": t.ended_sum / t.ended if t.ended else float("nan"),
        "sla_first_response_target_minutes": dated_target(result, "first_response"),
        "sla_first_response_met": share(n["first_met"], n["first_known"]),
        "sla_resolution_target_minutes": dated_target(result, "resolution"),
        "sla_resolution_met": share(n["res_met"], n["res_known"]),
        "agent_hours_rostered": result.schedule.agent_minutes(t.horizon) / 60.0,
        "agent_hours_present": present_area / 60.0,
        "agent_utilization": busy_area / present_area if present_area > 0 else float("nan"),
        "by_class": by_class,
        "service_by_campaign": service_by_campaign(result),
        "assumptions": assumptions(sc),
        "messages_failed_at_server": int(result.server_failed.sum()),
        **follower_summary(result),
        **server_summary(result),
        **cascade_summary(result),
        **campaign_summary(result),
        **push_summary(result),
        **channel_summary(result),
        **cost_summary(result),
    }


def follower_summary(result: ModelResult) -> dict[str, Any]:
    """Follower KPIs for the whole run (a fixed fan base reports no follows or unfollows)."""
    tr = result.followers
    initial = result.spec.scenario.fans.initial
    if tr is None:
        return {
            "fans_initial": initial,
            "fans_final": initial,
            "fans_by_source": {"initial": initial},
            "follows_total": 0,
            "follows_by_source": {},
            "unfollows_total": 0,
            "unfollows_after_unanswered": 0,
            "net_follows": 0,
            "service_quality_final": None,
        }
    follows = tr.follows.sum(axis=0)
    return {
        "fans_initial": initial,
        "fans_final": int(tr.fans[-1]),
        "fans_by_source": {s: int(n) for s, n in zip(tr.sources, tr.fans_by_source, strict=True)},
        "follows_total": int(follows.sum()),
        "follows_by_source": {
            s: int(n) for s, n in zip(tr.sources, follows, strict=True) if s != "initial"
        },
        "unfollows_total": int(tr.unfollows.sum()),
        "unfollows_after_unanswered": int(tr.unfollows_unanswered.sum()),
        "net_follows": int(follows.sum() - tr.unfollows.sum()),
        "service_quality_final": float(tr.quality[-1]),
    }


_DAILY_SUMS = (
    "messages_received",
    "messages_auto_replied",
    "messages_to_humans",
    "messages_failed_at_server",
    "messages_answered",
    "messages_abandoned",
)


def daily_rows(result: ModelResult, hourly: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per day: the WeChat dashboard's follower KPIs beside the day's service totals."""
    sc = result.spec.scenario
    tr = result.followers
    meta = provenance(result.spec)
    rows: list[dict[str, Any]] = []
    service = service_by_day(result)
    for d in range(sc.scenario.days):
        hours = hourly[24 * d : 24 * d + 24]
        row: dict[str, Any] = {
            **meta,
            "date": (sc.scenario.start + dt.timedelta(days=d)).isoformat(),
        }
        if tr is None:
            row |= {"fans": float(sc.fans.initial), "follows": 0, "unfollows": 0, "net_follows": 0}
        else:
            row["fans"] = int(tr.fans[d])
            for s, n in zip(tr.sources, tr.follows[d], strict=True):
                if s != "initial":
                    row[f"follows_{s}"] = int(n)
            follows = int(tr.follows[d].sum())
            row |= {
                "follows": follows,
                "unfollows": int(tr.unfollows[d]),
                "unfollows_after_unanswered": int(tr.unfollows_unanswered[d]),
                "net_follows": follows - int(tr.unfollows[d]),
                "service_quality": float(tr.quality[d]),
            }
        for key in _DAILY_SUMS:
            row[key] = sum(h[key] for h in hours)
        row["backlog_end"] = hours[-1]["backlog"]
        rows.append(row | service[d])
    return rows


def hourly_rows(result: ModelResult) -> list[dict[str, Any]]:
    """One row per simulated hour, each carrying scenario, seed, replication and params hash."""
    t, sc = result.tally, result.spec.scenario
    per_hour = round(60 / result.interval_minutes)
    hours = result.received.shape[0] // per_hour
    edges = np.arange(hours + 1, dtype=np.float64) * 60.0

    def by_hour(a: NDArray[np.int64]) -> NDArray[np.int64]:
        total = a.sum(axis=1)[: hours * per_hour].reshape(hours, per_hour)
        return np.asarray(total.sum(axis=1), np.int64)

    received, auto, human, failed = (
        by_hour(a)
        for a in (result.received, result.auto_replied, result.to_humans, result.server_failed)
    )
    busy = t.busy
    present = np.diff(_step_integral(t.present_times, t.present_agents.astype(np.float64), edges))
    backlog_end, backlog_max = t.waiting.hourly(hours)
    met_n, decided_n = t.by_arrival_hour["first_met"], t.by_arrival_hour["first_known"]
    counts = hourly_counts(result)
    meta = provenance(result.spec)
    start_dt = np.datetime64(sc.scenario.start.isoformat(), "m")
    rows: list[dict[str, Any]] = []
    for h in range(hours):
        rows.append(
            {
                **meta,
                "hour": str(start_dt + np.timedelta64(60 * h, "m")),
                "fans": float(result.fans[h * per_hour]),
                "messages_received": int(received[h]),
                "messages_auto_replied": int(auto[h]),
                "messages_to_humans": int(human[h]),
                "messages_failed_at_server": int(failed[h]),
                "messages_answered": int(t.answered_in_hour[h]),
                "messages_abandoned": int(t.abandoned_in_hour[h]),
                "backlog": int(backlog_end[h]),
                "backlog_max": int(backlog_max[h]),
                "response_p50_minutes": float(t.hour_response[h, 0]),
                "response_p90_minutes": float(t.hour_response[h, 1]),
                "sla_first_response_met": met_n[h] / decided_n[h] if decided_n[h] else float("nan"),
                "agents_present": float(present[h] / 60.0),
                "agent_utilization": float(busy[h] / present[h])
                if present[h] > 0
                else float("nan"),
                **{k: int(v[h]) for k, v in counts.items()},
            }
        )
    return rows
