"""Campaign days: who takes part, their bursts of messages, and the window through the server.

On a day with campaigns, a window around them (the server's margins, aligned to the model's
interval grid, within the day) is simulated per message through the back-end server
(`sim.model.server`): the day's everyday messages that fall in it, new fans' first messages and
each campaign's burst, sampled per second from the campaign's own random stream. Only messages
the server answers (at any delivery) reach keyword auto-reply or the agents' queue; a message
that failed all deliveries is lost (the fan saw 该公众号暂时无法提供服务).

Participants are drawn at midnight from the fans of the day; people who follow to take part are
fans (and active) from the campaign's start, not from midnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sim.errors import Problem, ScenarioError
from sim.model.bursts import BurstSchedule
from sim.model.coupled import binomial_at, poisson_at
from sim.model.rng import Streams
from sim.model.server import FAILED, BackEnd, ServerRecords, serve, server_default
from sim.model.traffic import DayCounts, HumanBatch, Messages, MessageStream
from sim.scenario.schema import CampaignSpec, Scenario, ServerSpec

__all__ = [
    "EVERYDAY",
    "Campaigning",
    "NewFans",
    "SurgeWindow",
    "WindowInputs",
    "WindowSample",
    "campaign_bursts",
    "draw_participants",
    "sample_window",
    "window_bounds",
]

DAY_MINUTES = 1440.0
EVERYDAY = "everyday"  # server-stream key of the everyday messages in a window
# without a server the bursts' tails still get the server's default margin after a campaign
MARGIN_AFTER_MINUTES: float = server_default("margin_after_minutes")
LOST_TAIL_SHARE = 1e-3  # a burst may lose at most this share of its messages past the window


@dataclass(frozen=True)
class NewFans:
    """People who follow to take part in a campaign, for the follower model."""

    source: str
    count: int
    gift_share: float
    channel: str | None
    start_minute: float  # they follow (and become active) at the campaign's start


@dataclass(frozen=True)
class Campaigning:
    """A campaign's draw for the day: people taking part and newcomers among them."""

    name: str
    participants: int
    new_fans: NewFans


@dataclass(frozen=True)
class SurgeWindow:
    """A stretch of a campaign day simulated per message; times in minutes from the start."""

    start: float
    end: float
    campaigns: tuple[str, ...]
    bursts: tuple[tuple[int, BurstSchedule], ...]  # (message class, schedule in seconds)
    participants: int


@dataclass(frozen=True)
class WindowInputs:
    """What the day already sampled for its window: the messages and expected rates inside it."""

    burst_names: tuple[str, ...]  # the campaign of each of the window's bursts
    everyday: Messages  # the day's messages inside the window (scheduled ones among them)
    active_per_second: NDArray[np.float64]  # active fans in each second
    scheduled_per_second: NDArray[np.float64]  # expected scheduled messages per (second, class)
    first_messages: NDArray[np.float64] | None  # new fans' first messages per class, if any


