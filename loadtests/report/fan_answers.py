"""The answers fans really get: passive replies and the customer-service API, per message.

A back end may reply `success` at once and answer later through the customer-service API
(`loadtests.wechat.customer_service`), as the reference back end does for messages routed to
agents: the delivery's latency then says nothing about the fan. With the stub on, each call the
platform accepted (errcode 0) is matched to the fan's earliest message not yet answered that
the platform had delivered before the call; a passive reply carrying a message answers its
message at once. A message's first answer is the earlier of the two. Offered messages never
answered count as infinitely late in `first_answer_ms` (beside the answered-only figure).
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from typing import Any

import numpy as np
from numpy.typing import NDArray

from loadtests.replay.records import RunRecords
from loadtests.report.attribution import quantiles_ms
from loadtests.wechat.customer_service import OK

__all__ = ["fan_answers", "first_answers"]


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


def fan_answers(r: RunRecords) -> dict[str, Any]:
    """Time to first answer per message and class, unanswered at the end, the API's refusals."""
    first, came_async = first_answers(r)
    late = np.where(np.isnan(first), np.inf, first - r.intended)
    answered = np.isfinite(late)
    by_class = {}
    for cls in sorted(set(r.cls.tolist())):
        mine = r.cls == cls
        q = quantiles_ms(late[mine])
        by_class[cls] = {"offered": int(mine.sum()), "answered": int(answered[mine].sum()),
                         "p50_ms": q["p50"], "p99_ms": q["p99"]}  # fmt: skip
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
    }
