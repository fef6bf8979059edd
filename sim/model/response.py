"""How an audience answers a campaign's levers: awareness, take-up, and the prizes' lift.

Pure functions of the scenario (`[response]` and the campaign's prizes and promotion); the
engine draws the counts from them. The equations (docs/model.md, "Response to levers"):

    A  = 1 - (1 - fan_awareness) (1 - push_awareness)^pushes (1 - post_awareness)^posts
    B  = max(1, take_up x active fans)                     turnout without prizes if all knew
    V  = prizes x prize_value / B                          expected prize value per participant
    g  = 1 - exp(-V / incentive_scale)                     diminishing returns, g in [0, 1)
    fans' participation   p = min(1, take_up x A x (1 + incentive_lift x g))
    outsiders' take-up    q = min(1, outsider_take_up x (1 + incentive_lift x g))
    share probability     s = min(1, s0 x (1 + share_lift x g))

V is the value a fan expects from taking part: the prizes shared among the people who would take
part if every active fan knew. B leaves promotion out on purpose, so that g, p, q and s are each
non-decreasing in the prize value, the prizes, the pushes and the posts (promotion makes more
people aware; it does not make the prize look smaller). A typed-in `participation` replaces p
(and B = participation x active fans) but prizes still lift outsiders' take-up and sharing.
"""

from __future__ import annotations

import math

from sim.scenario.response import ResponseSpec
from sim.scenario.schema import CampaignSpec

__all__ = ["Levers", "levers"]


class Levers:
    """A campaign's response to its levers on one day: awareness, incentive, shares."""

    def __init__(self, c: CampaignSpec, r: ResponseSpec, active: float) -> None:
        promo = c.promotion
        pushes = promo.pushes if promo is not None else 0
        posts = promo.posts if promo is not None else 0
        unaware = (1 - r.fan_awareness) * (1 - r.push_awareness) ** pushes
        self.awareness = 1.0 - unaware * (1 - r.post_awareness) ** posts
        base = r.take_up if c.participation is None else c.participation
        self.baseline = max(1.0, base * active)
        self.value_per_participant = c.prizes * c.prize_value / self.baseline
        self.incentive = -math.expm1(-self.value_per_participant / r.incentive_scale)
        lift = 1.0 + r.incentive_lift * self.incentive
        self.participation = (
            c.participation
            if c.participation is not None
            else min(1.0, r.take_up * self.awareness * lift)
        )
        self.outsider_take_up = min(1.0, r.outsider_take_up * lift)
        self._share_lift = 1.0 + r.share_lift * self.incentive

    def share_probability(self, base: float) -> float:
        """A cascade's share probability with the prizes' lift."""
        return min(1.0, base * self._share_lift)


def levers(c: CampaignSpec, r: ResponseSpec, active: float) -> Levers:
    """The response of `active` fans (and outsiders) to campaign `c`."""
    return Levers(c, r, active)
