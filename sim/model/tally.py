"""The service's figures, gathered as the agents' queue settles messages, not kept per message.

Why: tables and percentiles used to be computed at the end from every routed message, so memory
grew with them (5 GB for a 50M-fan year). The queue hands over messages whose outcome can no
longer change (`HumanQueue.compact`), in any order, with the `frontier` before which every
event is known and the arrivals of the messages still waiting; the rest at the horizon
(`finish`). Every figure below is the same whatever the batches and their order. What is kept,
and why it is exact or bounded:

- counts per message class, per hour (of arrival, of pick-up, of abandonment), per campaign
  period: exact, whatever the batches;
- agents' busy minutes per hour: each message's handling split over the hours it covers;
- the sums behind the whole run's mean waits, and the busy minutes: exact sums
  (`sim.model.exact_sum`), so they do not depend (even in the last bit) on how messages were
  batched; an hour's busy minutes are read once the frontier passes it;
- the hourly response percentiles (by hour of pick-up) and each day's 90th percentiles (by day
  of arrival): exact, from the times of that hour or day, held only until the frontier passes
  it and, for a day, none of its messages is still waiting (messages in flight);
- the whole run's, each class's and each campaign period's percentiles: `SecondHistogram`s,
  within half a second (`sim.model.histogram.ERROR_MINUTES`) of the exact value;
- messages waiting over time: `WaitingLevels`, exact.

Outcome rules (docs/model.md): answered = picked up by the horizon; abandoned = not picked up
and the deadline passed by the horizon; the rest is still queued. A target is that of the
message's channel on its day of arrival; SLA attainment counts among messages whose outcome is
known (answered, abandoned, or still waiting past the target).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.model.exact_sum import ExactSums
from sim.model.histogram import SecondHistogram
from sim.model.spans import Span, campaign_spans
from sim.model.waiting import WaitingLevels
from sim.scenario.timeline import Timeline
from sim.units import DAY

__all__ = ["PeriodTally", "ServiceTally", "Settled"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]
INF = float("inf")
_COUNTS = ("answered", "abandoned", "queued", "first_met", "first_known", "res_met", "res_known")


def _none() -> F64:
    return np.zeros(0, np.float64)


@dataclass(frozen=True)
class Settled:
    """Messages handed over by the queue (`start` NaN: not picked up), in any order.

    `carried`: the message was still waiting at an earlier hand-over, which gave its arrival
    (default: none was); `waiting`: arrivals of messages still waiting at this hand-over, given
    for the first time (their waiting started; their outcome comes later).
    """

    arrival: F64
    handle: F64
    deadline: F64
    start: F64
    tag: I64
    carried: Bool | None = None
    waiting: F64 = field(default_factory=_none)


@dataclass(frozen=True)
class _Flags:
    """Per message of a batch: times and outcomes, computed once for every tally."""

    arrival: F64
    wait: F64
    resolution: F64
    answered: Bool
    abandoned: Bool
    queued: Bool
    first_met: Bool
    first_known: Bool
    res_met: Bool
    res_known: Bool


def _quantile(x: F64, p: float) -> float:
    return float(np.quantile(x, p)) if x.size else float("nan")


def target_table(tl: Timeline, which: str) -> F64:
    """Targets (minutes) by day and message class: a channel's own, else the service's."""
    per_day = np.asarray(tl.targets(which), np.float64)
    table = np.repeat(per_day[:, None], len(tl.class_names), axis=1)
    for channel, classes in tl.channels:
        columns = [tl.class_names.index(c) for c in classes]
        table[:, columns] = np.asarray(tl.targets(which, channel), np.float64)[:, None]
    return table


class PeriodTally:
    """Messages that arrived within a set of spans (a campaign's days or live hours)."""

    def __init__(self, spans: list[Span]) -> None:
        self.spans = spans
        self._lo = np.sort(np.asarray([lo for lo, _ in spans], np.float64))
        self._hi = np.sort(np.asarray([hi for _, hi in spans], np.float64))
        self.counts = dict.fromkeys(("routed", *_COUNTS), 0)
        self.wait = SecondHistogram()
        self.resolution = SecondHistogram()

    def add(self, f: _Flags) -> None:
        """Count the batch's messages inside the spans (as often as spans hold them)."""
        times = np.searchsorted(self._lo, f.arrival, "right")
        times -= np.searchsorted(self._hi, f.arrival, "right")
        if not times.any():
            return
        self.counts["routed"] += int(times.sum())
        for key in _COUNTS:
            self.counts[key] += int(times[getattr(f, key)].sum())
        mine = f.answered & (times > 0)
        self.wait.add(f.wait[mine], times[mine])
        self.resolution.add(f.resolution[mine], times[mine])


class ServiceTally:
    """Aggregates of the routed messages of one run, filled batch by batch."""

    def __init__(self, tl: Timeline, horizon: float) -> None:
        self.horizon = horizon
        self.days = len(tl.days)
        self.hours = self.days * 24
        k, h = len(tl.class_names), self.hours
        self._targets = {w: target_table(tl, w) for w in ("first_response", "resolution")}
        self.by_class = {key: np.zeros(k, np.int64) for key in _COUNTS}
        self.class_wait = [SecondHistogram() for _ in range(k)]
        self.resolution = SecondHistogram()
        self._wait_sum = ExactSums()  # over answered messages
        self._ended_sum = ExactSums()  # waits that ended: answered, or abandoned at the deadline
        self.ended = 0
        self.by_arrival_hour = {key: np.zeros(h, np.int64) for key in ("routed", *_COUNTS)}
        self.answered_in_hour = np.zeros(h, np.int64)  # by hour of pick-up
        self.abandoned_in_hour = np.zeros(h, np.int64)  # by hour of the deadline
        self.busy = np.zeros(h, np.float64)  # agent-busy minutes per hour (hours passed)
        self._busy = ExactSums()  # busy minutes of the hours the frontier has not passed
        self.hour_response = np.full((h, 2), np.nan)  # p50, p90 of waits picked up that hour
        self.day_p90 = np.full((self.days, 2), np.nan)  # response, resolution by arrival day
        self._picks: list[tuple[I64, F64]] = []  # held until the frontier passes the hour
        # (waits, resolutions) of answered messages by arrival day, held until the day closes
        self._held: dict[int, list[tuple[F64, F64]]] = {}
        self._open = np.zeros(self.days, np.int64)  # messages of each arrival day still waiting
        self.campaigns = {
            name: {kind: PeriodTally(s) for kind, s in spans.items() if s}
            for name, spans in campaign_spans(tl, horizon).items()
        }
        ends = [t for p in self._periods() for span in p.spans for t in span]
        probes = np.unique(np.concatenate([60.0 * np.arange(h + 1), np.asarray(ends)]))
        self.waiting = WaitingLevels(probes.astype(np.float64))
        self.present_times = np.zeros(1, np.float64)
        self.present_agents = np.zeros(1, np.int64)

    @property
    def wait_sum(self) -> float:
        """Sum of the answered messages' waits (minutes), correctly rounded."""
        return self._wait_sum.total()

    @property
    def ended_sum(self) -> float:
        """Sum of the waits that ended (answered, or abandoned at the deadline), rounded."""
        return self._ended_sum.total()

    def _periods(self) -> list[PeriodTally]:
        return [p for kinds in self.campaigns.values() for p in kinds.values()]

    def _flags(self, b: Settled, final: bool) -> _Flags:
        answered = ~np.isnan(b.start)
        abandoned = ~answered & (b.deadline <= self.horizon) if final else ~answered
        queued = ~answered & ~abandoned
        wait = b.start - b.arrival
        resolution = wait + b.handle
        day = self._day(b.arrival)
        first = self._targets["first_response"][day, b.tag]
        res = self._targets["resolution"][day, b.tag]
        late = self.horizon - b.arrival
        with np.errstate(invalid="ignore"):
            first_met, res_met = answered & (wait <= first), answered & (resolution <= res)
        return _Flags(
            b.arrival,
            wait,
            resolution,
            answered,
            abandoned,
            queued,
            first_met,
            answered | abandoned | (queued & (late > first)),
            res_met,
            answered | abandoned | (queued & (late > res)),
        )

    def add(self, b: Settled, frontier: float, final: bool = False) -> None:
        """Tally settled messages; every event before `frontier` has been handed over."""
        f = self._flags(b, final)
        k, h = len(self.class_wait), self.hours
        for key in _COUNTS:
            self.by_class[key] += np.bincount(b.tag[getattr(f, key)], minlength=k)
        answered = f.answered
        wait = f.wait[answered]
        for c in np.unique(b.tag[answered]).tolist():
            self.class_wait[c].add(f.wait[answered & (b.tag == c)])
        self.resolution.add(f.resolution[answered])
        self._wait_sum.add(wait)
        gave_up = np.minimum(b.deadline, self.horizon) - b.arrival
        ended = np.where(answered, f.wait, gave_up)[answered | f.abandoned]
        self._ended_sum.add(ended)
        self.ended += int(ended.size)
        hour = np.minimum((b.arrival // 60).astype(np.int64), h - 1)
        self.by_arrival_hour["routed"] += np.bincount(hour, minlength=h)
        for key in _COUNTS:
            self.by_arrival_hour[key] += np.bincount(hour[getattr(f, key)], minlength=h)
        picked = (b.start[answered] // 60).astype(np.int64)
        self.answered_in_hour += np.bincount(picked, minlength=h)[:h]
        gone = (b.deadline[f.abandoned] // 60).astype(np.int64)
        self.abandoned_in_hour += np.bincount(gone, minlength=h)[:h]
        self._add_busy(b.start[answered], b.handle[answered])
        self._picks.append((picked, wait))
        day = (b.arrival[answered] // DAY).astype(np.int64)
        for d, (w, r) in _groups(day, np.ones(day.size, np.bool_), wait, f.resolution[answered]):
            self._held.setdefault(d, []).append((w, r))
        for p in self._periods():
            p.add(f)
        carried = np.zeros(b.arrival.size, np.bool_) if b.carried is None else b.carried
        self._open -= np.bincount(self._day(b.arrival[carried]), minlength=self.days)
        self._open += np.bincount(self._day(b.waiting), minlength=self.days)
        waited = ~answered | (b.start > b.arrival)
        leave = np.where(answered, b.start, b.deadline)[waited]
        came = np.concatenate([b.arrival[waited & ~carried], b.waiting])  # the sweep sorts
        self.waiting.add(came, leave[leave <= self.horizon], frontier)
        self._close(frontier)

    def _day(self, arrival: F64) -> I64:
        return np.minimum((arrival // DAY).astype(np.int64), self.days - 1)

    def finish(self, rest: Settled, present_times: F64, present_agents: I64) -> None:
        """The messages not yet handed over, as of the horizon, and the agents-present log."""
        self.add(rest, INF, final=True)
        self.present_times, self.present_agents = present_times, present_agents

    def _add_busy(self, start: F64, handle: F64) -> None:
        """Agent-busy minutes per hour: each handling split over the hours it covers."""
        end = np.minimum(start + handle, self.horizon)
        first = (start // 60).astype(np.int64)
        last = (end // 60).astype(np.int64)
        one = first == last
        s, e, a, b = start[~one], end[~one], first[~one], last[~one]
        inner = b - a - 1
        runs = np.repeat(a + 1, inner)
        runs += np.arange(runs.size) - np.repeat(np.cumsum(inner) - inner, inner)
        minutes = [end[one] - start[one], 60.0 * (a + 1) - s, e - 60.0 * b]
        self._busy.add(
            np.concatenate([*minutes, np.full(runs.size, 60.0)]),
            np.concatenate([first[one], a, b, runs]),
        )

    def _close(self, frontier: float) -> None:
        """Percentiles of the hours and days the frontier has passed; their times are let go."""
        hour_done = self.hours if frontier == INF else int(frontier // 60)
        hours, waits = (np.concatenate(x) for x in zip(*self._picks, strict=True))
        for hr, (w,) in _groups(hours, hours < hour_done, waits):
            if hr < self.hours:
                self.hour_response[hr] = (_quantile(w, 0.5), _quantile(w, 0.9))
        keep = hours >= hour_done
        self._picks = [(hours[keep], waits[keep])]
        day_done = self.days if frontier == INF else int(frontier // DAY)
        for d in sorted(self._held):  # closing a day reads its own times only
            if d >= day_done:
                break
            if frontier != INF and self._open[min(d, self.days - 1)]:
                continue  # a day with a message still waiting stays open
            w, r = (np.concatenate(x) for x in zip(*self._held.pop(d), strict=True))
            self.day_p90[d] = (_quantile(w, 0.9), _quantile(r, 0.9))
        bins, busy = self._busy.pop_below(hour_done)
        inside = bins < self.hours  # a handling ending at the horizon adds 0 to the next hour
        self.busy[bins[inside]] += busy[inside]  # once per hour: its last part came in


def _groups(keys: I64, chosen: Bool, *values: F64) -> list[tuple[int, list[F64]]]:
    """The `chosen` values, grouped by key (keys in increasing order)."""
    done = np.flatnonzero(chosen)
    if not done.size:
        return []
    order = done[np.argsort(keys[done], kind="stable")]
    sorted_keys = keys[order]
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    bounds = [0, *cuts.tolist(), order.size]
    return [
        (int(sorted_keys[lo]), [v[order[lo:hi]] for v in values])
        for lo, hi in itertools.pairwise(bounds)
    ]
