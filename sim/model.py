"""The model: a SimPy clock driving the follower model, bulk message sampling and the queue.

SimPy schedules what happens per interval (sampling the stream, advancing the exact human queue)
and per day (the follower model: quality feedback, unfollows, follows); individual routed
messages live in `HumanQueue`. Phases change the scenario in force at midnight of their date.
`run_one(RunSpec)` is pure and picklable so experiments can farm replications out to processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.arrivals import MessageStream, Streams
from sim.config import Scenario, phase_segments
from sim.fans import FanBase, FixedFanBase
from sim.followers import DayOutcome, FollowerModel, FollowerTrace
from sim.queue import HumanQueue, QueueRecords
from sim.roster import DAY, StaffSchedule, build_schedule_by_day

__all__ = ["ModelResult", "RunSpec", "ServiceModel", "day_scenarios", "run_one"]

FEEDBACK_LAG_DAYS = 2  # outcomes of day d-2's messages feed day d (nearly all are settled)


@dataclass(frozen=True)
class RunSpec:
    """Everything one replication needs; `seed` is the root, `replication` picks the child."""

    scenario: Scenario
    seed: int
    replication: int = 0

    def seed_sequence(self) -> np.random.SeedSequence:
        """Child `replication` of the root seed, as `SeedSequence(seed).spawn(n)[replication]`."""
        return np.random.SeedSequence(self.seed, spawn_key=(self.replication,))


@dataclass(frozen=True)
class ModelResult:
    """Raw outcome of one replication; `sim.metrics` turns it into tables."""

    spec: RunSpec
    class_names: tuple[str, ...]
    interval_minutes: float
    interval_start: NDArray[np.float64]
    received: NDArray[np.int64]  # shape (intervals, classes)
    auto_replied: NDArray[np.int64]
    to_humans: NDArray[np.int64]
    fans: NDArray[np.float64]  # fans at each interval start
    queue: QueueRecords
    schedule: StaffSchedule
    followers: FollowerTrace | None  # None when the scenario has no channels


def day_scenarios(scenario: Scenario) -> list[Scenario]:
    """The scenario in force on each simulated day (phases applied)."""
    segments = phase_segments(scenario)
    start = scenario.scenario.start
    out: list[Scenario] = []
    k = 0
    for d in range(scenario.scenario.days):
        today = start + dt.timedelta(days=d)
        while k + 1 < len(segments) and segments[k + 1][0] <= today:
            k += 1
        out.append(segments[k][1])
    return out


class ServiceModel:
    """One account over the scenario's days: fans, the inbound stream and the agents."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: Streams,
        follower_seed: np.random.SeedSequence,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.days = scenario.scenario.days
        self.horizon = self.days * DAY
        self.interval = float(scenario.model.interval_minutes)
        self.by_day = day_scenarios(scenario)
        self._streams: dict[int, MessageStream] = {}
        self._stream_source = streams
        self.schedule = build_schedule_by_day([sc.service for sc in self.by_day])
        self.queue = HumanQueue(self.schedule)
        self.followers: FollowerModel | None = None
        self.fans: FanBase
        if any(sc.channels for sc in self.by_day):
            self.followers = FollowerModel(self.by_day, scenario.scenario.start, follower_seed)
            self.fans = self.followers
        else:
            self.fans = FixedFanBase(float(scenario.fans.initial), scenario.fans.active_share)
        self._progress = progress
        self._day_first_message: list[int] = []
        self._counts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
        self._fans: list[float] = []
        env.process(self._daily())  # created first: at midnight it runs before the sampling
        env.process(self._messages())

    def _stream(self, day: int) -> MessageStream:
        sc = self.by_day[day]
        key = id(sc)
        if key not in self._streams:
            self._streams[key] = MessageStream(sc.messages, sc.service, self._stream_source)
        return self._streams[key]

    def _outcome(self, day: int) -> DayOutcome | None:
        if day < 0:
            return None
        lo = self._day_first_message[day]
        hi = self._day_first_message[day + 1]
        target = self.by_day[day].service.first_response_target_minutes
        return DayOutcome(*self.queue.outcomes(lo, hi, target))

    def _daily(self) -> Generator[simpy.Event, None, None]:
        for day in range(self.days):
            self.queue.advance(float(self.env.now))
            self.queue.compact()
            self._day_first_message.append(self.queue.offered)
            if self.followers is not None:
                self.followers.step(day, self._outcome(day - FEEDBACK_LAG_DAYS))
            if self._progress is not None and day:
                self._progress(day, self.days)
            yield self.env.timeout(DAY)
        self._day_first_message.append(self.queue.offered)

    def _first_message_means(self, stream: MessageStream, t0: float) -> NDArray[np.float64] | None:
        """New fans' first messages today, spread over the day like the everyday stream."""
        if self.followers is None:
            return None
        today = self.followers.first_messages()
        if not today:
            return None
        extra = np.zeros(len(stream.classes))
        share = stream.hour_weight(t0) * self.interval / 60.0
        for name, count in today.items():
            extra[stream.class_index(name)] += count * share
        return extra

    def _messages(self) -> Generator[simpy.Event, None, None]:
        while self.env.now < self.horizon:
            t0 = float(self.env.now)
            day = int(t0 // DAY)
            stream = self._stream(day)
            back_end = self.by_day[day].service.back_end
            active = self.fans.active_at(t0)
            extra = self._first_message_means(stream, t0)
            counts, batch = stream.sample(t0, t0 + self.interval, active, back_end, extra)
            self.queue.offer(batch.arrival, batch.priority, batch.handle, batch.deadline, batch.cls)
            self._counts.append((counts.received, counts.auto_replied, counts.to_humans))
            self._fans.append(self.fans.fans_at(t0))
            yield self.env.timeout(self.interval)
            self.queue.advance(float(self.env.now))

    def run(self, spec: RunSpec) -> ModelResult:
        """Run to the horizon and collect the raw result."""
        self.env.run(until=self.horizon)
        self.queue.advance(self.horizon)
        if self._progress is not None:
            self._progress(self.days, self.days)
        names = self._stream(0).class_names
        k = len(names)
        stacked = [
            np.asarray([c[i] for c in self._counts], np.int64).reshape(-1, k) for i in range(3)
        ]
        return ModelResult(
            spec=spec,
            class_names=names,
            interval_minutes=self.interval,
            interval_start=np.arange(len(self._counts), dtype=np.float64) * self.interval,
            received=stacked[0],
            auto_replied=stacked[1],
            to_humans=stacked[2],
            fans=np.asarray(self._fans, np.float64),
            queue=self.queue.records(),
            schedule=self.schedule,
            followers=self.followers.trace() if self.followers is not None else None,
        )


def run_one(spec: RunSpec, progress: Callable[[int, int], None] | None = None) -> ModelResult:
    """Run one replication of `spec.scenario` with its own child seed."""
    env = simpy.Environment()
    seq = spec.seed_sequence()
    stream_seed, follower_seed = seq.spawn(2)
    streams = Streams.from_seed(stream_seed)
    model = ServiceModel(env, spec.scenario, streams, follower_seed, progress)
    return model.run(spec)
