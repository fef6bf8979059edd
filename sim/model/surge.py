"""Campaign days: bursts of messages, sampled one by one and sent through the back-end server.

On a day with campaigns, a window around them (the server's margins, aligned to the model's
interval grid) is sampled per second and per message: the everyday stream, new fans' first
messages and each campaign's burst. Every message goes to the back-end server (`sim.model.server`);
only messages the server answers (at any delivery) reach keyword auto-reply or the agents' queue.
A message that failed all deliveries is lost: the fan saw 该公众号暂时无法提供服务.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model.bursts import BurstSchedule
from sim.model.server import FAILED, ServerRecords, simulate_server
from sim.model.traffic import HumanBatch, IntervalCounts, MessageStream
from sim.scenario.load import CampaignSpec, Scenario

__all__ = [
    "NewFans",
    "SurgeWindow",
    "WindowSample",
    "campaign_bursts",
    "sample_window",
    "window_bounds",
]

DAY_MINUTES = 1440.0


@dataclass(frozen=True)
class NewFans:
    """People who follow to take part in a campaign, for the follower model."""

    source: str
    count: int
    gift_share: float
    channel: str | None


@dataclass(frozen=True)
class SurgeWindow:
    """A stretch of a campaign day simulated per message; times in minutes from the start."""

    start: float
    end: float
    campaigns: tuple[str, ...]
    bursts: tuple[tuple[int, BurstSchedule], ...]  # (message class, schedule in seconds)
    participants: int


@dataclass(frozen=True)
class WindowSample:
    """Every message of a window and what the server did with it."""

    window: SurgeWindow
    arrival_s: NDArray[np.float64]
    cls: NDArray[np.int64]
    auto: NDArray[np.bool_]
    failed: NDArray[np.bool_]
    human: HumanBatch  # routed messages the server let through
    server: ServerRecords | None
    background_per_second: NDArray[np.float64]  # expected everyday stream, per (second, class)
    expected_per_second: NDArray[np.float64]  # everything sampled from, per (second, class)

    def counts(self, t0: float, t1: float, classes: int) -> IntervalCounts:
        """Per-class counts of messages arriving in [t0, t1) minutes."""
        lo, hi = np.searchsorted(self.arrival_s, [t0 * 60.0, t1 * 60.0])
        cls = self.cls[lo:hi]
        auto, failed = self.auto[lo:hi], self.failed[lo:hi]

        def by_class(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
            return np.bincount(cls[mask], minlength=classes).astype(np.int64)

        everything = np.ones(cls.size, bool)
        return IntervalCounts(
            received=by_class(everything),
            auto_replied=by_class(auto & ~failed),
            to_humans=by_class(~auto & ~failed),
            failed_at_server=by_class(failed),
        )

    def human_between(self, t0: float, t1: float) -> HumanBatch:
        """Routed messages arriving in [t0, t1) minutes."""
        h = self.human
        lo, hi = np.searchsorted(h.arrival, [t0, t1])
        return HumanBatch(
            h.arrival[lo:hi], h.cls[lo:hi], h.priority[lo:hi], h.handle[lo:hi], h.deadline[lo:hi]
        )


def _seconds_since_start(scenario: Scenario, when: dt.datetime) -> float:
    midnight = dt.datetime.combine(scenario.scenario.start, dt.time())
    return (when - midnight).total_seconds()


def window_bounds(
    start: dt.date,
    scenario: Scenario,
    campaigns: dict[str, CampaignSpec],
    day: int,
    interval: float,
) -> tuple[float, float]:
    """Minutes (from `start`) of the window simulated per message around a day's campaigns.

    The server's margins widen it (without a server: 30 minutes after, for the bursts' tails);
    it is aligned to the model's interval grid and kept within the day.
    """
    server = scenario.server
    before = server.margin_before_minutes if server else 0.0
    after = server.margin_after_minutes if server else 30.0
    midnight = dt.datetime.combine(start, dt.time())
    first = min(c.start for c in campaigns.values())
    last = max(c.end for c in campaigns.values())
    lo = (first - midnight).total_seconds() / 60.0 - before
    hi = (last - midnight).total_seconds() / 60.0 + after
    lo = max(day * DAY_MINUTES, float(np.floor(lo / interval)) * interval)
    hi = min((day + 1) * DAY_MINUTES, float(np.ceil(hi / interval)) * interval)
    return lo, hi


def campaign_bursts(
    scenario: Scenario,
    campaigns: dict[str, CampaignSpec],
    active: float,
    classes: tuple[str, ...],
    rng: np.random.Generator,
    pools: dict[str, float] | None = None,
) -> tuple[tuple[tuple[int, BurstSchedule], ...], int, dict[str, NewFans]]:
    """Bursts of today's campaigns, the participants, and new fans per campaign.

    Participants are Binomial(active fans, `participation`) plus the people who follow to take
    part, Poisson(`new_fans_per_participant` per participating fan), capped by what is left of
    the campaign's channel pool (`pools`, by channel name) when it names one.
    """
    bursts: list[tuple[int, BurstSchedule]] = []
    participants = 0
    new_fans: dict[str, NewFans] = {}
    for name, c in campaigns.items():
        fans_taking_part = int(rng.binomial(int(active), c.participation))
        joiners = int(rng.poisson(fans_taking_part * c.new_fans_per_participant))
        if c.channel is not None and pools is not None:
            joiners = min(joiners, int(pools.get(c.channel, 0.0)))
        people = fans_taking_part + joiners
        participants += people
        new_fans[name] = NewFans(c.source, joiners, c.gift_share, c.channel)
        b = c.burst
        start = _seconds_since_start(scenario, c.start)
        end = _seconds_since_start(scenario, c.end)
        every = None if b.every_minutes is None else b.every_minutes * 60.0
        schedule = BurstSchedule.rounds(
            start,
            end,
            people * c.messages_per_participant,
            every,
            b.first_share,
            b.rise_seconds,
            b.decay_seconds,
        )
        bursts.append((classes.index(c.message_class), schedule))
    return tuple(bursts), participants, new_fans


def sample_window(
    scenario: Scenario,
    stream: MessageStream,
    window: SurgeWindow,
    active: float,
    first_messages: dict[str, float],
    back_end: bool,
    server_rng: np.random.Generator,
) -> WindowSample:
    """Sample the window's messages per second and run them through the server, if any."""
    first_s = window.start * 60.0
    seconds = first_s + np.arange(round((window.end - window.start) * 60.0), dtype=float)
    background = stream.background_per_second(seconds, active)
    means = background.copy()
    if first_messages:
        day_share = stream.hour_weights(seconds) / 3600.0
        for name, count in first_messages.items():
            means[:, stream.class_index(name)] += count * day_share
    for k, schedule in window.bursts:
        means[:, k] += schedule.expected(seconds, seconds + 1.0)
    arrival_s, cls, auto = stream.sample_seconds(first_s, means, back_end)
    server = scenario.server
    records: ServerRecords | None = None
    failed = np.zeros(arrival_s.size, bool)
    if server is not None:
        dist = server.service_time_seconds.build()
        service = dist.sample(server_rng, arrival_s.size)
        records = simulate_server(
            arrival_s,
            service,
            servers=server.instances * server.workers_per_instance,
            queue_limit=server.instances * server.queue_limit_per_instance,
            deadline=server.deadline_seconds,
            max_deliveries=server.max_deliveries,
            dedup=server.dedup,
            dedup_seconds=server.dedup_seconds,
            background_workers=None
            if server.reply == "sync"
            else server.instances
            * (server.background_workers_per_instance or server.workers_per_instance),
            ack_seconds=server.ack_seconds,
        )
        failed = records.outcome == FAILED
    routed = ~auto & ~failed
    human = stream.human_attributes(arrival_s[routed] / 60.0, cls[routed])
    return WindowSample(window, arrival_s, cls, auto, failed, human, records, background, means)
