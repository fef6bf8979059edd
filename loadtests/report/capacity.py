"""Capacity per instance, read from the server's own latency, with an interval and its conditions.

Wall time is cut into windows of `width` seconds (a ramp's step) by intended send time. A window
is judged on the first deliveries of the messages sent in it, by the server's latency (request
written -> response's last byte; the generator's lateness is not in it): it passes when their
p99 is under the deadline (a failed delivery counts as infinitely slow) and that latency does
not grow by more than `MAX_GROWTH` seconds per second of written time (least squares), and the
answers that came within the window, shifted by the median time its messages took to be
answered, are at least 95 % of the messages sent in it (unshifted, the messages of a window's
last ~0.1 s, answered after it ends, made a window at 84 % of the capacity miss 95 %). A back end
past its capacity queues: its latency grows at (arrivals - capacity) / capacity, so a growth
over 0.1 s/s says it leaves more than 10 % of arrivals to its queue (the slope of 2 s of
Poisson arrivals near capacity is noisy by about that much), whatever its speed (a
fixed latency knee would fail slow back ends near capacity and pass fast ones long past it).
Dropped messages are not charged to the back end (a run with drops is refused as a whole,
`report.attribution`).

A ramp with several climbs (`loadtests.replay.ramp`) gives one capacity per climb: the highest
offered rate of a window that passed before the climb's first failing window. A ramp's windows
are its steps and their rate the step's nominal one (a 2 s window's drawn count varies by
about 7 % at 100/s: noise the figure need not carry). The figure is
their median and the interval their range; climbs that disagree by more than two steps of the
ramp are refused (the machine was not quiet, or the back end drifts). With one climb the
interval is only the grid's bracket: the highest passing rate and the first failing one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from loadtests.replay.records import RunRecords
from loadtests.wechat.delivery import DROPPED

__all__ = ["capacity", "first_server_latency", "windows"]

MIN_WINDOW = 20  # messages a window needs before its figures mean anything
KEEP_UP = 0.95  # its answers per second at least this share of the rate sent in it
MAX_GROWTH = 0.1  # server latency rising faster (s per s): its queue takes > 10 % of arrivals
SPREAD_STEPS = 2  # climbs further apart than this many ramp steps are refused


def windows(r: RunRecords, width: float) -> tuple[NDArray[np.float64], ...]:
    """Per window: offered rate, server p99, latency growth (s/s), answers/s; each message's."""
    slot = np.floor(r.intended / width).astype(np.int64)
    n = int(slot.max()) + 1 if slot.size else 0
    rate = np.bincount(slot, minlength=n) / width
    answered = ~np.isnan(r.answered_at)
    done = np.sort(r.answered_at[answered])
    lag = np.zeros(n)  # the window's median intended -> answer: its answers come that much later
    server, written = first_server_latency(r)
    p99, growth = np.full(n, np.nan), np.full(n, np.nan)
    for j in range(n):
        theirs = answered & (slot == j)
        if theirs.any():
            lag[j] = np.median(r.answered_at[theirs] - r.intended[theirs])
        mine = (slot == j) & ~np.isnan(server)
        if mine.any():
            p99[j] = np.quantile(server[mine], 0.99, method="higher")
        fin = mine & np.isfinite(server)
        if fin.sum() >= 3 and np.ptp(written[fin]) > 0:
            growth[j] = np.polyfit(written[fin], server[fin], 1)[0]
    starts = np.arange(n) * width + lag
    counts = np.searchsorted(done, starts + width) - np.searchsorted(done, starts)
    return rate, p99, growth, counts / width, slot.astype(np.float64)


def first_server_latency(r: RunRecords) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per message: first delivery's written -> response (inf: failed; NaN: dropped), written."""
    out, written = np.full(r.msg_id.size, np.nan), np.full(r.msg_id.size, np.nan)
    first = r.d_delivery == 1
    order = np.argsort(r.msg_id)
    at = order[np.searchsorted(r.msg_id[order], r.d_msg_id[first])]
    out[at] = np.where(r.d_answered[first], r.d_response[first], np.inf)
    written[at] = r.d_sent[first]
    return out, written


