"""Audiences that tire and saturate: each cohort cell's engagement, set when its fans came.

A channel's `interested` people (default: `interested_share` x its pool) are those already
inclined to follow; they come first. A fan who
follows after a share f of them has followed has engagement e = max(0, 1 - f): the channel's
early enthusiasts are fully engaged (e = 1), its later fans ever more casual, and once the
interested are used up the newcomers are casual (e = 0). Engagement sets, per cohort cell:

    unfollow hazard   h = 1 - (1 - h_other)(1 - casual_unfollow_per_day x (1 - e))
    activity          a = casual_activity + (1 - casual_activity) x e   (messages, participation)

and a channel's conversion carries the interest factor

    i = e_now + casual_conversion x (1 - e_now),   e_now = max(0, 1 - converted / interested)

so its growth slows as its interested population is used up. A cell's engagement is the mean
over the fans who joined it (fans keep it for life); the state is one float per (source, day of
follow), so the follower model stays O(sources x days). No draws: the mechanism only moves the
probabilities that the follower model's existing streams turn into counts.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.scenario.schema import ChannelSpec, FollowersSpec

__all__ = ["Engagement", "convertible", "engagement_at", "interest_factor", "interested"]


def interested(ch: ChannelSpec, fol: FollowersSpec) -> float:
    """Channel `ch`'s interested population: its own, or the followers' share of its pool."""
    return ch.interested if ch.interested is not None else fol.interested_share * ch.pool


def engagement_at(ch: ChannelSpec, fol: FollowersSpec, converted: float) -> float:
    """Engagement of a fan who follows channel `ch` after `converted` others did."""
    size = interested(ch, fol)
    if size <= 0:
        return 0.0
    return max(0.0, 1.0 - converted / size)


def convertible(ch: ChannelSpec, fol: FollowersSpec, converted: float) -> float:
    """How many more people channel `ch` can convert.

    Its remaining pool; only its remaining interested people when the others never convert
    (casual_conversion = 0).
    """
    left = max(0.0, ch.pool - converted)
    if fol.casual_conversion > 0:
        return left
    return min(left, max(0.0, interested(ch, fol) - converted))


def interest_factor(ch: ChannelSpec, fol: FollowersSpec, converted: float) -> float:
    """Conversion multiplier from the channel's interested people still to come, in [c, 1]."""
    if fol.casual_conversion >= 1.0:
        return 1.0
    e = engagement_at(ch, fol, converted)
    return e + fol.casual_conversion * (1.0 - e)


class Engagement:
    """Mean engagement per (source, day of follow) cell; 1 for the initial fans."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self._e = np.ones(shape, np.float64)

    def join(self, source: int, day: int, before: int, n: int, e: float) -> None:
        """`n` fans with engagement `e` join a cell that held `before` fans."""
        if n <= 0:
            return
        old = self._e[source, day]
        self._e[source, day] = (old * before + e * n) / (before + n)

    def casual(self) -> NDArray[np.float64]:
        """1 - engagement per cell, (sources, days)."""
        return 1.0 - self._e

    def activity(self, fol: FollowersSpec) -> NDArray[np.float64]:
        """Relative activity per cell: casual_activity + (1 - casual_activity) x engagement."""
        return fol.casual_activity + (1.0 - fol.casual_activity) * self._e

    def values(self) -> NDArray[np.float64]:
        """A copy of the engagement per cell."""
        return self._e.copy()
