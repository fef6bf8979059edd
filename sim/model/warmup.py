"""A campaign's warm-up as a process: awareness builds day by day over a finite audience.

Day j of a D-day warm-up (j = 0 is the first, D - 1 the eve of the launch) has

    views_j = reach_per_day + warmup_repost_views x new_{j-1}
    new_j   = Binomial(unaware_j, 1 - exp(-views_j / N))      unaware_{j+1} = unaware_j - new_j
    follows_j = Binomial(new_j, warmup_follow_share)

where the views fall uniformly on the N people of the pool they are spread over, of whom
`unaware_0` (the fresh part of the platform's reach pool, or the campaign's channel pool) can
become aware. Followers join the account that day and send `warmup_messages_per_follow`
messages; at the launch, the aware who did not follow come with probability `join_share` (or
the outsiders' take-up with the prizes' lift), follow and take part. With no reposts the mean
aware at launch has the closed form unaware_0 x (1 - exp(-D x reach_per_day / N)) (a theory
test checks it). Every draw inverts a uniform (quantile coupling) and day j's uniforms do not
depend on D, so under common random numbers a longer warm-up (one more day on the eve) or more
views never gives fewer aware, followers or arrivals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model.coupled import binomial_at
from sim.model.rng import Streams
from sim.scenario.response import ResponseSpec
from sim.scenario.spread import WarmupSpec

__all__ = ["WarmupDays", "launch_arrivals", "run_warmup"]

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class WarmupDays:
    """A warm-up's days: people newly aware, followers, and views per day (first day first)."""

    campaign: str
    first_day: int  # run day of the first warm-up day (negative: before the run)
    views: NDArray[np.float64]
    aware: I64
    follows: I64

    @property
    def aware_at_launch(self) -> int:
        """Aware people who did not follow during the warm-up."""
        return int(self.aware.sum() - self.follows.sum())


def run_warmup(
    spec: WarmupSpec,
    response: ResponseSpec,
    unaware: float,
    spread_over: float,
    streams: Streams,
    launch_day: int,
    name: str,
) -> WarmupDays:
    """The warm-up of campaign `name` launching on `launch_day`.

    `unaware` people can become aware; the views fall on `spread_over` >= `unaware` people.
    """
    d = spec.days
    u = streams.get("campaign.warmup", launch_day, name).random((d, 2))
    views = np.zeros(d)
    aware = np.zeros(d, np.int64)
    follows = np.zeros(d, np.int64)
    left = float(unaware)
    over = max(float(spread_over), left)
    previous = 0
    for j in range(d):
        views[j] = spec.reach_per_day + response.warmup_repost_views * previous
        p = float(-np.expm1(-views[j] / over)) if over > 0 else 0.0
        aware[j] = binomial_at(float(u[j, 0]), left, p)
        follows[j] = binomial_at(float(u[j, 1]), aware[j], response.warmup_follow_share)
        left -= aware[j]
        previous = int(aware[j])
    return WarmupDays(name, launch_day - d, views, aware, follows)


def launch_arrivals(w: WarmupDays, join: float, streams: Streams, launch_day: int) -> int:
    """People aware at the launch who come, each with probability `join`."""
    u = float(streams.get("campaign.warmup", launch_day, w.campaign, "launch").random())
    return binomial_at(u, w.aware_at_launch, join)
