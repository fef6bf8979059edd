"""The follower model: referral funnels, cohorts, unfollows and the service-quality loop.

Fans are counted, not simulated one by one: cohorts by source x day of follow x gift-driven flag,
held in one numpy array. A day costs O(sources x days so far), whatever the number of fans, so a
10-million-fan account costs the same as a 10-thousand-fan one.

Each simulated day, in this order:
1. the service-quality index is updated from the outcomes of messages sent two days earlier
   (old enough for nearly all of them to be answered or given up);
2. unfollows: every cohort cell loses a binomial share with the daily probability
   1 - (1 - base)(1 - gift)(1 - push), where `gift` applies to gift-driven fans inside their window
   and `push` to everyone while pushes exceed the policy. The binomial is drawn by inversion of
   one uniform per cell (quantile coupling), so under common random numbers a higher hazard never
   gives fewer unfollows; then each unanswered message makes its sender unfollow with probability
   `unanswered_unfollow` (senders drawn from the cohorts without replacement, in proportion to
   their size) among fans who already followed on the day of the message;
3. follows: each running channel exposes E people a day; a person not yet following converts with
   probability conversion x (floor + (1 - floor) quality^sensitivity) x (remaining pool / pool)
   x interest factor, so follows are Poisson(E x that), capped by the remaining pool, which they
   deplete. Each cohort cell carries an engagement (`sim.model.engagement`) that raises casual
   fans' unfollow hazard and lowers their activity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from sim.model.activation import age_factors
from sim.model.campaign_tags import CampaignTags
from sim.model.campaigns import brings_fans
from sim.model.engagement import Engagement, convertible, engagement_at, interest_factor
from sim.model.exposure import exposures_per_day
from sim.model.rng import Streams
from sim.scenario.schema import ChannelSpec, Scenario

__all__ = ["INITIAL_SOURCE", "DayOutcome", "FollowerModel", "FollowerTrace", "channel_runs"]

INITIAL_SOURCE = "initial"


@dataclass(frozen=True)
class DayOutcome:
    """What the service side reports about one day's routed messages."""

    routed: int
    within_target: int
    answered_late: int
    unanswered: int
    day: int  # the day the messages were sent


@dataclass(frozen=True)
class FollowerTrace:
    """Per-day follower KPIs (the WeChat dashboard's: total, new, unfollowed, net)."""

    sources: tuple[str, ...]
    fans: NDArray[np.int64]  # fans at the end of each day
    follows: NDArray[np.int64]  # (days, sources)
    unfollows: NDArray[np.int64]  # all reasons
    unfollows_unanswered: NDArray[np.int64]
    quality: NDArray[np.float64]  # index used on each day
    fans_by_source: NDArray[np.int64]  # at the end
    # bookkeeping for costs (no draws): each channel's exposures per day (0 when it does not
    # run), and gift-driven follows by the mechanism that brought them (a channel's name, or
    # `campaign:<name>`)
    exposures: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    gift_follows: dict[str, int] = field(default_factory=dict)
    # each campaign's followers (tagged when they follow, `sim.model.campaign_tags`): follows by
    # day, and unfollows by (day of follow, day of unfollow)
    campaign_follows: dict[str, dict[int, int]] = field(default_factory=dict)
    campaign_unfollows: dict[str, dict[tuple[int, int], int]] = field(default_factory=dict)


def channel_runs(ch: ChannelSpec, today: dt.date) -> bool:
    """Whether a channel runs on `today` (its start and end dates, both inclusive)."""
    return (ch.start is None or ch.start <= today) and (ch.end is None or today <= ch.end)


def _channel_sources(segments: Sequence[Scenario]) -> tuple[str, ...]:
    names: dict[str, None] = {INITIAL_SOURCE: None}
    for sc in segments:
        for name, ch in sc.channels.items():
            names[ch.source or name] = None
        for c in sc.campaigns.values():
            if brings_fans(c):
                names[c.source] = None
    return tuple(names)


