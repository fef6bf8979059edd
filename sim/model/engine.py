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

from sim.model.fans import FanBase, FixedFanBase
from sim.model.followers import DayOutcome, FollowerModel, FollowerTrace
from sim.model.human_queue import HumanQueue, QueueRecords
from sim.model.roster import DAY, StaffSchedule, build_schedule_by_day
from sim.model.surge import SurgeWindow, WindowSample, campaign_bursts, sample_window, window_bounds
from sim.model.traffic import IntervalCounts, MessageStream, Streams
from sim.scenario.load import Scenario, phase_segments

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
    """Raw outcome of one replication; `sim.results.summary` turns it into tables."""

    spec: RunSpec
    class_names: tuple[str, ...]
    interval_minutes: float
    received: NDArray[np.int64]  # shape (intervals, classes)
    auto_replied: NDArray[np.int64]
    to_humans: NDArray[np.int64]
    server_failed: NDArray[np.int64]  # lost at the back-end server (campaign windows only)
    fans: NDArray[np.float64]  # fans at each interval start
    queue: QueueRecords
    schedule: StaffSchedule
    followers: FollowerTrace | None  # None when the scenario has no channels
    windows: tuple[WindowSample, ...]  # campaign windows simulated per message


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
        server_seed: np.random.SeedSequence | None = None,
        campaign_seed: np.random.SeedSequence | None = None,
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
        grows = any(
            sc.channels or any(c.new_fans_per_participant > 0 for c in sc.campaigns.values())
            for sc in self.by_day
        )
        if grows:
            self.followers = FollowerModel(self.by_day, scenario.scenario.start, follower_seed)
            self.fans = self.followers
        else:
            self.fans = FixedFanBase(float(scenario.fans.initial), scenario.fans.active_share)
        self._progress = progress
        self._server_rng = np.random.default_rng(server_seed)
        self._campaign_rng = np.random.default_rng(campaign_seed)
        self._window: WindowSample | None = None
        self._windows: list[WindowSample] = []
        self._day_first_message: list[int] = []
        self._counts: list[IntervalCounts] = []
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
            self._start_campaigns(day)
            if self._progress is not None and day:
                self._progress(day, self.days)
            yield self.env.timeout(DAY)
        self._day_first_message.append(self.queue.offered)

    def _start_campaigns(self, day: int) -> None:
        """Sample today's campaign window (if any) per message and run it through the server."""
        sc = self.by_day[day]
        today = self.scenario.scenario.start + dt.timedelta(days=day)
        campaigns = {n: c for n, c in sc.campaigns.items() if c.start.date() == today}
        if not campaigns:
            return
        stream = self._stream(day)
        t = float(self.env.now)
        bursts, participants, joiners = campaign_bursts(
            self.scenario,
            campaigns,
            self.fans.active_at(t),
            stream.class_names,
            self._campaign_rng,
            self.followers.remaining_pools(day) if self.followers is not None else None,
        )
        if self.followers is not None:
            for new in joiners.values():
                self.followers.add_follows(day, new.source, new.count, new.gift_share, new.channel)
        lo, hi = window_bounds(self.scenario.scenario.start, sc, campaigns, day, self.interval)
        window = SurgeWindow(lo, hi, tuple(campaigns), bursts, participants)
        first_messages = self.followers.first_messages() if self.followers else {}
        self._window = sample_window(
            sc,
            stream,
            window,
            self.fans.active_at(t),
            first_messages,
            sc.service.back_end,
            self._server_rng,
        )
        self._windows.append(self._window)

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
            t1 = t0 + self.interval
            w = self._window
            if w is not None and w.window.start <= t0 and t1 <= w.window.end:
                counts = w.counts(t0, t1, len(stream.classes))
                batch = w.human_between(t0, t1)
            else:
                back_end = self.by_day[day].service.back_end
                active = self.fans.active_at(t0)
                extra = self._first_message_means(stream, t0)
                counts, batch = stream.sample(t0, t1, active, back_end, extra)
            self.queue.offer(batch.arrival, batch.priority, batch.handle, batch.deadline, batch.cls)
            self._counts.append(counts)
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

        def stacked(field: str) -> NDArray[np.int64]:
            rows = [getattr(c, field) for c in self._counts]
            return np.asarray(rows, np.int64).reshape(-1, len(names))

        return ModelResult(
            spec=spec,
            class_names=names,
            interval_minutes=self.interval,
            received=stacked("received"),
            auto_replied=stacked("auto_replied"),
            to_humans=stacked("to_humans"),
            server_failed=stacked("failed_at_server"),
            fans=np.asarray(self._fans, np.float64),
            queue=self.queue.records(),
            schedule=self.schedule,
            followers=self.followers.trace() if self.followers is not None else None,
            windows=tuple(self._windows),
        )


def run_one(spec: RunSpec, progress: Callable[[int, int], None] | None = None) -> ModelResult:
    """Run one replication of `spec.scenario` with its own child seed."""
    env = simpy.Environment()
    seq = spec.seed_sequence()
    stream_seed, follower_seed, server_seed, campaign_seed = seq.spawn(4)
    streams = Streams.from_seed(stream_seed)
    model = ServiceModel(
        env, spec.scenario, streams, follower_seed, progress, server_seed, campaign_seed
    )
    return model.run(spec)
