"""The scenario schema: frozen, typed, documented models of everything a scenario can say.

Each field carries its unit in its name, its rule as a constraint and its meaning as a
description; `sim.scenario.reference` turns these into docs/scenario-reference.md. Loading,
cross-field rules, phases and `extends` live in `sim.scenario.load`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sim.dists import Distribution, Empirical, Exponential, Fixed, Gamma, LogNormal

if TYPE_CHECKING:
    from sim.scenario.timeline import Timeline

__all__ = [
    "BurstSpec",
    "CampaignSpec",
    "ChannelSpec",
    "DistSpec",
    "ExposureSpec",
    "FansSpec",
    "FollowersSpec",
    "MessageClassSpec",
    "MessagesSpec",
    "ModelSpec",
    "PhaseSpec",
    "Probability",
    "PushesSpec",
    "Scenario",
    "ScenarioMeta",
    "ServerSpec",
    "ServiceSpec",
    "ShiftPatternSpec",
    "ShiftSpec",
    "StaffingSpec",
]

Probability = Annotated[float, Field(ge=0, le=1)]
"""A probability or a share: between 0 and 1."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExponentialSpec(_Frozen):
    """Exponential durations (memoryless)."""

    dist: Literal["exponential"]
    mean: float = Field(gt=0, description="Mean, in the unit named by the enclosing field.")

    def build(self) -> Distribution:
        """The sampling object."""
        return Exponential(self.mean)


class LogNormalSpec(_Frozen):
    """Log-normal durations by mean and coefficient of variation."""

    dist: Literal["lognormal"]
    mean: float = Field(gt=0, description="Mean, in the unit named by the enclosing field.")
    cv: float = Field(gt=0, description="Coefficient of variation (standard deviation / mean).")

    def build(self) -> Distribution:
        """The sampling object."""
        return LogNormal(self.mean, self.cv)


