"""Schema of what the operation costs: agent-hours, server instance-hours, channels, campaigns, SMS.

Data only, like `sim.scenario.schema`, which holds it as the optional `[costs]` table: a scenario
without it validates, runs and writes exactly as before. Every price is optional; an item whose
price is not given is not costed (it appears in no output) rather than costed at zero. Prices
are fixed for the run (a phase cannot change them). The accounting itself lives in
`sim.results.costs`; docs/model.md says what each quantity counts.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario.bounds import MAX_INSTANCES, MAX_ITEMS, Frozen, Name, Real, Whole

__all__ = [
    "MAX_PRICE",
    "CampaignCostSpec",
    "ChannelCostSpec",
    "CostsSpec",
    "GroupCostSpec",
    "Price",
]

MAX_PRICE = 1e12
"""Largest price of one unit (any currency): far above any budget line a planner would enter."""

Price = Annotated[Real, Field(ge=0, le=MAX_PRICE)]
"""A price of one unit, in the scenario's `costs.currency`."""


class GroupCostSpec(Frozen):
    """What one agent group costs."""

    agent_hour: Price | None = Field(
        None,
        description="Cost of one rostered agent-hour of this group (default: costs.agent_hour).",
    )


class ChannelCostSpec(Frozen):
    """What a referral channel costs, by the counts the model keeps for it."""

    per_post: Price | None = Field(
        None,
        description="Cost of one post (channels whose exposure kind is `posts`; posts are "
        "posts_per_week / 7 on each day the channel runs).",
    )
    per_1000_exposures: Price | None = Field(
        None,
        description="Cost per 1,000 exposures, as the channel's exposure kind counts them "
        "(post views, prompted orders, visitors, or fans' referral contacts).",
    )
    per_week: Price | None = Field(
        None, description="Fixed cost per week the channel runs (pro rata by day)."
    )
    per_gift_follow: Price | None = Field(
        None, description="Gift per gift-driven follow through the channel itself (gift_share)."
    )


class CampaignCostSpec(Frozen):
    """What a campaign costs: prizes and gifts."""

    per_participant: Price | None = Field(
        None,
        description="Cost per participant (a fan counted once per campaign day; cascade "
        "joiners included), e.g. a small gift or a lottery ticket.",
    )
    per_gift_follow: Price | None = Field(
        None,
        description="Gift per gift-driven follow the campaign brought (its gift_share of "
        "newcomers, warm-up and cascade followers included).",
    )
    per_prize: Price | None = Field(
        None, description="Cost of one prize; the quantity is the campaign's `prizes`."
    )
    prize_budget: Price | None = Field(
        None, description="Fixed prize budget of the campaign (once, whatever its length)."
    )


class CostsSpec(Frozen):
    """Prices of the operation, for costs.csv and the summary's `costs` (absent: no costs)."""

    currency: Name = Field("RMB", description="Currency label written beside every amount.")
    agent_hour: Price | None = Field(
        None,
        description="Cost of one rostered agent-hour (the single pool, and every group without "
        "its own price); overtime to finish a message is not counted. "
        "(`staffing.agent_hourly_cost` prices the planner's rosters; this prices the run.)",
    )
    groups: dict[Name, GroupCostSpec] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Prices per agent group (names in service.groups).",
    )
    instance_hour: Price | None = Field(
        None,
        description="Cost of one server instance-hour: the deployment runs all day, every day "
        "the customer-service back end is live (service.back_end), sized to `instances`.",
    )
    instances: Whole | None = Field(
        None,
        ge=1,
        le=MAX_INSTANCES,
        description="Instances the deployment runs, for costing (default: server.instances; "
        "required with instance_hour when the scenario has no [server]).",
    )
    sms_per_message: Price | None = Field(
        None,
        description="What one SMS costs, for the SMS cost avoided by WeChat messages (default: "
        "pushes.sms_cost_per_message, 0.04 RMB: 1,000,000 SMS cost 40,000 RMB in 2013); also "
        "prices the pushes' `sms_cost`.",
    )
    channels: dict[Name, ChannelCostSpec] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Prices per referral channel (names in channels).",
    )
    campaigns: dict[Name, CampaignCostSpec] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Prizes and gifts per campaign (names in campaigns).",
    )
