"""The answers fans really get: passive replies and the customer-service API, per message.

A back end may reply `success` at once and answer later through the customer-service API
(`loadtests.wechat.customer_service`), as the reference back end does for messages routed to
agents: the delivery's latency then says nothing about the fan. With the stub on, each call the
platform accepted (errcode 0) is matched to the fan's earliest message not yet answered that
the platform had delivered before the call; a passive reply carrying a message answers its
message at once. A message's first answer is the earlier of the two. Offered messages never
answered count as infinitely late in `first_answer_ms` (beside the answered-only figure).

The scenario's targets (`[service]` of the day the replay starts on: first response, resolution)
are in scenario minutes; a wall second of the replay is `speedup / 60` of them. The shares
within them are over the offered messages (one never answered is not within).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict, deque
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from loadtests.replay.records import RunRecords
from loadtests.report.attribution import quantiles_ms
from loadtests.wechat.customer_service import OK

__all__ = ["fan_answers", "first_answers", "scenario_targets"]


def _delivered_at(r: RunRecords) -> NDArray[np.float64]:
    """Each message's first delivery start (NaN: never sent)."""
    first = r.d_delivery == 1
    at = np.full(r.msg_id.size, np.nan)
    order = np.argsort(r.msg_id)
    pos = order[np.searchsorted(r.msg_id[order], r.d_msg_id[first])]
    at[pos] = r.d_started[first]
    return at


def first_answers(r: RunRecords) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(each message's first answer time, NaN if none; whether it came asynchronously)."""
    n = r.msg_id.size
    passive = np.full(n, np.nan)
    replied = r.d_replied & r.d_answered
    order = np.argsort(r.msg_id)
    pos = order[np.searchsorted(r.msg_id[order], r.d_msg_id[replied])]
    passive[pos] = (r.d_sent + r.d_response)[replied]
    asynchronous = np.full(n, np.nan)
    start = _delivered_at(r)
    waiting: dict[str, deque[int]] = defaultdict(deque)
    sent = np.flatnonzero(~np.isnan(start))
    by_start = sent[np.argsort(start[sent], kind="stable")]
    for i in by_start.tolist():
        waiting[str(r.fan[i])].append(i)
    answers = np.flatnonzero(r.a_errcode == OK)
    for j in answers[np.argsort(r.a_at[answers], kind="stable")].tolist():
        queue, at = waiting.get(str(r.a_fan[j])), float(r.a_at[j])
        if queue and start[queue[0]] <= at:
            asynchronous[queue.popleft()] = at
    first = np.fmin(passive, asynchronous)
    return first, ~np.isnan(asynchronous) & ~(passive <= asynchronous)


def scenario_targets(meta: dict[str, Any]) -> tuple[float, float] | str:
    """(first-response, resolution) target in minutes of the replayed day, or why there is none."""
    path = meta.get("scenario_path") or ""
    if not path:
        return "no scenario (a profile CSV replayed without --scenario): targets unknown"
    from sim.scenario.load import load_scenario  # the model's loader only when a report needs it
    from sim.scenario.timeline import resolve_timeline

    scenario = load_scenario(Path(path))
    first = dt.datetime.fromisoformat(meta["profile"]["first_second"])
    first += dt.timedelta(seconds=float(meta["plan"].get("start", 0)))
    days = resolve_timeline(scenario).days
    day = min(max((first.date() - scenario.scenario.start).days, 0), len(days) - 1)
    service = days[day].service
    return float(service.first_response_target_minutes), float(service.resolution_target_minutes)


def _within(late: NDArray[np.float64], minutes: float, per_min: float) -> float | None:
    """Share of `late` (wall seconds; inf: never answered) within `minutes` of scenario time."""
    return round(float((late * per_min <= minutes).mean()), 6) if late.size else None


def fan_answers(
    r: RunRecords, targets: tuple[float, float] | str = "targets not given", speedup: float = 1.0
) -> dict[str, Any]:
    """First answers per message and class, shares within targets, unanswered, API refusals."""
    first, came_async = first_answers(r)
    late = np.where(np.isnan(first), np.inf, first - r.intended)
    answered = np.isfinite(late)
    per_min = speedup / 60.0  # scenario minutes per wall second
    by_class = {}
    for cls in sorted(set(r.cls.tolist())):
        mine = r.cls == cls
        q = quantiles_ms(late[mine])
        by_class[cls] = {"offered": int(mine.sum()), "answered": int(answered[mine].sum()),
                         "p50_ms": q["p50"], "p99_ms": q["p99"]}  # fmt: skip
        if not isinstance(targets, str):
            by_class[cls]["within_first_response_share"] = _within(late[mine], targets[0], per_min)
            by_class[cls]["within_resolution_share"] = _within(late[mine], targets[1], per_min)
    within: dict[str, Any] = {"missing": targets}
    if not isinstance(targets, str):
        within = {
            "first_response_minutes": targets[0],
            "resolution_minutes": targets[1],
            "minutes_per_wall_second": per_min,
            "within_first_response_share": _within(late, targets[0], per_min),
            "within_resolution_share": _within(late, targets[1], per_min),
        }
    refused = Counter(int(c) for c in r.a_errcode.tolist() if c != OK)
    return {
        "api_calls": int(r.a_errcode.size),
        "api_refused_by_errcode": {str(k): v for k, v in sorted(refused.items())},
        "answered": int(answered.sum()),
        "answered_asynchronously": int(came_async.sum()),
        "passive_replies": int((answered & ~came_async).sum()),
        "unanswered_at_end": int((~answered).sum()),
        "first_answer_ms": quantiles_ms(late),
        "first_answer_answered_only_ms": quantiles_ms(late[answered]),
        "by_class": by_class,
        "targets": within,
    }