class FollowerModel:
    """Fans by cohort, advanced one day at a time; also the service model's `FanBase`."""

    def __init__(self, day_scenarios: Sequence[Scenario], start: dt.date, streams: Streams) -> None:
        self._days = day_scenarios
        self._start = start
        # a named stream per mechanism, day and channel: changing one never shifts another's draws
        self._streams = streams
        self.sources = _channel_sources(day_scenarios)
        self._source_index = {s: i for i, s in enumerate(self.sources)}
        n_days = len(day_scenarios)
        # cohorts[source, day of follow, gift]; the initial fans sit at day 0, not gift-driven
        self._cohorts = np.zeros((len(self.sources), n_days, 2), np.int64)
        self._cohorts[0, 0, 0] = day_scenarios[0].fans.initial
        self._engagement = Engagement((len(self.sources), n_days))
        self._followers = day_scenarios[0].followers
        self._converted: dict[str, float] = {}
        self._quality = 1.0
        self._fans = int(day_scenarios[0].fans.initial)
        self._active_share = day_scenarios[0].fans.active_share
        self._trace_fans: list[int] = []
        self._trace_follows: list[NDArray[np.int64]] = []
        self._trace_unfollows: list[int] = []
        self._trace_unanswered: list[int] = []
        self._trace_quality: list[float] = []
        self._first_messages: dict[str, float] = {}
        self._exposures: dict[str, NDArray[np.float64]] = {}
        self._gifts: dict[str, int] = {}
        self._tags = CampaignTags(self._cohorts.shape, streams)

    def fans_at(self, t: float) -> float:
        """Fans following now (the model changes them at the start of each day)."""
        return float(self._fans)

    def active_at(self, t: float) -> float:
        """Active fans now: they message and refer others."""
        return self._active(self._followers.casual_activity) * self._active_share

    def _active(self, casual_activity: float) -> float:
        """Fans weighted by their activity (all of them when casual fans are as active)."""
        if casual_activity >= 1.0:
            return float(self._cohorts.sum())
        by_cell = self._cohorts.sum(axis=2)
        return float((by_cell * self._engagement.activity(self._followers)).sum())

    def first_messages(self) -> dict[str, float]:
        """Expected first-day messages of today's new fans, by message class."""
        return dict(self._first_messages)

    def step(self, day: int, outcome: DayOutcome | None) -> None:
        """Advance to the start of `day`: quality, unfollows, then follows."""
        sc = self._days[day]
        fol = sc.followers
        self._followers = fol
        self._active_share = sc.fans.active_share
        if outcome is not None and outcome.routed > 0:
            q_day = (outcome.within_target + fol.quality_late_weight * outcome.answered_late) / (
                outcome.routed
            )
            alpha = 1.0 / fol.quality_memory_days
            self._quality = (1 - alpha) * self._quality + alpha * q_day
        gone = self._unfollow(day, sc)
        gone_unanswered = 0
        if outcome is not None:
            gone_unanswered = self._unfollow_unanswered(
                day, outcome.unanswered, fol.unanswered_unfollow, outcome.day
            )
        follows = self._follow(day, sc)
        self._fans = int(self._cohorts.sum())
        self._trace_fans.append(self._fans)
        self._trace_follows.append(follows)
        self._trace_unfollows.append(gone + gone_unanswered)
        self._trace_unanswered.append(gone_unanswered)
        self._trace_quality.append(self._quality)

    def _unfollow(self, day: int, sc: Scenario) -> int:
        fol, push = sc.followers, sc.pushes
        excess = max(0.0, push.per_week - push.policy_per_week)
        weekly_push = min(1.0, excess * fol.push_excess_unfollow)
        p_push = 1.0 - (1.0 - weekly_push) ** (1.0 / 7.0)
        keep = np.full(self._cohorts.shape, (1.0 - fol.unfollow_per_day) * (1.0 - p_push))
        if fol.casual_unfollow_per_day > 0:  # casual fans tire sooner
            keep *= (1.0 - fol.casual_unfollow_per_day * self._engagement.casual())[:, :, None]
        p = 1.0 - keep
        window_start = max(0, day - fol.gift_window_days)
        gift_keep = keep[:, window_start : day + 1, 1] * (1.0 - fol.gift_unfollow_per_day)
        p[:, window_start : day + 1, 1] = 1.0 - gift_keep
        if sc.activation is not None:  # new fans' first week, by the steps they received
            for age, factor in enumerate(age_factors(sc.activation).tolist()):
                if day - age >= 0:
                    p[1:, day - age, :] = np.minimum(1.0, p[1:, day - age, :] * factor)
        # same draws whatever the hazards: one uniform per cohort cell, quantile-coupled
        u = self._streams.get("followers.unfollow", day).random(self._cohorts.shape)
        live = (self._cohorts > 0) & (p > 0)
        if not live.any():
            return 0
        leaving = np.zeros_like(self._cohorts)
        leaving[live] = stats.binom.ppf(u[live], self._cohorts[live], p[live]).astype(np.int64)
        self._tags.leave(day, "hazard", self._cohorts, leaving)
        self._cohorts -= leaving
        return int(leaving.sum())

    def _unfollow_unanswered(
        self, day: int, unanswered: int, probability: float, sent_on: int
    ) -> int:
        """Senders of `unanswered` messages sent on day `sent_on` leave with `probability`.

        Senders are drawn from the fans who followed by `sent_on`: a later fan sent nothing then.
        """
        senders = self._cohorts[:, : sent_on + 1, :]
        total = int(senders.sum())
        if unanswered <= 0 or probability <= 0 or total == 0:
            return 0
        rng = self._streams.get("followers.unanswered", day)
        k = min(int(rng.binomial(unanswered, probability)), total)
        if k == 0:
            return 0
        flat = np.ascontiguousarray(senders).reshape(-1)
        leaving = rng.multivariate_hypergeometric(flat, k, method="marginals")
        full = np.zeros_like(self._cohorts)
        full[:, : sent_on + 1, :] = leaving.reshape(senders.shape)
        self._tags.leave(day, "unanswered", self._cohorts, full)
        self._cohorts -= full
        return k

    def _running(self, name: str, ch: ChannelSpec, day: int) -> bool:
        return channel_runs(ch, self._start + dt.timedelta(days=day))

    def _follow(self, day: int, sc: Scenario) -> NDArray[np.int64]:
        follows = np.zeros(len(self.sources), np.int64)
        self._first_messages = {}
        active = self._active(sc.followers.casual_activity) * sc.fans.active_share
        for name, ch in sc.channels.items():
            if not self._running(name, ch, day):
                continue
            exposed = exposures_per_day(ch.exposure, active)
            if name not in self._exposures:
                self._exposures[name] = np.zeros(len(self._days))
            self._exposures[name][day] = exposed
            remaining = self._remaining(name, ch)
            if remaining <= 0 or ch.pool <= 0:
                continue
            floor = sc.followers.quality_floor
            quality = floor + (1.0 - floor) * self._quality**ch.quality_sensitivity
            interest = interest_factor(ch, sc.followers, self._converted.get(name, 0.0))
            p = ch.conversion * quality * interest * remaining / ch.pool
            rng = self._streams.get("followers.follow", day, name)
            cap = convertible(ch, sc.followers, self._converted.get(name, 0.0))
            n = min(int(rng.poisson(exposed * p)), int(cap))
            if n == 0:
                continue
            follows[self._join(day, ch.source or name, n, ch.gift_share, name, name)] += n
            if ch.first_message_class is not None and ch.first_message_share > 0:
                cls = ch.first_message_class
                extra = n * ch.first_message_share
                self._first_messages[cls] = self._first_messages.get(cls, 0.0) + extra
        return follows

    def _remaining(self, name: str, ch: ChannelSpec) -> float:
        """People in channel `name`'s pool not yet converted."""
        return max(0.0, ch.pool - self._converted.get(name, 0.0))

    def _join(
        self,
        day: int,
        source: str,
        n: int,
        gift_share: float,
        channel: str | None,
        key: str,
        campaign: str | None = None,
    ) -> int:
        """Put `n` new fans into today's cohorts (a share gift-driven); returns the source index.

        `key` names the mechanism that brought them (a channel or a campaign) for its own stream;
        a `campaign`'s followers are tagged as its own.
        """
        gift = 0
        if gift_share > 0:
            gift = int(self._streams.get("followers.gift", day, key).binomial(n, gift_share))
            self._gifts[key] = self._gifts.get(key, 0) + gift
        s = self._source_index[source]
        e = 1.0
        if channel is not None:  # the mean over the day's newcomers: the midpoint of the batch
            done = self._converted.get(channel, 0.0) + n / 2
            e = engagement_at(self._days[day].channels[channel], self._days[day].followers, done)
        self._engagement.join(s, day, int(self._cohorts[s, day].sum()), n, e)
        self._cohorts[s, day, 0] += n - gift
        self._cohorts[s, day, 1] += gift
        if campaign is not None:
            self._tags.join(campaign, s, day, n - gift, gift)
        if channel is not None:
            self._converted[channel] = self._converted.get(channel, 0.0) + n
        return s

    def remaining_pools(self, day: int) -> dict[str, float]:
        """What is left of each channel's pool on `day`."""
        return {name: self._remaining(name, ch) for name, ch in self._days[day].channels.items()}

    def add_follows(
        self,
        day: int,
        source: str,
        n: int,
        gift_share: float,
        channel: str | None = None,
        key: str = "campaign",
    ) -> None:
        """`n` people follow during the day to join a campaign; a share came for the prize.

        Through a `channel`, they deplete its pool and take its source label.
        """
        if n <= 0:
            return
        if channel is not None:
            ch = self._days[day].channels[channel]
            source = ch.source or channel
        s = self._join(day, source, n, gift_share, channel, f"campaign:{key}", key)
        self._trace_follows[-1][s] += n
        self._fans += n
        self._trace_fans[-1] = self._fans

    def follows_today(self) -> int:
        """New follows of the current day so far (all sources)."""
        return int(self._trace_follows[-1].sum()) if self._trace_follows else 0

    def cohort_table(self) -> NDArray[np.int64]:
        """A copy of the cohorts [source, day of follow, gift], for segment-targeted mechanisms."""
        return self._cohorts.copy()

    def remove(self, leaving: NDArray[np.int64]) -> None:
        """Fans leaving today for another reason (a push), counted in today's unfollows."""
        n = int(leaving.sum())
        if n <= 0:
            return
        self._tags.leave(len(self._trace_fans) - 1, "push", self._cohorts, leaving)
        self._cohorts -= leaving
        self._fans -= n
        self._trace_fans[-1] = self._fans
        self._trace_unfollows[-1] += n

    def trace(self) -> FollowerTrace:
        """Per-day KPIs so far."""
        k = len(self.sources)
        return FollowerTrace(
            sources=self.sources,
            fans=np.asarray(self._trace_fans, np.int64),
            follows=np.asarray(self._trace_follows, np.int64).reshape(-1, k),
            unfollows=np.asarray(self._trace_unfollows, np.int64),
            unfollows_unanswered=np.asarray(self._trace_unanswered, np.int64),
            quality=np.asarray(self._trace_quality, np.float64),
            fans_by_source=self._cohorts.sum(axis=(1, 2)),
            exposures={k: v.copy() for k, v in self._exposures.items()},
            gift_follows=dict(self._gifts),
            campaign_follows=self._tags.follows(),
            campaign_unfollows=self._tags.unfollows(),
        )
