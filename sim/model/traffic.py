"""The inbound message stream: one day's messages sampled at midnight, each with its attributes.

Fans change only at midnight and when a campaign's newcomers arrive, so a whole day can be drawn
at once (vectorised, the hot path). Per interval and class the count is Poisson with mean
active fans x rate x hourly weight x length, an exact non-homogeneous Poisson process for a rate
constant within the interval; times are uniform within it.

Every message gets all its attributes before any filtering: its keyword coverage draw, handle
time and patience, whether or not the back end answers it or the server drops it. Each draws
from its own named stream per day and class (`sim.model.rng`), so switching the back end off,
resizing the server or adding a campaign leaves every everyday message as it was (common random
numbers). Times are minutes from the scenario's first midnight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.dists import Distribution
from sim.model.rng import Streams
from sim.scenario.schema import MessagesSpec, ServiceSpec

__all__ = ["DayCounts", "DaySample", "HumanBatch", "MessageStream", "Messages"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]


_BATCH_FIELDS = ("arrival", "cls", "priority", "handle", "deadline")
_MESSAGE_FIELDS = ("time", "cls", "covered", "handle", "deadline")


@dataclass(frozen=True)
class HumanBatch:
    """Messages routed to agents, sorted by arrival (minutes)."""

    arrival: F64
    cls: I64
    priority: I64
    handle: F64
    deadline: F64

    @classmethod
    def merge(cls, parts: Sequence[HumanBatch]) -> HumanBatch:
        """Sorted batches in one time order (stable: ties keep the order of `parts`)."""
        whole = cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in _BATCH_FIELDS))
        return whole.take(np.argsort(whole.arrival, kind="stable"))

    def take(self, index: Bool | I64) -> HumanBatch:
        """The messages a mask or positions pick, in that order."""
        return HumanBatch(*(getattr(self, f)[index] for f in _BATCH_FIELDS))


@dataclass(frozen=True)
class Messages:
    """Individual messages: what was sent and what it would cost an agent.

    A day's messages stay grouped by source and class (counting needs no order); only what
    needs time order (the queue's routed messages, a server window) is sorted, by `sorted` or
    `take(order())`, with a stable sort, so ties keep their sampling order.
    """

    time: F64  # minutes
    cls: I64  # index into the run's class names
    covered: Bool  # keyword rules cover it (they answer it if its class is auto, back end live)
    handle: F64  # agent handle time (minutes), drawn for every message
    deadline: F64  # time the fan gives up (inf: never)

    @classmethod
    def empty(cls) -> Messages:
        """No messages."""
        f, i = np.empty(0, np.float64), np.empty(0, np.int64)
        return cls(f, i, np.empty(0, bool), f, f)

    @classmethod
    def concat(cls, parts: Sequence[Messages]) -> Messages:
        """All `parts` one after the other, unsorted."""
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in _MESSAGE_FIELDS))

    def order(self) -> I64:
        """Positions in time order (stable: ties keep their sampling order)."""
        return np.argsort(self.time, kind="stable").astype(np.int64)

    def sorted(self) -> Messages:
        """The same messages in time order (stable)."""
        return self.take(self.order())

    def take(self, index: Bool | I64) -> Messages:
        """The messages a mask or positions pick, in that order."""
        return Messages(*(getattr(self, f)[index] for f in _MESSAGE_FIELDS))

    @property
    def size(self) -> int:
        """Number of messages."""
        return int(self.time.size)


@dataclass(frozen=True)
class DaySample:
    """A day's sampled messages: those kept individually, and counts per (interval, class)."""

    messages: Messages  # routed candidates, plus every message inside a server window
    received: I64
    auto: I64  # answered by keyword rules (before any server failure)


@dataclass(frozen=True)
class DayCounts:
    """Per (interval, class) counts of one day."""

    received: I64
    auto_replied: I64
    to_humans: I64
    failed_at_server: I64


@dataclass(frozen=True)
class _Class:
    name: str
    share: float
    auto: bool
    priority: int
    handle: Distribution | None  # None: the class does not exist on this day
    patience: Distribution | None
    coverage: float


class MessageStream:
    """One day's message classes (in the run's class order) and how they are sampled."""

    def __init__(
        self, messages: MessagesSpec, service: ServiceSpec, class_names: tuple[str, ...]
    ) -> None:
        classes = []
        for name in class_names:
            spec = messages.classes.get(name)
            if spec is None:  # added or dropped by a phase: no traffic on this day
                classes.append(_Class(name, 0.0, False, 1, None, None, 0.0))
                continue
            patience = spec.patience_minutes or service.patience_minutes
            coverage = spec.auto_reply_coverage
            classes.append(
                _Class(
                    name=name,
                    share=spec.share,
                    auto=spec.routing == "auto",
                    priority=spec.priority,
                    handle=spec.handle_time_minutes.build(),
                    patience=patience.build() if patience is not None else None,
                    coverage=messages.auto_reply_coverage if coverage is None else coverage,
                )
            )
        self.classes = tuple(classes)
        self.class_names = class_names
        self.priority = np.asarray([c.priority for c in self.classes], np.int64)
        self.auto = np.asarray([c.auto for c in self.classes], bool)
        self.shares = np.asarray([c.share for c in self.classes], np.float64)
        self._coverage = np.asarray([c.coverage for c in self.classes], np.float64)
        profile = np.asarray(messages.hourly_profile, np.float64)
        self._hour_weight = profile / profile.sum()
        self._per_active_fan_per_day = messages.per_active_fan_per_day

    def class_index(self, name: str) -> int:
        """Position of class `name` in per-class arrays."""
        return self.class_names.index(name)

    def hour_weights(self, t_seconds: F64) -> F64:
        """Share of a day's volume per hour, for the clock hour of each time given in seconds."""
        return np.asarray(self._hour_weight[(t_seconds // 3600).astype(np.int64) % 24], np.float64)

    def _interval_shares(self, t0: float, interval: float, n: int) -> F64:
        """Share of a day's volume in each of `n` intervals from `t0` (minutes)."""
        starts = t0 + interval * np.arange(n)
        return np.asarray(
            self._hour_weight[(starts // 60).astype(np.int64) % 24] * interval / 60.0, np.float64
        )

    def day_means(self, t0: float, interval: float, active: F64) -> F64:
        """Expected everyday messages per (interval, class) for `active[i]` active fans."""
        share = self._interval_shares(t0, interval, active.size)
        per_interval = active * self._per_active_fan_per_day * share
        return np.asarray(per_interval[:, None] * self.shares[None, :], np.float64)

    def first_message_means(self, t0: float, interval: float, n: int, counts: F64) -> F64:
        """Expected first messages per (interval, class), spread like the everyday stream."""
        share = self._interval_shares(t0, interval, n)
        return np.asarray(share[:, None] * counts[None, :], np.float64)

    def background_per_second(self, t_seconds: F64, active: F64) -> F64:
        """Expected everyday messages per second and class at each time (s)."""
        per_second = active * self._per_active_fan_per_day * self.hour_weights(t_seconds) / 3600.0
        return np.asarray(per_second[:, None] * self.shares[None, :], np.float64)

    def _attributes(
        self,
        c: int,
        time: F64,
        covered_u: F64,
        handle_rng: np.random.Generator,
        patience_rng: np.random.Generator,
    ) -> Messages:
        spec = self.classes[c]
        n = time.size
        if spec.handle is None:
            raise ValueError(f"class {spec.name!r} has no traffic on this day")
        handle = spec.handle.sample(handle_rng, n)
        deadline = np.full(n, np.inf)
        if spec.patience is not None:
            deadline = time + spec.patience.sample(patience_rng, n)
        cls = np.full(n, c, np.int64)
        return Messages(time, cls, covered_u < spec.coverage, handle, deadline)

    def sample_counts(
        self,
        means: F64,
        t0: float,
        step: float,
        per_class: Sequence[tuple[np.random.Generator, ...]],
    ) -> Messages:
        """Messages from expected counts `means[slot, class]`, slots of `step` from `t0`.

        `per_class[c]` holds the generators of class c: (counts, times and coverage, handle,
        patience); one generator may serve several roles (it is then used in that order).
        """
        return self._sample(means, t0, step, per_class, None).messages

    def sample_routed(
        self,
        means: F64,
        t0: float,
        step: float,
        per_class: Sequence[tuple[np.random.Generator, ...]],
    ) -> DaySample:
        """Like `sample_counts`, but messages the keyword rules answer are only counted.

        For a stream with its own keyword auto-reply (an inbound channel), which the WeChat
        back end's switch and server windows do not concern.
        """
        return self._sample(means, t0, step, per_class, (True, 0.0, 0.0))

    def _sample(
        self,
        means: F64,
        t0: float,
        step: float,
        per_class: Sequence[tuple[np.random.Generator, ...]],
        drop: tuple[bool, float, float] | None,
    ) -> DaySample:
        """Sample every message with all its attributes, then keep what later steps need.

        With `drop = (back_end, lo, hi)`, messages the keyword rules answer are only counted
        (they cost no agent time), unless they fall in [lo, hi), a window the server sees.
        """
        shape = means.shape
        received = np.zeros(shape, np.int64)
        auto = np.zeros(shape, np.int64)
        parts = []
        for c in np.flatnonzero(means.sum(axis=0) > 0).tolist():
            counts_rng, message_rng, handle_rng, patience_rng = per_class[c]
            counts = counts_rng.poisson(means[:, c])
            slot = np.repeat(np.arange(shape[0], dtype=np.int64), counts)
            time = t0 + step * (slot + message_rng.random(slot.size))
            covered_u = message_rng.random(slot.size)
            m = self._attributes(c, time, covered_u, handle_rng, patience_rng)
            received[:, c] = counts
            if drop is not None and self.auto[c] and drop[0]:
                answered = m.covered
                auto[:, c] = np.bincount(slot[answered], minlength=shape[0])
                m = m.take(~answered | ((time >= drop[1]) & (time < drop[2])))
            parts.append(m)
        return DaySample(Messages.concat(parts), received, auto)

    def sample_day(
        self,
        streams: Streams,
        day: int,
        t0: float,
        interval: float,
        active: F64,
        first_messages: F64 | None,
        back_end: bool,
        window: tuple[float, float] | None = None,
        extra: Sequence[tuple[str, F64]] = (),
    ) -> DaySample:
        """The everyday stream and new fans' first messages (`first_messages[class]`) of a day.

        Every message is drawn with all its attributes (common random numbers); those the
        keyword rules answer are then only counted, except inside `window` (minutes), which the
        server sees. Messages are grouped by source and class, each group in sampling order.
        `extra` holds (stream name, expected messages per (interval, class)) of mechanisms
        that schedule messages (cascades, push replies), each sampled from its own stream.
        """
        names = self.class_names
        lo, hi = window if window is not None else (0.0, 0.0)
        drop = (back_end, lo, hi)
        everyday = [
            (
                streams.get("traffic.counts", day, n),
                streams.get("traffic.messages", day, n),
                streams.get("traffic.handle", day, n),
                streams.get("traffic.patience", day, n),
            )
            for n in names
        ]
        out = self._sample(self.day_means(t0, interval, active), t0, interval, everyday, drop)
        more: list[tuple[str, F64]] = []
        if first_messages is not None and first_messages.any():
            more.append(
                (
                    "first_messages",
                    self.first_message_means(t0, interval, active.size, first_messages),
                )
            )
        for stream, means in [*more, *extra]:
            own = [(g, g, g, g) for g in (streams.get(stream, day, n) for n in names)]
            first = self._sample(means, t0, interval, own, drop)
            out = DaySample(
                Messages.concat([out.messages, first.messages]),
                out.received + first.received,
                out.auto + first.auto,
            )
        return out

    def answered_by_keyword(self, m: Messages, back_end: bool) -> Bool:
        """Messages the keyword auto-reply answers (never without a back end)."""
        return np.asarray(self.auto[m.cls] & m.covered & back_end, bool)

    def human_batch(self, m: Messages) -> HumanBatch:
        """All of `m` as messages for agents, in time order (priorities from their classes)."""
        s = m.sorted()
        return HumanBatch(s.time, s.cls, self.priority[s.cls], s.handle, s.deadline)
