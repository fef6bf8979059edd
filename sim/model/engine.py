"""The engine: a SimPy day clock driving the follower model, the day's traffic and the queue.

At each midnight, in this order: the human queue catches up to the clock; the follower model
takes its day step (quality feedback from day d-2, unfollows, follows); today's campaigns draw
their participants (newcomers follow at the campaign's start); the whole day's messages are
sampled at once (`sim.model.traffic`), campaign windows go through the back-end server
(`sim.model.surge`), and the routed messages are offered to the exact queue, which serves them
as the clock runs to the next midnight. Phases come from the scenario's timeline, resolved once
at load. `run_one(RunSpec)` is pure and picklable so experiments can farm replications out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator
from dataclasses import dataclass, field

import numpy as np
import simpy
from numpy.typing import NDArray

from sim.model.activation import activation_reply_means
from sim.model.campaign_log import CampaignDay
from sim.model.campaigns import Scheduled, brings_fans
from sim.model.cascades import CascadeResult
from sim.model.fans import FanBase, FixedFanBase
from sim.model.followers import DayOutcome, FollowerModel, FollowerTrace
from sim.model.group_queue import GroupQueue, GroupRecords
from sim.model.groups import scenario_groups
from sim.model.human_queue import COMPACT_AT_LEAST, HumanQueue, QueueRecords
from sim.model.inbound import InboundStreams, wechat_classes
from sim.model.launch import Launcher
from sim.model.pushes import PushResult, push_unfollows, reply_means, sms_price
from sim.model.rng import Streams
from sim.model.roster import StaffSchedule, build_schedule_by_day
from sim.model.surge import (
    Campaigning,
    SurgeWindow,
    WindowInputs,
    WindowSample,
    campaign_bursts,
    draw_participants,
    sample_window,
    window_bounds,
)
from sim.model.tally import ServiceTally
from sim.model.traffic import DayCounts, HumanBatch, Messages, MessageStream
from sim.scenario.schema import CampaignSpec, Scenario
from sim.scenario.timeline import Timeline, resolve_timeline
from sim.units import DAY, SECONDS_PER_MINUTE

__all__ = ["FEEDBACK_LAG_DAYS", "ModelResult", "RunSpec", "ServiceModel", "run_one"]

FEEDBACK_LAG_DAYS = 2  # outcomes of day d-2's messages feed day d (nearly all are settled)

Progress = Callable[..., None]
"""`progress(done_days, total_days, note="")`: called after each day and during long windows."""


@dataclass(frozen=True)
class RunSpec:
    """Everything one replication needs: the scenario, the root seed and the replication."""

    scenario: Scenario
    seed: int
    replication: int = 0

    def streams(self) -> Streams:
        """The named random streams of this replication."""
        return Streams(self.seed, self.replication)

    @property
    def timeline(self) -> Timeline:
        """The scenario's days with phases applied (resolved once per scenario object)."""
        return resolve_timeline(self.scenario)


@dataclass(frozen=True)
class ModelResult:
    """Raw outcome of one replication; `sim.results` turns it into tables."""

    spec: RunSpec
    class_names: tuple[str, ...]
    interval_minutes: float
    received: NDArray[np.int64]  # shape (intervals, classes)
    auto_replied: NDArray[np.int64]
    to_humans: NDArray[np.int64]
    server_failed: NDArray[np.int64]  # lost at the back-end server (campaign windows only)
    fans: NDArray[np.float64]  # fans at each interval start
    tally: ServiceTally  # the routed messages' figures, gathered as the queue settled them
    schedule: StaffSchedule
    followers: FollowerTrace | None  # None when the scenario has no channels
    windows: tuple[WindowSample, ...]  # campaign windows simulated per message
    cascades: tuple[CascadeResult, ...] = ()  # one per campaign day with a cascade
    pushes: tuple[PushResult, ...] = ()  # dated pushes sent
    groups: GroupRecords | None = None  # per message skill and group: grouped agents, records
    # participants drawn per campaign over its days, warm-up arrivals included (cascade joiners
    # are in `cascades`)
    participants: dict[str, int] = field(default_factory=dict)
    # per campaign and day (negative: warm-up days before the run): reached, participants, shares
    campaign_days: dict[str, dict[int, CampaignDay]] = field(default_factory=dict)
    queue: QueueRecords | None = None  # every routed message: only when asked (`records`)


def _grows(scenario: Scenario) -> bool:
    return any(
        sc.channels or any(brings_fans(c) for c in sc.campaigns.values())
        for sc in resolve_timeline(scenario).days
    )


