"""Whose time is it: the generator's, the server's or the fan's; why deliveries failed.

Every delivery carries three clock readings (`loadtests.replay.net.sender`): the sender began
(`started`), the request was written (`sent`), the response's last byte came (`sent +
response`). So a report can say:
- generator delay: intended -> the first delivery's start (a late generator, never the server);
- connect and write: started -> written (a new connection's set-up, the kernel's buffers);
- server latency: written -> response, per delivery;
- fan latency: intended -> answer, over every offered message; one never answered (failed or
  dropped) counts as infinitely late, so the figure cannot look better by losing messages.
  Beside it, the same over answered messages only, labelled so.

The generator is saturated where it dropped arrivals (it fell behind by more than the
tolerance, or its pool of deliveries in flight was full): those messages were never offered to
the back end, so no capacity can be read from such a run; the time ranges say where.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from loadtests.replay.records import RunRecords
from loadtests.wechat.delivery import DROPPED

__all__ = ["INF", "attribution", "fan_latency", "quantiles_ms", "saturated_ranges"]

INF = "inf"  # a percentile that falls on a message never answered (JSON has no infinity)
_Q = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999}


def quantiles_ms(x: NDArray[np.float64]) -> dict[str, float | str | None]:
    """Percentiles and max in milliseconds (microsecond resolution); inf stays `"inf"`.

    The "higher" order statistic, so an infinite value is never interpolated into a finite one.
    """
    x = x[~np.isnan(x)]
    if not x.size:
        return {**dict.fromkeys(_Q), "max": None}
    values = {k: float(np.quantile(x, q, method="higher")) for k, q in _Q.items()}
    values["max"] = float(x.max())
    return {k: INF if np.isinf(v) else round(v * 1000, 3) for k, v in values.items()}


def fan_latency(r: RunRecords) -> NDArray[np.float64]:
    """Each offered message's intended -> answer (s); inf when it was never answered."""
    return np.where(np.isnan(r.answered_at), np.inf, r.answered_at - r.intended)


def saturated_ranges(r: RunRecords, width: float = 1.0) -> list[list[float]]:
    """Merged [start, end) wall-second ranges (by intended time) holding a generator drop."""
    dropped = r.intended[r.outcome == DROPPED]
    if not dropped.size:
        return []
    slots = np.unique(np.floor(dropped / width).astype(np.int64))
    ranges: list[list[float]] = []
    for s in slots.tolist():
        if ranges and ranges[-1][1] == s * width:
            ranges[-1][1] = (s + 1) * width
        else:
            ranges.append([s * width, (s + 1) * width])
    return [[round(a, 3), round(b, 3)] for a, b in ranges]


def attribution(r: RunRecords) -> dict[str, Any]:
    """The latency split, failure causes, stale connections and the generator's saturation."""
    sent = r.outcome != DROPPED
    fan = fan_latency(r)
    answered = np.isfinite(fan)
    first = r.d_delivery == 1
    causes = Counter(c for c in r.d_cause.tolist() if c)
    ranges = saturated_ranges(r)
    return {
        "generator_delay_ms": quantiles_ms(r.lateness[sent]),
        "connect_and_write_ms": quantiles_ms(r.d_sent - r.d_started),
        "server_latency_ms": quantiles_ms(r.d_response),
        "server_latency_first_delivery_ms": quantiles_ms(r.d_response[first]),
        "fan_latency_ms": quantiles_ms(fan),
        "fan_latency_answered_only_ms": quantiles_ms(fan[answered]),
        "failure_causes": dict(sorted(causes.items())),
        "dropped_by_reason": dict(sorted(Counter(r.dropped_why[~sent].tolist()).items())),
        "stale_connections": int(r.d_stale.sum()),
        "generator_saturated": bool(ranges),
        "generator_saturated_seconds": ranges,
    }
