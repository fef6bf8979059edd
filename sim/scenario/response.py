"""Schema of how an audience answers a campaign's levers, and of the reach pool it is drawn from.

Data only. Two account-level tables, both optional with documented defaults (a scenario that
gives neither runs on them), every field a plain number so `fansim fit` can free it by dotted
path (`response.take_up`, `reach.weibo_pool`, ...):

- `[response]`: awareness from pushes and posts, take-up with no prize, the lift prizes give
  with diminishing returns in the expected value per participant, the warm-up's follows,
  messages and reposts. The model's equations live in `sim.model.response` and
  `sim.model.warmup`; docs/model.md gives the evidence for each default (most are assumed).
- `[reach]`: one pool of reachable people per platform, depleted by every campaign's warm-up,
  promotion and cascade, and the memory window within which people already reached are tired.

A campaign's own levers (prizes and their value, promotion) are on `CampaignSpec`.
"""

from __future__ import annotations

from pydantic import Field

from sim.scenario.bounds import MAX_DAYS, MAX_FANS, Frozen, Probability, Real, Whole

__all__ = ["MAX_LIFT", "MAX_PRIZE_VALUE", "PromotionSpec", "ReachSpec", "ResponseSpec"]

MAX_LIFT = 100.0
"""Largest relative lift of take-up or sharing that a prize can give."""
MAX_PRIZE_VALUE = 1e9
"""Largest value of one prize (in the costs' currency)."""


class ResponseSpec(Frozen):
    """How fans and outsiders answer a campaign: awareness, take-up, the prize's lift."""

    fan_awareness: Probability = Field(
        0.3,
        description="Share of active fans aware of a campaign with no push or post (the menu, "
        "word of mouth) (assumed).",
    )
    push_awareness: Probability = Field(
        0.4,
        description="Share of the still unaware active fans that one push announcing the "
        "campaign makes aware (assumed).",
    )
    post_awareness: Probability = Field(
        0.05,
        description="Share of the still unaware active fans that one promotion post makes "
        "aware (assumed).",
    )
    take_up: Probability = Field(
        0.3,
        description="Share of aware active fans who take part when there is no prize (assumed).",
    )
    outsider_take_up: Probability = Field(
        0.02,
        description="Share of people reached outside the account (promotion, warm-up) who come "
        "and take part when there is no prize; they follow to play (assumed).",
    )
    incentive_lift: Real = Field(
        1.0,
        ge=0,
        le=MAX_LIFT,
        description="Largest relative lift of take-up from prizes: take-up x (1 + lift x g), "
        "g = 1 - exp(-value per participant / incentive_scale) (assumed).",
    )
    incentive_scale: Real = Field(
        1.0,
        gt=0,
        le=MAX_PRIZE_VALUE,
        description="Expected prize value per participant (currency) at which the incentive "
        "reaches 63% of its lift: diminishing returns (assumed; small because people "
        "overweight small chances of a big prize).",
    )
    share_lift: Real = Field(
        1.0,
        ge=0,
        le=MAX_LIFT,
        description="Largest relative lift of the cascade's share probability from prizes, "
        "with the same g (assumed).",
    )
    warmup_follow_share: Probability = Field(
        0.01,
        description="Share of people newly aware on a warm-up day who follow that day (assumed).",
    )
    warmup_messages_per_follow: Real = Field(
        1.0,
        ge=0,
        le=1_000,
        description="Messages of the campaign's class each warm-up follower sends that day "
        "(assumed: one, to register).",
    )
    warmup_repost_views: Real = Field(
        0.0,
        ge=0,
        le=1_000,
        description="Views the next day per person newly aware during a warm-up: reposts of the "
        "announcements (0: posts only) (assumed).",
    )


class ReachSpec(Frozen):
    """One pool of reachable people per platform, shared by every campaign, and its memory."""

    wechat_pool: Real = Field(
        20_000_000,
        ge=0,
        le=MAX_FANS,
        description="People WeChat campaigns' promotion, warm-ups and sharing can reach (assumed).",
    )
    weibo_pool: Real = Field(
        30_000_000,
        ge=0,
        le=MAX_FANS,
        description="People Weibo campaigns can reach (assumed; Xiaomi's Weibo accounts had "
        ">23M followers [D]).",
    )
    memory_days: Whole = Field(
        30,
        ge=1,
        le=MAX_DAYS,
        description="Days people reached by a campaign stay tired: within them they count "
        "against the pool for every campaign on the platform (assumed).",
    )
    fatigue: Probability = Field(
        1.0,
        description="Share of the people reached within memory_days who cannot be reached "
        "anew (1: none of them; 0: no fatigue, reach re-ignites) (assumed).",
    )


class PromotionSpec(Frozen):
    """What a planner spends to announce a campaign, before and on its launch day."""

    pushes: Whole = Field(
        0, ge=0, le=1_000, description="Pushes to the fans announcing it (make fans aware)."
    )
    posts: Whole = Field(
        0,
        ge=0,
        le=10_000,
        description="Posts announcing it: make fans aware and reach people outside.",
    )
    reach_per_post: Real = Field(
        0.0, ge=0, le=MAX_FANS, description="Views of one post outside the account."
    )
    paid_reach: Real = Field(
        0.0, ge=0, le=MAX_FANS, description="Paid views (ads, promoted posts) outside."
    )