class ServiceModel:
    """One account over the scenario's days: fans, the inbound stream and the agents."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: Streams,
        progress: Progress | None = None,
        records: bool = False,
        compact_at_least: int = COMPACT_AT_LEAST,
    ) -> None:
        self.env = env
        self.records = records
        self.scenario = scenario
        self.timeline = resolve_timeline(scenario)
        self.by_day = self.timeline.days
        self.class_names = self.timeline.class_names
        self.days = scenario.scenario.days
        self.horizon = self.days * DAY
        self.interval = float(scenario.model.interval_minutes)
        self.per_day = round(DAY / self.interval)
        self._streams = streams
        self._message_streams: dict[int, MessageStream] = {}
        self.queue: HumanQueue
        channels = dict(self.timeline.channels)
        self.wechat_classes = wechat_classes(self.timeline)
        self.inbound = InboundStreams(self.timeline) if channels else None
        services = [sc.service for sc in self.by_day]
        grouped = scenario_groups(services, self.class_names, channels)
        if grouped is None:
            self.schedule = build_schedule_by_day([sc.service for sc in self.by_day])
            self.queue = HumanQueue(self.schedule, compact_at_least=compact_at_least)
        else:  # agent groups: a message's skill is its class
            self.schedule = grouped.total
            self.queue = GroupQueue(
                grouped.groups, len(self.class_names), compact_at_least=compact_at_least
            )
        self.followers: FollowerModel | None = None
        self.fans: FanBase
        if _grows(scenario):
            self.followers = FollowerModel(self.by_day, scenario.scenario.start, streams)
            self.fans = self.followers
        else:
            self.fans = FixedFanBase(float(scenario.fans.initial), scenario.fans.active_share)
        self.tally = ServiceTally(self.timeline, self.horizon)
        self._progress = progress
        self._windows: list[WindowSample] = []
        self._day_first_message: list[int] = []
        self._counts: list[DayCounts] = []
        self._fans: list[NDArray[np.float64]] = []
        self.scheduled = Scheduled(self.days, self.per_day, self.interval, len(self.class_names))
        self.launcher = Launcher(self.timeline, streams, self.scheduled, self.class_names)
        self._pushes: list[PushResult] = []
        self._participants: dict[str, int] = {}
        env.process(self._run_days())

    def _stream(self, day: int) -> MessageStream:
        sc = self.by_day[day]
        stream = self._message_streams.get(id(sc))  # days of one phase share one object
        if stream is None:
            stream = MessageStream(sc.messages, sc.service, self.class_names)
            self._message_streams[id(sc)] = stream
        return stream

    def _outcome(self, day: int) -> DayOutcome | None:
        if day < 0:
            return None
        lo = self._day_first_message[day]
        hi = self._day_first_message[day + 1]
        target = self.by_day[day].service.first_response_target_minutes
        # WeChat fans judge WeChat's service: other channels' messages do not feed their quality
        below = self.wechat_classes if self.inbound is not None else None
        return DayOutcome(*self.queue.outcomes(lo, hi, target, below), day=day)

    def _run_days(self) -> Generator[simpy.Event, None, None]:
        for day in range(self.days):
            self.queue.advance(float(self.env.now))
            if self.queue.compact():
                self.tally.add(self.queue.settled_chunk(), self.queue.frontier)
            self._day_first_message.append(self.queue.offered)
            if self.followers is not None:
                self.followers.step(day, self._outcome(day - FEEDBACK_LAG_DAYS))
            else:  # a fixed count, but a phase may change who of them is active
                fans = self.by_day[day].fans
                self.fans = FixedFanBase(float(fans.initial), fans.active_share)
            if not self.records and day >= FEEDBACK_LAG_DAYS - 1:
                # tomorrow's feedback reads day d-1's messages: older chunks are let go
                self.queue.forget(self._day_first_message[day - FEEDBACK_LAG_DAYS + 1])
            self._send_pushes(day)
            pools = self.followers.remaining_pools(day) if self.followers is not None else None
            self.launcher.warm_up(day, pools)
            self._sample_day(day)
            if self._progress is not None and day:
                self._progress(day, self.days)
            yield self.env.timeout(DAY)
        self._day_first_message.append(self.queue.offered)

    def _first_messages(self) -> NDArray[np.float64] | None:
        """New fans' expected first messages today, by class."""
        if self.followers is None:
            return None
        today = self.followers.first_messages()
        if not today:
            return None
        out = np.zeros(len(self.class_names))
        for name, count in today.items():
            out[self.class_names.index(name)] += count
        return out

    def _sample_day(self, day: int) -> None:
        """Draw the day's messages, run campaign windows through the server, offer the routed."""
        sc = self.by_day[day]
        stream = self._stream(day)
        t0 = day * DAY
        starts = t0 + self.interval * np.arange(self.per_day)
        fans = np.full(self.per_day, self.fans.fans_at(t0))
        active = np.full(self.per_day, self.fans.active_at(t0))
        campaigns = self.launcher.resolve(day, sc, float(active[0]))
        drawn: tuple[Campaigning, ...] = ()
        if campaigns:
            pools = self.followers.remaining_pools(day) if self.followers is not None else None
            start = self.scenario.scenario.start
            drawn = draw_participants(campaigns, active[0], self._streams, day, start, pools)
            drawn = self.launcher.launch(day, campaigns, drawn, pools)
            for d in drawn:
                self._participants[d.name] = self._participants.get(d.name, 0) + d.participants
                new = d.new_fans
                if self.followers is not None and new.count > 0:
                    self.followers.add_follows(
                        day, new.source, new.count, new.gift_share, new.channel, d.name
                    )
                # newcomers count from the campaign's start (pro rata in its interval)
                share = np.clip((starts + self.interval - new.start_minute) / self.interval, 0, 1)
                fans += new.count * share
                active += new.count * share * sc.fans.active_share
        self._scheduled_follows(day)
        self._activate(day)
        added = self.scheduled.fans_added(day)
        fans += added
        active += added * sc.fans.active_share
        first = self._first_messages()
        back_end = sc.service.back_end
        window = None
        if campaigns:
            window = window_bounds(self.scenario.scenario.start, sc, campaigns, day, self.interval)
        scheduled = self.scheduled.messages(day)
        sample = stream.sample_day(
            self._streams, day, t0, self.interval, active, first, back_end, window, scheduled
        )
        received, auto = sample.received, sample.auto
        failed = np.zeros_like(received)
        routed = stream.human_batch(sample.messages)
        if window is not None:
            extra = sum((m for _, m in scheduled), np.zeros((self.per_day, len(self.class_names))))
            counts, routed = self._campaign_window(
                day, stream, sample.messages, active, first, extra, drawn, window, campaigns
            )
            a, b = (round((x - t0) / self.interval) for x in window)
            received, auto, failed = received.copy(), auto.copy(), failed.copy()
            received[a:b] = counts.received[a:b]
            auto[a:b] = counts.auto_replied[a:b]
            failed[a:b] = counts.failed_at_server[a:b]
        if self.inbound is not None:  # other channels: their own followers, straight to agents
            other = self.inbound.sample_day(self._streams, day, t0, self.interval, self.per_day)
            received, auto = received + other.received, auto + other.auto
            routed = HumanBatch.merge([routed, *other.routed])
        self._counts.append(DayCounts(received, auto, received - auto - failed, failed))
        self._fans.append(fans)
        batch = (routed.arrival, routed.priority, routed.handle, routed.deadline)
        if isinstance(self.queue, GroupQueue):
            self.queue.offer(*batch, routed.cls, skill=routed.cls)
        else:
            self.queue.offer(*batch, routed.cls)

    def _campaign_window(
        self,
        day: int,
        stream: MessageStream,
        kept: Messages,
        active: NDArray[np.float64],
        first: NDArray[np.float64] | None,
        scheduled: NDArray[np.float64],
        drawn: tuple[Campaigning, ...],
        bounds: tuple[float, float],
        campaigns: dict[str, CampaignSpec],
    ) -> tuple[DayCounts, HumanBatch]:
        """The window through the server: its counts per interval, and the day's routed messages.

        `kept` holds the day's routed candidates and every everyday message inside the window,
        the scheduled ones (cascades, push replies, activation) among them; `scheduled` holds
        their expected counts per (interval, class), spread evenly within each interval as
        they are sampled, so that the window's expected load counts them.
        """
        sc = self.by_day[day]
        lo, hi = bounds
        bursts = campaign_bursts(self.scenario.scenario.start, campaigns, drawn, self.class_names)
        window = SurgeWindow(
            lo,
            hi,
            tuple(campaigns),
            tuple((c, s) for _, c, s in bursts),
            sum(d.participants for d in drawn),
        )
        inside = (kept.time >= lo) & (kept.time < hi)
        seconds = lo * SECONDS_PER_MINUTE + np.arange(round((hi - lo) * SECONDS_PER_MINUTE))
        slot = ((seconds / SECONDS_PER_MINUTE - day * DAY) // self.interval).astype(np.int64)
        inputs = WindowInputs(
            burst_names=tuple(name for name, _, _ in bursts),
            everyday=kept.take(inside),
            active_per_second=active[np.minimum(slot, self.per_day - 1)],
            scheduled_per_second=scheduled[np.minimum(slot, self.per_day - 1)]
            / (self.interval * SECONDS_PER_MINUTE),
            first_messages=first,
        )
        _, sample = sample_window(
            sc, stream, window, inputs, self._streams, day, self._server_progress(day)
        )
        self._windows.append(sample)
        outside = stream.human_batch(kept.take(~inside))
        routed = HumanBatch.merge([outside, sample.human])
        counts = sample.interval_counts(day * DAY, self.interval, self.per_day, len(stream.auto))
        return counts, routed

    def _send_pushes(self, day: int) -> None:
        """Today's pushes: unfollows among their recipients now, replies over the next hours.

        On a fixed fan base every fan is one untagged cohort and nobody unfollows.
        """
        sc = self.by_day[day]
        today = self.timeline.date(day)
        for name, push in sc.pushes.sends.items():
            if push.at.date() != today:
                continue
            if self.followers is not None:
                cohorts, sources = self.followers.cohort_table(), self.followers.sources
            else:
                cohorts = np.asarray([[[int(self.fans.fans_at(day * DAY)), 0]]], np.int64)
                sources = ("initial",)
            u = self._streams.get("push.unfollow", day, name).random((2, *cohorts.shape))
            leaving, recipients, relevant = push_unfollows(
                push, cohorts, sources, self.timeline.start, sc.fans.active_share, u
            )
            gone = 0
            if self.followers is not None:
                self.followers.remove(leaving)
                gone = int(leaving.sum())
            replies = recipients * push.reply_rate
            if replies > 0 and push.reply_class is not None:
                sent = (
                    push.at - dt.datetime.combine(self.timeline.start, dt.time())
                ).total_seconds()
                n = (self.days - day) * self.per_day
                means = reply_means(
                    replies, sent / 60.0, day * DAY, self.interval, n, push.reply_mean_hours
                )
                cls = self.class_names.index(push.reply_class)
                self.scheduled.add_messages("push.replies", day * self.per_day, means, cls)
            cost = recipients * sms_price(sc)
            self._pushes.append(PushResult(name, day, recipients, relevant, gone, replies, cost))

    def _activate(self, day: int) -> None:
        """Schedule replies to the activation sequence of today's new fans."""
        spec = self.by_day[day].activation
        if spec is None or self.followers is None:
            return
        follows = self.followers.follows_today()
        if follows <= 0:
            return
        longest = max(s.after_hours for s in spec.steps) / 24.0 + 10 * spec.reply_mean_hours / 24
        n = min(self.days - day, int(np.ceil(longest)) + 1) * self.per_day
        means = activation_reply_means(spec, follows, day * DAY, self.interval, n)
        cls = self.class_names.index(spec.reply_class)
        self.scheduled.add_messages("activation.replies", day * self.per_day, means, cls)

    def _scheduled_follows(self, day: int) -> None:
        """Today's follows from earlier launches (cascades), capped by their channel's pool."""
        if self.followers is None:
            return
        for f in self.scheduled.follows(day):
            n = f.count
            if f.channel is not None:
                n = min(n, int(self.followers.remaining_pools(day).get(f.channel, 0.0)))
            self.followers.add_follows(day, f.source, n, f.gift_share, f.channel, f.campaign)

    def _server_progress(self, day: int) -> Callable[[int, int], None] | None:
        report = self._progress
        if report is None:
            return None

        def window(done: int, total: int) -> None:
            report(day, self.days, f"campaign window: {done:,}/{total:,} messages")

        return window

    def run(self, spec: RunSpec) -> ModelResult:
        """Run to the horizon and collect the raw result."""
        self.env.run(until=self.horizon)
        self.queue.advance(self.horizon)
        self.tally.finish(self.queue.rest(), *self.queue.present())
        if self._progress is not None:
            self._progress(self.days, self.days)
        k = len(self.class_names)
        groups = None
        if self.records and isinstance(self.queue, GroupQueue):
            groups = self.queue.group_records()

        def stacked(field: str) -> NDArray[np.int64]:
            rows = [getattr(c, field) for c in self._counts]
            return np.concatenate(rows).astype(np.int64).reshape(-1, k)

        return ModelResult(
            spec=spec,
            class_names=self.class_names,
            interval_minutes=self.interval,
            received=stacked("received"),
            auto_replied=stacked("auto_replied"),
            to_humans=stacked("to_humans"),
            server_failed=stacked("failed_at_server"),
            fans=np.concatenate(self._fans).astype(np.float64),
            tally=self.tally,
            schedule=self.schedule,
            followers=self.followers.trace() if self.followers is not None else None,
            windows=tuple(self._windows),
            cascades=tuple(self.launcher.cascades),
            pushes=tuple(self._pushes),
            groups=groups,
            participants=dict(self._participants),
            campaign_days=self.launcher.log.frozen(),
            queue=self.queue.records() if self.records else None,
        )


def run_one(spec: RunSpec, progress: Progress | None = None, records: bool = False) -> ModelResult:
    """Run one replication of `spec.scenario` with its own named random streams.

    With `records` the result keeps every routed message (`ModelResult.queue`), which costs
    memory in proportion to them; the tables need only the tally.
    """
    env = simpy.Environment()
    model = ServiceModel(env, spec.scenario, spec.streams(), progress, records)
    return model.run(spec)
