"""Further inbound channels (`[inbound.<name>]`): Weibo private messages, forum feedback, ...

Each channel is a stream like WeChat's (`sim.model.traffic.MessageStream`, the same per-class
sampling), but its volume follows that platform's own followers (a count that may grow by a
fixed number a day), not the WeChat fans, and its own keyword auto-reply answers its `auto`
classes whatever the WeChat back end does. Its messages go straight to the agents: the WeChat
back-end server and its campaign windows do not see them.

Every draw comes from the `inbound.*` streams keyed by day, channel and class, so adding,
removing or resizing a channel leaves the WeChat stream's draws (and every other channel's)
exactly as they were: common random numbers across channel designs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model.rng import Streams
from sim.model.traffic import DaySample, HumanBatch, MessageStream
from sim.scenario.inbound import InboundSpec
from sim.scenario.timeline import Timeline

__all__ = ["InboundDay", "InboundStreams", "active_followers", "wechat_classes"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def wechat_classes(timeline: Timeline) -> int:
    """How many of the run's classes are WeChat's: they come first, inbound channels' after.

    Class names are unique across channels (`sim.scenario.inbound_rules`), so the class columns
    `range(wechat_classes(timeline))` are WeChat's and the rest belong to `[inbound.*]` channels.
    """
    return len(timeline.class_names) - sum(len(names) for _, names in timeline.channels)


def active_followers(spec: InboundSpec, day: int) -> float:
    """Active followers of a channel on `day` (the count grows by a fixed number a day)."""
    return (spec.followers + spec.growth_per_day * day) * spec.active_share


@dataclass(frozen=True)
class InboundDay:
    """One day of all inbound channels: counts per (interval, class), the routed messages.

    `routed` holds one time-ordered batch per channel on duty, in channel order; the engine
    merges them with WeChat's in one stable sort.
    """

    received: I64
    auto: I64
    routed: tuple[HumanBatch, ...]


class InboundStreams:
    """The scenario's inbound channels, sampled day by day into the run's class columns."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.class_names = timeline.class_names
        self.channels = tuple(name for name, _ in timeline.channels)
        self._streams: dict[tuple[str, int], MessageStream] = {}

    def _stream(self, channel: str, day: int) -> tuple[InboundSpec, MessageStream] | None:
        """The channel's spec and stream on `day` (None: the channel is off that day)."""
        sc = self.timeline.days[day]
        spec = sc.inbound.get(channel)
        if spec is None:
            return None
        key = (channel, id(sc))  # days of one phase share one scenario object
        stream = self._streams.get(key)
        if stream is None:
            stream = MessageStream(spec, sc.service, self.class_names)
            self._streams[key] = stream
        return spec, stream

    def sample_day(
        self, streams: Streams, day: int, t0: float, interval: float, per_day: int
    ) -> InboundDay:
        """Every channel's messages of `day`: the keyword-answered counted, the rest routed."""
        k = len(self.class_names)
        received = np.zeros((per_day, k), np.int64)
        auto = np.zeros((per_day, k), np.int64)
        batches: list[HumanBatch] = []
        for channel in self.channels:
            found = self._stream(channel, day)
            if found is None:
                continue
            spec, stream = found
            active = np.full(per_day, active_followers(spec, day))
            means = stream.day_means(t0, interval, active)
            idle = (streams.get("inbound.counts", day, channel),) * 4  # classes it lacks: unused
            per_class = [
                (
                    streams.get("inbound.counts", day, channel, n),
                    streams.get("inbound.messages", day, channel, n),
                    streams.get("inbound.handle", day, channel, n),
                    streams.get("inbound.patience", day, channel, n),
                )
                if c.handle is not None
                else idle
                for n, c in zip(self.class_names, stream.classes, strict=True)
            ]
            sample: DaySample = stream.sample_routed(means, t0, interval, per_class)
            received += sample.received
            auto += sample.auto
            batches.append(stream.human_batch(sample.messages))
        return InboundDay(received, auto, tuple(batches))