class GammaSpec(_Frozen):
    """Gamma durations by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: float = Field(gt=0, description="Mean, in the unit named by the enclosing field.")
    cv: float = Field(gt=0, description="Coefficient of variation (standard deviation / mean).")

    def build(self) -> Distribution:
        """The sampling object."""
        return Gamma(self.mean, self.cv)


class FixedSpec(_Frozen):
    """A constant duration."""

    dist: Literal["fixed"]
    value: float = Field(gt=0, description="The duration, in the unit named by the field.")

    def build(self) -> Distribution:
        """The sampling object."""
        return Fixed(self.value)


class EmpiricalSpec(_Frozen):
    """Resampled measurements (e.g. service times measured by a load test)."""

    dist: Literal["empirical"]
    values: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        min_length=1, description="Measured durations, in the unit named by the field."
    )

    def build(self) -> Distribution:
        """The sampling object."""
        return Empirical(self.values)


DistSpec = Annotated[
    ExponentialSpec | LogNormalSpec | GammaSpec | FixedSpec | EmpiricalSpec,
    Field(discriminator="dist"),
]


class ScenarioMeta(_Frozen):
    """What the scenario is and which days it covers."""

    name: str = Field(min_length=1, description="Short identifier written into every output row.")
    description: str = Field("", description="Free text for readers of the file.")
    start: dt.date = Field(description="First simulated day (ISO date, e.g. 2013-04-10).")
    end: dt.date | None = Field(
        None, description="Last simulated day, inclusive (default: the start day)."
    )
    seed: int = Field(1, ge=0, description="Default root seed; `fansim run --seed` overrides.")

    @property
    def days(self) -> int:
        """Number of simulated days, start and end included."""
        end = self.end or self.start
        return (end - self.start).days + 1


class FansSpec(_Frozen):
    """The follower base at the start, and how much of it is active."""

    initial: int = Field(ge=0, description="Fans at the start of the first day.")
    active_share: Probability = Field(
        1.0, description="Share of fans who are active (message, refer others)."
    )


class MessageClassSpec(_Frozen):
    """One kind of inbound message: how common, who answers it, how long it takes."""

    share: Probability = Field(description="Share of all inbound messages (shares sum to 1).")
    routing: Literal["auto", "human"] = Field(
        description="`auto`: answerable by keyword auto-reply; `human`: always routed to an agent "
        "(orders, ROM flashing, delivery, images, voice)."
    )
    priority: int = Field(
        1, ge=0, le=9, description="Queue priority for agents; 0 is served first."
    )
    auto_reply_coverage: Probability | None = Field(
        None,
        description="This class's keyword-rule coverage (default: messages.auto_reply_coverage).",
    )
    handle_time_minutes: DistSpec = Field(
        description="Agent handling time for one message of this class."
    )
    patience_minutes: DistSpec | None = Field(
        None,
        description="How long a fan waits before giving up (default: service.patience_minutes).",
    )


def _default_profile() -> tuple[float, ...]:
    return (1.0,) * 24


class MessagesSpec(_Frozen):
    """The inbound message stream."""

    per_active_fan_per_day: float = Field(
        ge=0, description="Messages per active fan per day, all classes (see fans.active_share)."
    )
    hourly_profile: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        default_factory=_default_profile,
        min_length=24,
        max_length=24,
        description="Relative volume in each hour of the day (00:00 first); normalised to sum 1.",
    )
    auto_reply_coverage: Probability = Field(
        1.0, description="Share of `auto` messages that keyword rules actually answer."
    )
    classes: dict[str, MessageClassSpec] = Field(
        min_length=1, description="Message classes by name (e.g. keyword, order, delivery)."
    )


class ShiftSpec(_Frozen):
    """A named shift repeated every day; an end before the start runs past midnight."""

    name: str = Field(min_length=1, description="Label, e.g. `early`.")
    start: dt.time = Field(description="Clock time the shift starts (HH:MM).")
    end: dt.time = Field(description="Clock time the shift ends (HH:MM).")
    agents: int = Field(ge=0, description="Agents on this shift.")


class ServiceSpec(_Frozen):
    """The human side: the back end, the roster and the targets."""

    back_end: bool = Field(
        True,
        description="Customer-service back end live: keyword auto-reply answers `auto` classes. "
        "false = every message needs a human (before Xiaomi's API integration).",
    )
    agents_by_hour: tuple[Annotated[int, Field(ge=0)], ...] | None = Field(
        None,
        min_length=24,
        max_length=24,
        description="Agents on duty in each hour of the day; give this or `shifts`.",
    )
    shifts: tuple[ShiftSpec, ...] | None = Field(
        None, description="Named daily shifts; give this or `agents_by_hour`."
    )
    first_response_target_minutes: float = Field(
        15, gt=0, description="SLA: an agent picks the message up within this time."
    )
    resolution_target_minutes: float = Field(
        30, gt=0, description="SLA: the message is fully handled within this time."
    )
    patience_minutes: DistSpec | None = Field(
        None, description="How long fans wait before abandoning; omitted = they wait forever."
    )


class PostsExposure(_Frozen):
    """Exposure from posts (e.g. Weibo): each post reaches some of the channel's pool."""

    kind: Literal["posts"]
    posts_per_week: float = Field(ge=0, description="Posts mentioning the account per week.")
    reach_per_post: float = Field(ge=0, description="People in the pool who see one post.")

    def per_day(self, active_fans: float) -> float:
        """Exposures per day."""
        return self.posts_per_week / 7.0 * self.reach_per_post


class OrdersExposure(_Frozen):
    """Exposure from store orders shown a prompt (e.g. "track your delivery on WeChat")."""

    kind: Literal["orders"]
    orders_per_day: float = Field(ge=0, description="Orders (or site sessions) per day.")
    prompt_share: Probability = Field(description="Share of them shown the follow prompt.")

    def per_day(self, active_fans: float) -> float:
        """Exposures per day."""
        return self.orders_per_day * self.prompt_share


class VisitorsExposure(_Frozen):
    """Exposure from visitors (forum readers, in-store shoppers passing a QR code)."""

    kind: Literal["visitors"]
    visitors_per_day: float = Field(ge=0, description="Visitors who see the QR code or link.")

    def per_day(self, active_fans: float) -> float:
        """Exposures per day."""
        return self.visitors_per_day


class ReferralsExposure(_Frozen):
    """Word of mouth: active fans talk to people in the pool (Bass imitation)."""

    kind: Literal["referrals"]
    per_active_fan_per_day: float = Field(
        ge=0, description="Contacts per active fan per day with people in the pool."
    )

    def per_day(self, active_fans: float) -> float:
        """Exposures per day."""
        return self.per_active_fan_per_day * active_fans


ExposureSpec = Annotated[
    PostsExposure | OrdersExposure | VisitorsExposure | ReferralsExposure,
    Field(discriminator="kind"),
]