@dataclass(frozen=True)
class WindowSample:
    """Every message of a window and what the server did with it."""

    window: SurgeWindow
    arrival_s: NDArray[np.float64]
    cls: NDArray[np.int64]
    auto: NDArray[np.bool_]
    failed: NDArray[np.bool_]
    service_s: NDArray[np.float64]  # back-end service time of each message (s)
    candidates: HumanBatch  # messages not auto-answered, whether or not the server let them in
    candidate_index: NDArray[np.int64]  # their positions in the window's arrays
    server: ServerRecords | None
    background_per_second: NDArray[np.float64]  # expected everyday stream, per (second, class)
    expected_per_second: NDArray[np.float64]  # everything sampled from, per (second, class)

    def interval_counts(self, first: float, interval: float, n: int, k: int) -> DayCounts:
        """Per (interval, class) counts of the window's messages; slots of `interval` from `first`.

        Slots outside the window count nothing.
        """
        slot = np.clip((self.arrival_s / 60.0 - first) // interval, 0, n - 1).astype(np.int64)
        cell = slot * k + self.cls

        def count(mask: NDArray[np.bool_]) -> NDArray[np.int64]:
            return np.bincount(cell[mask], minlength=n * k).reshape(n, k).astype(np.int64)

        return DayCounts(
            received=count(np.ones(self.cls.size, bool)),
            auto_replied=count(self.auto & ~self.failed),
            to_humans=count(~self.auto & ~self.failed),
            failed_at_server=count(self.failed),
        )

    @property
    def human(self) -> HumanBatch:
        """Routed messages the server let through."""
        return self.candidates.take(~self.failed[self.candidate_index])


def _minutes_since_start(start: dt.date, when: dt.datetime) -> float:
    return (when - dt.datetime.combine(start, dt.time())).total_seconds() / 60.0


def window_bounds(
    start: dt.date,
    scenario: Scenario,
    campaigns: Mapping[str, CampaignSpec],
    day: int,
    interval: float,
) -> tuple[float, float]:
    """Minutes (from `start`) of the window simulated per message around a day's campaigns.

    The server's margins widen it (without a server: its default margin after, for the bursts'
    tails); it is aligned to the model's interval grid and kept within the day. Where a burst would
    still lose more than 0.1% of its messages past the margin, the window runs on, interval by
    interval, until it does not: messages outside the window are never sampled. Raises
    `ScenarioError` if midnight would cut off more than 0.1% of a campaign's burst (move the
    campaign earlier or shorten `burst.decay_seconds`).
    """
    server = scenario.server
    before = server.margin_before_minutes if server else 0.0
    after = server.margin_after_minutes if server else MARGIN_AFTER_MINUTES
    first = min(_minutes_since_start(start, c.start) for c in campaigns.values())
    last = max(_minutes_since_start(start, c.end) for c in campaigns.values())
    midnight = (day + 1) * DAY_MINUTES
    lo = max(day * DAY_MINUTES, float(np.floor((first - before) / interval)) * interval)
    hi = min(midnight, float(np.ceil((last + after) / interval)) * interval)
    for name, c in campaigns.items():
        b = c.burst
        every = None if b.every_minutes is None else b.every_minutes * 60.0
        begin, end = (_minutes_since_start(start, t) * 60.0 for t in (c.start, c.end))
        unit = BurstSchedule.rounds(
            begin, end, 1.0, every, b.first_share, b.rise_seconds, b.decay_seconds
        )
        while hi < midnight and 1.0 - float(unit.expected(begin, hi * 60.0)) > LOST_TAIL_SHARE:
            hi = min(midnight, hi + interval)  # the tail outside the window would be lost
        lost = 1.0 - float(unit.expected(begin, midnight * 60.0))
        if lost > LOST_TAIL_SHARE:
            rule = (
                f"the burst's tail runs past midnight ({lost:.2%} of its messages would be "
                "lost): end the campaign earlier or shorten burst.decay_seconds"
            )
            raise ScenarioError([Problem(f"campaigns.{name}.end", rule, c.end.isoformat(), True)])
    return lo, hi


def draw_participants(
    campaigns: Mapping[str, CampaignSpec],
    active: float,
    streams: Streams,
    day: int,
    start: dt.date,
    pools: Mapping[str, float] | None = None,
) -> tuple[Campaigning, ...]:
    """Today's participants per campaign, each from the campaign's own stream.

    Participants are Binomial(active fans, `participation`) plus the people who follow to take
    part, Poisson(`new_fans_per_participant` per participating fan), capped by what is left of
    the campaign's channel pool (`pools`, by channel name) when it names one. Campaigns of one
    day through one channel share its pool: each takes from what the earlier ones left. Both
    counts invert one uniform each (quantile coupling), so under common random numbers a higher
    participation never gives fewer participants. `participation` must be resolved (not None).
    """
    out = []
    left = dict(pools) if pools is not None else None
    for name, c in campaigns.items():
        u = streams.get("campaign.participants", day, name).random(2)
        taking_part = binomial_at(float(u[0]), active, c.participation or 0.0)
        joiners = poisson_at(float(u[1]), taking_part * c.new_fans_per_participant)
        if c.channel is not None and left is not None:
            joiners = min(joiners, int(left.get(c.channel, 0.0)))
            left[c.channel] = left.get(c.channel, 0.0) - joiners
        at = _minutes_since_start(start, c.start)
        new = NewFans(c.source, joiners, c.gift_share, c.channel, at)
        out.append(Campaigning(name, taking_part + joiners, new))
    return tuple(out)


def campaign_bursts(
    start: dt.date,
    campaigns: Mapping[str, CampaignSpec],
    drawn: tuple[Campaigning, ...],
    classes: tuple[str, ...],
) -> tuple[tuple[str, int, BurstSchedule], ...]:
    """(campaign, message class, schedule in seconds) of each of today's campaigns."""
    out = []
    for d in drawn:
        c = campaigns[d.name]
        b = c.burst
        every = None if b.every_minutes is None else b.every_minutes * 60.0
        schedule = BurstSchedule.rounds(
            _minutes_since_start(start, c.start) * 60.0,
            _minutes_since_start(start, c.end) * 60.0,
            d.participants * c.messages_per_participant,
            every,
            b.first_share,
            b.rise_seconds,
            b.decay_seconds,
        )
        out.append((d.name, classes.index(c.message_class), schedule))
    return tuple(out)


def _server_records(
    server: ServerSpec,
    arrival_s: NDArray[np.float64],
    service: NDArray[np.float64],
    progress: Callable[[int, int], None] | None = None,
) -> ServerRecords:
    back_end, reply = BackEnd.from_spec(server), BackEnd.reply_of(server)
    return serve(arrival_s, service, back_end, server.instances, reply, progress)


def serve_window(
    sample: WindowSample,
    server: ServerSpec | None,
    progress: Callable[[int, int], None] | None = None,
) -> WindowSample:
    """The same window's messages through another server (or none): common random numbers."""
    records = None
    if server is not None:
        records = _server_records(server, sample.arrival_s, sample.service_s, progress)
    failed = np.zeros(sample.arrival_s.size, bool) if records is None else records.outcome == FAILED
    return replace(sample, failed=failed, server=records)


def sample_window(
    scenario: Scenario,
    stream: MessageStream,
    window: SurgeWindow,
    inputs: WindowInputs,
    streams: Streams,
    day: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Messages, WindowSample]:
    """The window's messages (everyday ones in it plus the bursts) through the server, if any.

    `inputs.scheduled_per_second[s, class]` is the expected rate of the messages mechanisms
    scheduled (cascades, push replies, activation; they are among `inputs.everyday`). Returns
    the window's messages in time order and what happened to them. On a day without a back end
    (`service.back_end = false`) no server is simulated, whatever `[server]` says.
    """
    first_s = window.start * 60.0
    seconds = first_s + np.arange(round((window.end - window.start) * 60.0), dtype=float)
    background = stream.background_per_second(seconds, inputs.active_per_second)
    expected = background + inputs.scheduled_per_second
    first_messages = inputs.first_messages
    if first_messages is not None:
        day_share = stream.hour_weights(seconds) / 3600.0
        expected += day_share[:, None] * first_messages[None, :]
    k = len(stream.class_names)
    parts = [inputs.everyday]
    sources = [EVERYDAY]
    for name, c, schedule in zip(
        inputs.burst_names,
        (b[0] for b in window.bursts),
        (b[1] for b in window.bursts),
        strict=True,
    ):
        means = np.zeros((seconds.size, k))
        means[:, c] = schedule.expected(seconds, seconds + 1.0)
        expected[:, c] += means[:, c]
        g = streams.get("campaign.burst", day, name)
        parts.append(stream.sample_counts(means, window.start, 1.0 / 60.0, [(g, g, g, g)] * k))
        sources.append(name)
    # without a back end there is no developer server: WeChat's console takes every message
    server = scenario.server if scenario.service.back_end else None
    service = np.zeros(sum(p.size for p in parts))
    if server is not None:
        dist = server.service_time_seconds.build()
        service = np.concatenate(
            [
                dist.sample(streams.get("server.service", day, s), p.size)
                for s, p in zip(sources, parts, strict=True)
            ]
        )
    everything = Messages.concat(parts)
    order = everything.order()  # once: it sorts the window's messages and their service times
    merged = everything.take(order)
    arrival_s = merged.time * 60.0
    auto = stream.answered_by_keyword(merged, scenario.service.back_end)
    candidate_index = np.flatnonzero(~auto).astype(np.int64)
    sample = WindowSample(
        window=window,
        arrival_s=arrival_s,
        cls=merged.cls,
        auto=auto,
        failed=np.zeros(merged.size, bool),
        service_s=service[order],
        candidates=stream.human_batch(merged.take(~auto)),
        candidate_index=candidate_index,
        server=None,
        background_per_second=background,
        expected_per_second=expected,
    )
    return merged, serve_window(sample, server, progress)
