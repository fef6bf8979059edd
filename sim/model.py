"""The service model: a SimPy clock driving bulk message sampling and the exact human queue.

SimPy schedules what happens per interval or per day (sampling the stream, later the follower
model, campaigns and pushes); individual routed messages live in `HumanQueue`, which advances in
bulk to each interval's end. `run_one(RunSpec)` is pure and picklable so experiments can farm
replications out to processes.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.arrivals import MessageStream, Streams
from sim.config import Scenario
from sim.fans import FanBase, FixedFanBase
from sim.queue import HumanQueue, QueueRecords
from sim.roster import DAY, StaffSchedule, build_schedule

__all__ = ["ModelResult", "RunSpec", "ServiceModel", "run_one"]


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


class ServiceModel:
    """One account's inbound service over the scenario's days."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: Streams,
        fans: FanBase,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.env = env
        self.scenario = scenario
        self.days = scenario.scenario.days
        self.horizon = self.days * DAY
        self.interval = float(scenario.model.interval_minutes)
        self.stream = MessageStream(scenario.messages, scenario.service, streams)
        self.schedule = build_schedule(scenario.service, self.days)
        self.queue = HumanQueue(self.schedule)
        self.fans = fans
        self._progress = progress
        self._counts: list[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]] = []
        self._fans: list[float] = []
        env.process(self._messages())
        if progress is not None:
            env.process(self._days())

    def _messages(self) -> Generator[simpy.Event, None, None]:
        back_end = self.scenario.service.back_end
        while self.env.now < self.horizon:
            t0 = float(self.env.now)
            fans = self.fans.fans_at(t0)
            counts, batch = self.stream.sample(t0, t0 + self.interval, fans, back_end)
            self.queue.offer(batch.arrival, batch.priority, batch.handle, batch.deadline, batch.cls)
            self._counts.append((counts.received, counts.auto_replied, counts.to_humans))
            self._fans.append(fans)
            yield self.env.timeout(self.interval)
            self.queue.advance(float(self.env.now))

    def _days(self) -> Generator[simpy.Event, None, None]:
        assert self._progress is not None
        for day in range(self.days):
            yield self.env.timeout(DAY)
            self._progress(day + 1, self.days)

    def run(self, spec: RunSpec) -> ModelResult:
        """Run to the horizon and collect the raw result."""
        self.env.run(until=self.horizon)
        self.queue.advance(self.horizon)
        k = len(self.stream.classes)
        stacked = [
            np.asarray([c[i] for c in self._counts], np.int64).reshape(-1, k) for i in range(3)
        ]
        return ModelResult(
            spec=spec,
            class_names=self.stream.class_names,
            interval_minutes=self.interval,
            interval_start=np.arange(len(self._counts), dtype=np.float64) * self.interval,
            received=stacked[0],
            auto_replied=stacked[1],
            to_humans=stacked[2],
            fans=np.asarray(self._fans, np.float64),
            queue=self.queue.records(),
            schedule=self.schedule,
        )


def run_one(spec: RunSpec, progress: Callable[[int, int], None] | None = None) -> ModelResult:
    """Run one replication of `spec.scenario` with its own child seed."""
    env = simpy.Environment()
    streams = Streams.from_seed(spec.seed_sequence())
    fans = FixedFanBase(float(spec.scenario.fans.initial))
    model = ServiceModel(env, spec.scenario, streams, fans, progress)
    return model.run(spec)