class ChannelSpec(_Frozen):
    """A referral funnel: a finite pool, exposures per day, a conversion probability."""

    source: str | None = Field(
        None, description="Source label in outputs (default: the channel's name), e.g. campaign."
    )
    pool: float = Field(ge=0, description="People this channel can ever reach (depletes).")
    exposure: ExposureSpec = Field(description="How the pool is exposed each day.")
    conversion: Probability = Field(
        description="Probability an exposed, not yet following person follows."
    )
    quality_sensitivity: float = Field(
        0.0,
        ge=0,
        description="Conversion x quality^this: how much the account's service reputation matters.",
    )
    gift_share: Probability = Field(
        0.0, description="Share of this channel's follows who came only for a gift."
    )
    first_message_share: Probability = Field(
        0.0,
        description="Share of new fans who send a message on their first day (e.g. to track "
        "a delivery), on top of the everyday stream.",
    )
    first_message_class: str | None = Field(
        None, description="Message class of that first message (a name in messages.classes)."
    )
    start: dt.date | None = Field(None, description="First day the channel runs (default: start).")
    end: dt.date | None = Field(None, description="Last day it runs, inclusive (default: forever).")


class FollowersSpec(_Frozen):
    """Unfollow hazards and the service-quality feedback."""

    unfollow_per_day: Probability = Field(
        0.0, description="Base daily probability that a fan unfollows."
    )
    gift_unfollow_per_day: Probability = Field(
        0.3,
        description="Daily unfollow probability of gift-driven fans in their window.",
    )
    gift_window_days: int = Field(7, ge=1, description="Days gift-driven fans stay at risk.")
    unanswered_unfollow: Probability = Field(
        0.0, description="Probability a fan whose message went unanswered unfollows."
    )
    push_excess_unfollow: Probability = Field(
        0.0,
        description="Extra probability per push above policy that a fan unfollows that week.",
    )
    quality_memory_days: float = Field(
        7.0, ge=1, description="Time constant of the service-quality index (EWMA), in days."
    )
    quality_late_weight: Probability = Field(
        0.5, description="Credit for an answer later than the first-response target."
    )


class PushesSpec(_Frozen):
    """Broadcast pushes to all fans and the policy that limits them."""

    per_week: float = Field(0.0, ge=0, description="Pushes sent per week.")
    policy_per_week: float = Field(
        2.0, ge=0, description="Pushes per week fans tolerate (Xiaomi: at most 2 above 100k fans)."
    )


class BurstSpec(_Frozen):
    """How a campaign's messages arrive: an opening spike, then one per round."""

    every_minutes: float | None = Field(
        None,
        gt=0,
        description="Minutes between rounds (a quiz question, a prize); none: one spike.",
    )
    first_share: Probability = Field(
        0.5, description="Share of the campaign's messages in the opening spike."
    )
    rise_seconds: float = Field(5.0, gt=0, description="How fast a spike builds up.")
    decay_seconds: float = Field(60.0, gt=0, description="How fast it dies away (> rise_seconds).")


class CampaignSpec(_Frozen):
    """A dated campaign: who takes part, what they send and when, whom it brings in."""

    type: Literal["live_quiz", "repost_lottery", "fission", "meetup", "push"] = Field(
        description="Kind of campaign (a label for reports; the burst says how messages arrive)."
    )
    start: dt.datetime = Field(description="When it starts (ISO date-time, local).")
    end: dt.datetime = Field(description="When it ends.")
    participation: Probability = Field(description="Share of active fans who take part.")
    messages_per_participant: float = Field(
        1.0, ge=0, description="Messages each participant sends."
    )
    message_class: str = Field(description="Class of those messages (a name in messages.classes).")
    keyword: str = Field("", description='What participants reply, e.g. "GO" (for reports).')
    burst: BurstSpec = Field(default_factory=BurstSpec)
    new_fans_per_participant: float = Field(
        0.0, ge=0, description="People who follow in order to take part, per participating fan."
    )
    source: str = Field("campaign", description="Source label of those new fans in outputs.")
    channel: str | None = Field(
        None,
        description="Channel the new fans come through (a name in channels): its remaining pool "
        "caps them, they deplete it, and they take its source label.",
    )
    gift_share: Probability = Field(
        0.0, description="Share of those new fans who came only for the prize (they churn)."
    )
    prizes: int = Field(0, ge=0, description="Prizes given away (e.g. one phone every 10 min).")