def _climb(ok: NDArray[np.bool_], busy: NDArray[np.bool_], rate: NDArray[np.float64],
           in_climb: NDArray[np.bool_]) -> tuple[float, float | None]:  # fmt: skip
    """(highest passing rate before the first failing window, that failing rate or None)."""
    judged = np.flatnonzero(busy & in_climb)
    fails = judged[~ok[judged]]
    before = judged[judged < fails[0]] if fails.size else judged
    best = float(rate[before].max()) if before.size else 0.0
    return best, float(rate[fails[0]]) if fails.size else None


def capacity(
    r: RunRecords, deadline: float, width: float, instances: int,
    ramp: dict[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The capacity per instance, its interval and conditions, or the reason it is refused."""
    rate, p99, growth, answers, slot_f = windows(r, width)
    slot = slot_f.astype(np.int64)
    busy = rate * width >= MIN_WINDOW
    climb_s = float((ramp or {}).get("climb_seconds") or np.inf)
    factor = float((ramp or {}).get("factor", 2.0))
    sent = np.bincount(slot[r.outcome != DROPPED], minlength=rate.size) / width
    if ramp and float(ramp["step"]) == width:
        k = np.arange(rate.size) * width % climb_s // width
        rate = np.where(busy, float(ramp["start"]) * factor**k, rate)
    ok = busy & (p99 < deadline) & ~(growth > MAX_GROWTH) & (answers >= KEEP_UP * sent)
    climb_of = np.floor(np.arange(rate.size) * width / climb_s).astype(np.int64)
    per_climb = [_climb(ok, busy, rate, climb_of == c) for c in np.unique(climb_of[busy])]
    bests = [b for b, _ in per_climb]
    failing = busy & ~ok
    refused = None
    if not busy.any():
        refused = f"no {width:g} s window held {MIN_WINDOW} messages: too few to read a capacity"
    elif not ok.any() or min(bests) <= 0:
        low = float(rate[busy].min())
        refused = (
            f"no window sustained its offered rate, not even the least loaded ({low:g}/s): "
            "failures not caused by load (errors, "
            "hung requests) or a back end slower than the lowest rate; fix them or offer less "
            "before measuring capacity"
        )
    elif len(bests) > 1 and max(bests) > min(bests) * factor**SPREAD_STEPS * 1.001:
        shown = ", ".join(f"{b / instances:g}" for b in bests)
        refused = (
            f"the climbs disagree ({shown}/s per instance, more than {SPREAD_STEPS} ramp steps "
            "apart): the machine was not quiet or the back end drifts (warm-up, a growing "
            "database); measure again on a quiet machine"
        )
    found = all(f is not None for _, f in per_climb)
    if len(bests) > 1:
        interval: list[float] | None = [min(bests), max(bests)]
        source = f"range of {len(bests)} climbs"
    else:
        top = per_climb[0][1] if per_climb else None
        interval = [bests[0], top] if per_climb and top is not None else None
        source = "one climb: the step grid's bracket (highest passing, first failing)"
    at_failure = float(answers[failing].max()) / instances if failing.any() else None
    return {
        "capacity_per_instance": None if refused else float(np.median(bests)) / instances,
        "capacity_found": bool(failing.any()) and found and refused is None,
        "capacity_refused": refused,
        "capacity_interval_per_instance": (
            None if refused or interval is None else [v / instances for v in interval]
        ),
        "capacity_interval_source": source,
        "capacity_by_climb_per_instance": [b / instances for b in bests],
        "capacity_conditions": {
            "rule": "per window, first deliveries: server latency (written -> response) p99 "
            f"under the deadline (failed = inf), its growth <= {MAX_GROWTH:g} s/s, answers "
            f">= {KEEP_UP:g} x sent",
            "window_seconds": width,
            "server_latency_growth_max": MAX_GROWTH,
            "server_latency_growth_per_window": [
                None if np.isnan(g) else round(float(g), 4) for g in growth
            ],
            "min_messages_per_window": MIN_WINDOW,
            "deadline_seconds": deadline,
            "generator_processes": len(r.workers),
            "load_average": r.workers[0].get("load_average") if r.workers else None,
        },
        "throughput_when_failing_per_instance": at_failure,
        "windows": int(busy.sum()),
        "windows_failing": int(failing.sum()),
    }
