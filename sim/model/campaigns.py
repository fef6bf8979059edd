"""Campaigns over several days, warm-ups, and what spreads from them across days.

A campaign from `start` to `end` on later days runs every day from start's clock time to end's
(rounds at the same clock times each day). `campaigns_on` gives each campaign's part of one
day as a one-day campaign, so the burst, the server window and `window_bounds` see only that
day; its `participation` is the campaign's, spread over the days by `daily_shares` or the
launch-and-decay curve (`daily_decay` per day), normalised. A one-day campaign is returned
unchanged.

Warm-ups, promotion and reach are in `sim.model.launch`. `Scheduled` holds what mechanisms
put into later days: follows and the fans they add within
the day, and expected messages per (interval, class) by random stream. The engine asks it for
each day at midnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model.response import Levers, levers
from sim.scenario.response import ResponseSpec
from sim.scenario.rules.spread import campaign_days
from sim.scenario.schema import CampaignSpec

__all__ = [
    "Follows",
    "Scheduled",
    "brings_fans",
    "campaigns_on",
    "day_weights",
    "resolved_on",
]

F64 = NDArray[np.float64]


def brings_fans(c: CampaignSpec) -> bool:
    """Whether a campaign can bring new fans (newcomers, a warm-up or a cascade)."""
    return c.new_fans_per_participant > 0 or c.warmup is not None or c.cascade is not None


def day_weights(c: CampaignSpec) -> tuple[float, ...]:
    """Share of the campaign's participation on each of its days (sums to 1)."""
    n = campaign_days(c)
    raw = c.daily_shares if c.daily_shares is not None else [c.daily_decay**k for k in range(n)]
    total = float(sum(raw))
    return tuple(float(x) / total for x in raw)


def campaigns_on(campaigns: Mapping[str, CampaignSpec], today: dt.date) -> dict[str, CampaignSpec]:
    """Each campaign running `today`, as a one-day campaign holding only today's part."""
    out: dict[str, CampaignSpec] = {}
    for name, c in campaigns.items():
        k = (today - c.start.date()).days
        n = campaign_days(c)
        if not 0 <= k < n:
            continue
        if n == 1:
            out[name] = c
            continue
        out[name] = c.model_copy(
            update={
                "start": dt.datetime.combine(today, c.start.time()),
                "end": dt.datetime.combine(today, c.end.time()),
                "participation": None
                if c.participation is None
                else c.participation * day_weights(c)[k],
                "warmup": c.warmup if k == 0 else None,
            }
        )
    return out


def resolved_on(
    campaigns: Mapping[str, CampaignSpec], response: ResponseSpec, active: float, today: dt.date
) -> tuple[dict[str, CampaignSpec], dict[str, Levers]]:
    """Today's parts of the campaigns running `today`, and the levers behind them.

    Each campaign's participation is resolved from the levers (a typed-in one kept) for its
    whole span first, then spread over its days by `campaigns_on`: the engine and the work
    estimate both see a lever-driven multi-day campaign launch and decay.
    """
    running: dict[str, CampaignSpec] = {}
    found: dict[str, Levers] = {}
    for name, c in campaigns.items():
        if not 0 <= (today - c.start.date()).days < campaign_days(c):
            continue
        lev = found[name] = levers(c, response, active)
        running[name] = c.model_copy(update={"participation": lev.participation})
    return campaigns_on(running, today), found


@dataclass(frozen=True)
class Follows:
    """People who follow on a day through a campaign's cascade (for the follower model)."""

    campaign: str
    count: int
    source: str
    gift_share: float
    channel: str | None


class Scheduled:
    """Follows, fans and expected messages that mechanisms put into later days."""

    def __init__(self, days: int, per_day: int, interval: float, classes: int) -> None:
        self.days, self.per_day, self.interval, self.classes = days, per_day, interval, classes
        self._messages: dict[str, F64] = {}
        self._follows: dict[int, list[Follows]] = {}
        self._fans = np.zeros(days * per_day + 1)  # fans added by the start of each interval

    def add_messages(self, stream: str, first: int, means: F64, cls: int) -> None:
        """Expected messages of class `cls` per interval, from interval `first` of the run."""
        buf = self._messages.get(stream)
        if buf is None:
            buf = self._messages[stream] = np.zeros((self.days * self.per_day, self.classes))
        hi = min(buf.shape[0], first + means.size)
        if hi > first:
            buf[first:hi, cls] += means[: hi - first]

    def add_joiners(
        self,
        day: int,
        name: str,
        c: CampaignSpec,
        joined: NDArray[np.int64],
        follows: NDArray[np.int64],
        cls: int,
    ) -> None:
        """A cascade's joiners and followers per hour from day `day`'s midnight.

        Joiners send the campaign's messages per participant in their hour; followers count as
        fans from their hour (pro rata within it) and join the follower model on their day.
        """
        per_hour = round(60 / self.interval)
        first = day * self.per_day
        spread = np.repeat(joined.astype(np.float64) / per_hour, per_hour)
        self.add_messages("cascade.messages", first, spread * c.messages_per_participant, cls)
        fans = np.repeat(follows.astype(np.float64) / per_hour, per_hour)
        n = min(fans.size, self._fans.size - 1 - first)
        self._fans[first + 1 : first + 1 + n] += np.cumsum(fans[:n])
        self._fans[first + 1 + n :] += fans[:n].sum()
        by_day = follows[: (follows.size // 24) * 24].reshape(-1, 24).sum(axis=1)
        for k, count in enumerate(by_day.tolist()):
            self.add_follows(day + k, Follows(name, int(count), c.source, c.gift_share, c.channel))

    def add_follows(self, day: int, follows: Follows) -> None:
        """Follows on day `day` (ignored past the run)."""
        if follows.count > 0 and day < self.days:
            self._follows.setdefault(day, []).append(follows)

    def follows(self, day: int) -> list[Follows]:
        """The follows scheduled for `day`."""
        return self._follows.pop(day, [])

    def fans_added(self, day: int) -> F64:
        """Fans added within `day` by each interval's start, beyond those at its midnight."""
        a = day * self.per_day
        return np.asarray(self._fans[a : a + self.per_day] - self._fans[a], np.float64)

    def messages(self, day: int) -> list[tuple[str, F64]]:
        """(stream, expected messages per (interval, class)) of `day`, for streams with any."""
        a, b = day * self.per_day, (day + 1) * self.per_day
        return [(s, m[a:b]) for s, m in sorted(self._messages.items()) if m[a:b].any()]