class ServerSpec(_Frozen):
    """The account's back-end server and WeChat's delivery rules, simulated per message."""

    instances: int = Field(ge=1, description="Server instances behind the load balancer.")
    workers_per_instance: int = Field(ge=1, description="Requests one instance serves at once.")
    queue_limit_per_instance: int = Field(
        100, ge=0, description="Requests an instance lets wait; beyond that it refuses."
    )
    service_time_seconds: DistSpec = Field(
        description="Time to handle one request (from the scenario or a load-test measurement)."
    )
    dedup: bool = Field(
        False, description="Recognise repeated MsgIds: answer from cache or reply success."
    )
    dedup_seconds: float = Field(0.002, gt=0, description="Time to handle a recognised repeat.")
    reply: Literal["sync", "async"] = Field(
        "sync",
        description='`sync`: answer within the request; `async`: reply "success" at once and '
        "answer through the customer-service API from background workers.",
    )
    ack_seconds: float = Field(0.002, gt=0, description="async: time to acknowledge a request.")
    background_workers_per_instance: int | None = Field(
        None,
        ge=1,
        description="async: background workers per instance (default: the same "
        "as workers_per_instance).",
    )
    deadline_seconds: float = Field(5.0, gt=0, description="WeChat waits this long for a reply.")
    max_deliveries: int = Field(3, ge=1, le=10, description="Deliveries of one message in all.")
    margin_before_minutes: float = Field(
        5.0, ge=0, description="Simulate the server from this long before each campaign."
    )
    margin_after_minutes: float = Field(30.0, ge=0, description="...until this long after it ends.")


class ShiftPatternSpec(_Frozen):
    """A shift the roster planner may use (`fansim staff`): its length, starts and break."""

    name: str = Field(min_length=1, description="Label in roster.csv, e.g. `day8`.")
    length_hours: float = Field(gt=0, le=24, description="Time at work, break included.")
    starts: tuple[dt.time, ...] | None = Field(
        None,
        description="Clock times it may start (HH:MM, on the staffing interval grid); "
        "omitted = any interval start.",
    )
    break_after_hours: float | None = Field(
        None, ge=0, description="Break this long after the start (omitted: no break)."
    )
    break_minutes: float = Field(
        60, gt=0, description="Length of that break, off the phones (on the interval grid)."
    )


class StaffingSpec(_Frozen):
    """What the roster planner may use and what an agent costs (read by `fansim staff`)."""

    shift_patterns: tuple[ShiftPatternSpec, ...] = Field(
        (),
        description="Allowed shifts for the roster integer program; none = 8-hour shifts "
        "starting at any hour.",
    )
    agent_hourly_cost: float | None = Field(
        None, ge=0, description="Cost of one agent-hour on shift (any currency), for the report."
    )


class PhaseSpec(_Frozen):
    """A dated change: from `date` on, the dotted paths in `set` take new values."""

    date: dt.date = Field(description="First day the change applies.")
    note: str = Field("", description="Why (e.g. customer-service back end goes live).")
    set: dict[str, Any] = Field(
        min_length=1,
        description='Dotted paths to new values, e.g. { "service.back_end" = true }.',
    )


class ModelSpec(_Frozen):
    """Numerical settings of the simulation (not of the world)."""

    interval_minutes: int = Field(
        15,
        ge=1,
        le=60,
        description="Bulk-sampling interval for message counts; must divide 60.",
    )

    @field_validator("interval_minutes")
    @classmethod
    def _divides_hour(cls, v: int) -> int:
        if 60 % v:
            raise ValueError("must divide 60 so hours split evenly, e.g. 5, 15 or 60")
        return v


class Scenario(_Frozen):
    """A whole what-if: who the fans are, what they send, who answers."""

    scenario: ScenarioMeta
    fans: FansSpec
    messages: MessagesSpec
    service: ServiceSpec
    channels: dict[str, ChannelSpec] = Field(
        default_factory=dict, description="Referral funnels by name (none: a fixed fan count)."
    )
    campaigns: dict[str, CampaignSpec] = Field(
        default_factory=dict, description="Dated campaigns by name (bursts of messages, new fans)."
    )
    server: ServerSpec | None = Field(
        None,
        description="The back-end server; when given, campaign windows are simulated per "
        "message through it.",
    )
    followers: FollowersSpec = Field(default_factory=FollowersSpec)
    pushes: PushesSpec = Field(default_factory=PushesSpec)
    phases: tuple[PhaseSpec, ...] = Field((), description="Dated changes, in date order.")
    model: ModelSpec = Field(default_factory=ModelSpec)
    staffing: StaffingSpec = Field(
        default_factory=StaffingSpec, description="Inputs of the staffing planner only."
    )

    @cached_property
    def timeline(self) -> Timeline:
        """The scenario in force on each day, phases applied (resolved once, then cached)."""
        from sim.scenario.timeline import resolve_timeline  # the resolver imports this module

        return resolve_timeline(self)

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> Scenario:
        """A copy with `update` applied; its timeline is resolved afresh, never inherited."""
        out = super().model_copy(update=update, deep=deep)
        out.__dict__.pop("timeline", None)
        return out
