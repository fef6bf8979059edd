"""The inbound message stream, sampled in bulk per interval with numpy.

Per interval and class the count is Poisson with mean fans x rate x hourly weight x length, which
is an exact non-homogeneous Poisson process for a rate constant within the interval. Messages the
keyword auto-reply answers are only counted (no individual events: they cost the back end, not an
agent); messages routed to humans get individual arrival times (uniform within the interval),
handle times and patience deadlines, drawn from their own generators so that staffing changes
never change the traffic (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.dists import Distribution
from sim.scenario.load import MessagesSpec, ServiceSpec

__all__ = ["HumanBatch", "IntervalCounts", "MessageStream", "Streams"]


@dataclass(frozen=True)
class Streams:
    """Independent generators, one per kind of randomness."""

    counts: np.random.Generator
    times: np.random.Generator
    handle: np.random.Generator
    patience: np.random.Generator

    @classmethod
    def from_seed(cls, seed: np.random.SeedSequence) -> Streams:
        """Spawn the four generators from one seed sequence."""
        a, b, c, d = (np.random.default_rng(s) for s in seed.spawn(4))
        return cls(a, b, c, d)


@dataclass(frozen=True)
class IntervalCounts:
    """Per-class counts in one interval."""

    received: NDArray[np.int64]
    auto_replied: NDArray[np.int64]
    to_humans: NDArray[np.int64]
    failed_at_server: NDArray[np.int64]  # zero outside campaign windows


@dataclass(frozen=True)
class HumanBatch:
    """Messages routed to agents in one interval, sorted by arrival."""

    arrival: NDArray[np.float64]
    cls: NDArray[np.int64]
    priority: NDArray[np.int64]
    handle: NDArray[np.float64]
    deadline: NDArray[np.float64]


@dataclass(frozen=True)
class _Class:
    name: str
    share: float
    auto: bool
    priority: int
    handle: Distribution
    patience: Distribution | None
    coverage: float


class MessageStream:
    """Samples what fans send, class by class, and routes it to auto-reply or to humans."""

    def __init__(self, messages: MessagesSpec, service: ServiceSpec, streams: Streams) -> None:
        classes = []
        for name, spec in messages.classes.items():
            patience = spec.patience_minutes or service.patience_minutes
            classes.append(
                _Class(
                    name=name,
                    share=spec.share,
                    auto=spec.routing == "auto",
                    priority=spec.priority,
                    handle=spec.handle_time_minutes.build(),
                    patience=patience.build() if patience is not None else None,
                    coverage=messages.auto_reply_coverage
                    if spec.auto_reply_coverage is None
                    else spec.auto_reply_coverage,
                )
            )
        self.classes = tuple(classes)
        self._priority = np.asarray([c.priority for c in self.classes], np.int64)
        self._auto = np.asarray([c.auto for c in self.classes], bool)
        self._coverage = np.asarray([c.coverage for c in self.classes], np.float64)
        profile = np.asarray(messages.hourly_profile, np.float64)
        self._hour_weight = profile / profile.sum()
        self._per_active_fan_per_day = messages.per_active_fan_per_day
        self._streams = streams

    @property
    def class_names(self) -> tuple[str, ...]:
        """Class names in the order used by every per-class array."""
        return tuple(c.name for c in self.classes)

    def expected_per_minute(self, t: float, fans: float) -> float:
        """Mean arrival rate (all classes, messages/minute) at time `t` for `fans` fans."""
        return fans * self._per_active_fan_per_day * self.hour_weight(t) / 60.0

    def hour_weight(self, t: float) -> float:
        """Share of a day's volume that falls in the clock hour containing `t` (minutes)."""
        return float(self._hour_weight[int(t // 60) % 24])

    def hour_weights(self, t_seconds: NDArray[np.float64]) -> NDArray[np.float64]:
        """`hour_weight` at each time given in seconds."""
        return np.asarray(self._hour_weight[(t_seconds // 3600).astype(np.int64) % 24], np.float64)

    def class_index(self, name: str) -> int:
        """Position of class `name` in per-class arrays."""
        return self.class_names.index(name)

    def background_per_second(
        self, t_seconds: NDArray[np.float64], fans: float
    ) -> NDArray[np.float64]:
        """Expected everyday messages per second and class at each time (s), for `fans` active."""
        per_second = fans * self._per_active_fan_per_day * self.hour_weights(t_seconds) / 3600.0
        shares = np.asarray([c.share for c in self.classes])
        return np.asarray(per_second[:, None] * shares[None, :], np.float64)

    def sample_seconds(
        self, first_second: float, means: NDArray[np.float64], back_end: bool
    ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.bool_]]:
        """Individual messages from expected counts `means[second, class]`.

        Returns arrival times (s, sorted), class indices and whether the keyword rules answer
        each one (always False without a back end).
        """
        s = self._streams
        counts = s.counts.poisson(means)
        per_second = counts.sum(axis=1)
        seconds = np.repeat(np.arange(means.shape[0], dtype=np.float64), per_second)
        times = first_second + seconds + s.times.random(seconds.size)
        cls = np.repeat(np.tile(np.arange(means.shape[1]), means.shape[0]), counts.ravel())
        order = np.argsort(times, kind="stable")
        times, cls = times[order], cls[order]
        covered = s.counts.random(times.size) < self._coverage[cls]
        return times, cls, self._auto[cls] & covered & back_end

    def human_attributes(
        self, arrival_minutes: NDArray[np.float64], cls: NDArray[np.int64]
    ) -> HumanBatch:
        """Handle times and patience deadlines for routed messages, in the order given.

        Draws go class by class (all of class 0, then class 1, ...), each in the given order.
        """
        order = np.argsort(cls, kind="stable")
        counts = np.bincount(cls, minlength=len(self.classes))
        handle_g, deadline_g = self._draw_grouped(arrival_minutes[order], counts)
        handle = np.empty_like(handle_g)
        deadline = np.empty_like(deadline_g)
        handle[order], deadline[order] = handle_g, deadline_g
        return HumanBatch(
            arrival_minutes, cls.astype(np.int64), self._priority[cls], handle, deadline
        )

    def _draw_grouped(
        self, arrival_minutes: NDArray[np.float64], counts: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Handle times and deadlines for messages grouped by class (`counts[i]` of class i)."""
        s = self._streams
        handle = np.empty(arrival_minutes.size)
        deadline = np.full(arrival_minutes.size, np.inf)
        pos = 0
        for c, n in zip(self.classes, counts.tolist(), strict=True):
            if n == 0:
                continue
            block = slice(pos, pos + n)
            handle[block] = c.handle.sample(s.handle, n)
            if c.patience is not None:
                deadline[block] = arrival_minutes[block] + c.patience.sample(s.patience, n)
            pos += n
        return handle, deadline

    def sample(
        self,
        t0: float,
        t1: float,
        fans: float,
        back_end: bool,
        extra: NDArray[np.float64] | None = None,
    ) -> tuple[IntervalCounts, HumanBatch]:
        """Messages arriving in [t0, t1), which must lie within one clock hour.

        `extra` adds expected messages per class in the interval (e.g. new fans' first
        messages) on top of the everyday stream.
        """
        s = self._streams
        mean_total = self.expected_per_minute(t0, fans) * (t1 - t0)
        k = len(self.classes)
        means = np.asarray([mean_total * c.share for c in self.classes])
        if extra is not None:
            means = means + extra
        received = s.counts.poisson(means).astype(np.int64)
        auto = np.zeros(k, np.int64)
        if back_end:
            for i, c in enumerate(self.classes):
                if c.auto and received[i]:
                    auto[i] = s.counts.binomial(received[i], c.coverage)
        human = received - auto
        counts = IntervalCounts(received, auto, human, np.zeros(k, np.int64))
        # arrival times class by class, attributes drawn in the same class order, then sorted
        arrival = s.times.uniform(t0, t1, int(human.sum()))
        handle, deadline = self._draw_grouped(arrival, human)
        order = np.argsort(arrival, kind="stable")
        cls = np.repeat(np.arange(k), human)[order]
        return counts, HumanBatch(
            arrival=arrival[order],
            cls=cls,
            priority=self._priority[cls],
            handle=handle[order],
            deadline=deadline[order],
        )
