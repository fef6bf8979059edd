"""The scenario schema: frozen, typed, documented models of everything a scenario can say.

Data only: each field carries its unit in its name, its rule as a constraint and its meaning
as a description; `sim.scenario.reference` turns these into docs/scenario-reference.md. Loading
and `extends` live in `sim.scenario.load`, cross-field rules in `sim.scenario.rules`, phases in
`sim.scenario.timeline`, and what the values mean for the world in `sim.model`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from sim.scenario.bounds import (
    DAY_MINUTES,
    DAY_SECONDS,
    MAX_AGENTS,
    MAX_DAYS,
    MAX_FANS,
    MAX_INSTANCES,
    MAX_ITEMS,
    MAX_MESSAGES_PER_FAN,
    MAX_NAME,
    MAX_NEW_FANS_PER_PARTICIPANT,
    MAX_POSTS_PER_WEEK,
    MAX_PUSHES_PER_WEEK,
    MAX_QUEUE_LIMIT,
    MAX_SEED,
    MAX_SENSITIVITY,
    MAX_SERVICE_SECONDS,
    MAX_TARGET_MINUTES,
    MAX_WEIGHT,
    MAX_WORKERS,
    ClockEnd,
    ClockTime,
    Date,
    Flag,
    Frozen,
    LocalDateTime,
    Name,
    Probability,
    Real,
    Text,
    Whole,
)
from sim.scenario.costs import CostsSpec
from sim.scenario.durations import DistSpec, MinutesDist, SecondsDist
from sim.scenario.inbound import InboundSpec, MessageClassSpec, MessagesSpec
from sim.scenario.response import MAX_PRIZE_VALUE, PromotionSpec, ReachSpec, ResponseSpec
from sim.scenario.spread import ActivationSpec, CascadeSpec, PushSendSpec, WarmupSpec

__all__ = [
    "AgentGroupSpec",
    "BurstSpec",
    "CampaignSpec",
    "ChannelSpec",
    "DistSpec",
    "ExposureSpec",
    "FansSpec",
    "FollowersSpec",
    "InboundSpec",
    "MessageClassSpec",
    "MessagesSpec",
    "ModelSpec",
    "OrdersExposure",
    "PhaseSpec",
    "PostsExposure",
    "Probability",
    "PushesSpec",
    "ReferralsExposure",
    "Scenario",
    "ScenarioMeta",
    "ServerSpec",
    "ServiceSpec",
    "ShiftPatternSpec",
    "ShiftSpec",
    "StaffingSpec",
    "VisitorsExposure",
]


def _without_absent(model: Frozen, handler: SerializerFunctionWrapHandler, *keys: str) -> Any:
    """`model` serialised without the optional tables `keys` that hold their default (not given).

    Tables added after scenarios were shipped use it, so a scenario that does not give them
    keeps its resolved text (scenario.json) and its parameters' hash as they were.
    """
    data = handler(model)
    if isinstance(data, dict):
        fields = type(model).model_fields
        for key in keys:
            if getattr(model, key) == fields[key].get_default(call_default_factory=True):
                data.pop(key, None)
    return data


class ScenarioMeta(Frozen):
    """What the scenario is and which days it covers."""

    name: Name = Field(description="Short identifier written into every output row.")
    description: Text = Field("", description="Free text for readers of the file.")
    start: Date = Field(description="First simulated day (ISO date, e.g. 2013-04-10).")
    end: Date | None = Field(
        None,
        description=f"Last simulated day, inclusive (default: the start day); at most "
        f"{MAX_DAYS:,} days (ten years) from the start.",
    )
    seed: Whole = Field(
        1, ge=0, le=MAX_SEED, description="Default root seed; `fansim run --seed` overrides."
    )
    platform: Literal["wechat", "weibo"] = Field(
        "wechat", description="The account's platform (the same model of fans and channels)."
    )

    @property
    def days(self) -> int:
        """Number of simulated days, start and end included."""
        end = self.end or self.start
        return (end - self.start).days + 1


class FansSpec(Frozen):
    """The follower base at the start, and how much of it is active."""

    initial: Whole = Field(ge=0, le=MAX_FANS, description="Fans at the start of the first day.")
    active_share: Probability = Field(
        1.0, description="Share of fans who are active (message, refer others)."
    )


class ShiftSpec(Frozen):
    """A named shift repeated every day; an end before the start runs past midnight."""

    name: Name = Field(description="Label, e.g. `early`.")
    start: ClockTime = Field(description="Clock time the shift starts (HH:MM).")
    end: ClockEnd = Field(
        description="Clock time the shift ends (HH:MM); 00:00 or 24:00 = midnight, a shift "
        "ending before its start runs past midnight."
    )
    agents: Whole = Field(ge=0, le=MAX_AGENTS, description="Agents on this shift.")


MAX_CHATS = 20  # conversations one agent holds at once
MAX_STRETCH = 5.0  # handle-time factor per extra open chat


class AgentGroupSpec(Frozen):
    """A group of agents: the message classes it serves, its own roster, chats per agent."""

    skills: tuple[Name, ...] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="Message classes this group serves, in the order its agents take waiting "
        "work; a message goes to the first group (in file order) with a free chat slot.",
    )
    agents_by_hour: tuple[Annotated[Whole, Field(ge=0, le=MAX_AGENTS)], ...] | None = Field(
        None,
        min_length=24,
        max_length=24,
        description="Agents of this group on duty in each hour of the day; or `shifts`.",
    )
    shifts: tuple[ShiftSpec, ...] | None = Field(
        None, max_length=MAX_ITEMS, description="This group's daily shifts; or `agents_by_hour`."
    )
    max_chats: Whole = Field(
        1, ge=1, le=MAX_CHATS, description="Conversations one agent holds at once."
    )
    stretch: Real = Field(
        1.0,
        ge=1.0,
        le=MAX_STRETCH,
        description="Handle-time factor per chat already open when a chat starts "
        "(1 = no slow-down; 1.2 = 20% longer per open chat, compounding).",
    )
    order: Literal["oldest", "skills"] = Field(
        "oldest",
        description="How a free agent picks waiting work: `oldest` = highest priority, then the "
        "oldest message of any of its skills; `skills` = its skills in the listed order first.",
    )


class ServiceSpec(Frozen):
    """The human side: the back end, the roster and the targets."""

    back_end: Flag = Field(
        True,
        description="Customer-service back end live: keyword auto-reply answers `auto` classes. "
        "false = every message needs a human (before Xiaomi's API integration).",
    )
    agents_by_hour: tuple[Annotated[Whole, Field(ge=0, le=MAX_AGENTS)], ...] | None = Field(
        None,
        min_length=24,
        max_length=24,
        description="Agents on duty in each hour of the day; give this or `shifts`.",
    )
    shifts: tuple[ShiftSpec, ...] | None = Field(
        None, max_length=MAX_ITEMS, description="Named daily shifts; give this or `agents_by_hour`."
    )
    first_response_target_minutes: Real = Field(
        15,
        gt=0,
        le=MAX_TARGET_MINUTES,
        description="SLA: an agent picks the message up within this time.",
    )
    resolution_target_minutes: Real = Field(
        30,
        gt=0,
        le=MAX_TARGET_MINUTES,
        description="SLA: the message is fully handled within this time.",
    )
    patience_minutes: MinutesDist | None = Field(
        None, description="How long fans wait before abandoning; omitted = they wait forever."
    )
    groups: dict[Name, AgentGroupSpec] | None = Field(
        None,
        max_length=MAX_ITEMS,
        description="Agent groups with skills, each with its own roster (instead of one pool "
        "from `agents_by_hour` or `shifts`); every message class must be some group's skill.",
    )

    @model_serializer(mode="wrap")
    def _without_absent_groups(self, handler: SerializerFunctionWrapHandler) -> Any:
        return _without_absent(self, handler, "groups")


class PostsExposure(Frozen):
    """Exposure from posts (e.g. Weibo): each post reaches some of the channel's pool."""

    kind: Literal["posts"]
    posts_per_week: Real = Field(
        ge=0, le=MAX_POSTS_PER_WEEK, description="Posts mentioning the account per week."
    )
    reach_per_post: Real = Field(
        ge=0, le=MAX_FANS, description="People in the pool who see one post."
    )


class OrdersExposure(Frozen):
    """Exposure from store orders shown a prompt (e.g. "track your delivery on WeChat")."""

    kind: Literal["orders"]
    orders_per_day: Real = Field(
        ge=0, le=MAX_FANS, description="Orders (or site sessions) per day."
    )
    prompt_share: Probability = Field(description="Share of them shown the follow prompt.")


class VisitorsExposure(Frozen):
    """Exposure from visitors (forum readers, in-store shoppers passing a QR code)."""

    kind: Literal["visitors"]
    visitors_per_day: Real = Field(
        ge=0, le=MAX_FANS, description="Visitors who see the QR code or link."
    )


class ReferralsExposure(Frozen):
    """Word of mouth: active fans talk to people in the pool (Bass imitation)."""

    kind: Literal["referrals"]
    per_active_fan_per_day: Real = Field(
        ge=0,
        le=MAX_MESSAGES_PER_FAN,
        description="Contacts per active fan per day with people in the pool.",
    )


ExposureSpec = Annotated[
    PostsExposure | OrdersExposure | VisitorsExposure | ReferralsExposure,
    Field(discriminator="kind"),
]


class ChannelSpec(Frozen):
    """A referral funnel: a finite pool, exposures per day, a conversion probability."""

    source: Name | None = Field(
        None, description="Source label in outputs (default: the channel's name), e.g. campaign."
    )
    pool: Real = Field(
        ge=0, le=MAX_FANS, description="People this channel can ever reach (depletes)."
    )
    exposure: ExposureSpec = Field(description="How the pool is exposed each day.")
    conversion: Probability = Field(
        description="Probability an exposed, not yet following person follows."
    )
    quality_sensitivity: Real = Field(
        0.0,
        ge=0,
        le=MAX_SENSITIVITY,
        description="Conversion x quality^this: how much the account's service reputation matters.",
    )
    interested: Real | None = Field(
        None,
        ge=1,
        le=MAX_FANS,
        description="People in the pool already inclined to follow (docs/model.md, 'Audiences "
        "that tire and saturate'): the first to come are fully engaged, later ones ever more "
        "casual; past them conversion falls to followers.casual_conversion x conversion. "
        "Default: followers.interested_share x pool.",
    )
    gift_share: Probability = Field(
        0.0, description="Share of this channel's follows who came only for a gift."
    )
    first_message_share: Probability = Field(
        0.0,
        description="Share of new fans who send a message on their first day (e.g. to track "
        "a delivery), on top of the everyday stream.",
    )
    first_message_class: Name | None = Field(
        None, description="Message class of that first message (a name in messages.classes)."
    )
    start: Date | None = Field(None, description="First day the channel runs (default: start).")
    end: Date | None = Field(None, description="Last day it runs, inclusive (default: forever).")


class FollowersSpec(Frozen):
    """Unfollow hazards and the service-quality feedback."""

    unfollow_per_day: Probability = Field(
        0.0, description="Base daily probability that a fan unfollows."
    )
    gift_unfollow_per_day: Probability = Field(
        0.3,
        description="Daily unfollow probability of gift-driven fans in their window.",
    )
    gift_window_days: Whole = Field(
        7, ge=1, le=MAX_DAYS, description="Days gift-driven fans stay at risk."
    )
    unanswered_unfollow: Probability = Field(
        0.0, description="Probability a fan whose message went unanswered unfollows."
    )
    push_excess_unfollow: Probability = Field(
        0.0,
        description="Extra probability per push above policy that a fan unfollows that week.",
    )
    quality_memory_days: Real = Field(
        7.0,
        ge=1,
        le=MAX_DAYS,
        description="Time constant of the service-quality index (EWMA), in days.",
    )
    quality_late_weight: Probability = Field(
        0.5, description="Credit for an answer later than the first-response target."
    )
    quality_floor: Probability = Field(
        0.0,
        description="Share of a channel's conversion that service quality Q does not touch: "
        "conversion x (floor + (1 - floor) x Q^quality_sensitivity) (assumed).",
    )
    interested_share: Probability = Field(
        1.0,
        description="Share of each channel's pool already inclined to follow, where the channel "
        "sets no `interested` (docs/model.md, 'Audiences that tire and saturate').",
    )
    casual_unfollow_per_day: Probability = Field(
        0.0,
        description="Extra daily unfollow probability of a fully casual fan (engagement 0; a "
        "fan's is 1 - the share of its channel's interested people who came before it).",
    )
    casual_conversion: Probability = Field(
        1.0,
        description="Conversion of people beyond a channel's interested population, relative "
        "to the interested ones': below 1, a channel's growth slows as they are used up.",
    )
    casual_activity: Probability = Field(
        1.0,
        description="Message rate and campaign participation of a fully casual fan relative to "
        "a fully engaged one (active fans = active_share x engagement-weighted fans).",
    )


class PushesSpec(Frozen):
    """Broadcast pushes to all fans and the policy that limits them."""

    per_week: Real = Field(0.0, ge=0, le=MAX_PUSHES_PER_WEEK, description="Pushes sent per week.")
    policy_per_week: Real = Field(
        2.0,
        ge=0,
        le=MAX_PUSHES_PER_WEEK,
        description="Pushes per week fans tolerate (Xiaomi: at most 2 above 100k fans).",
    )
    sends: dict[str, PushSendSpec] = Field(
        default_factory=dict, description="Dated pushes by name: recipients, replies, unfollows."
    )
    sms_cost_per_message: float = Field(
        0.04, ge=0, description="What one SMS would cost instead (RMB; 1M SMS = 40,000 in 2013)."
    )


class BurstSpec(Frozen):
    """How a campaign's messages arrive: an opening spike, then one per round."""

    every_minutes: Real | None = Field(
        None,
        ge=1,
        le=DAY_MINUTES,
        description="Minutes between rounds (a quiz question, a prize); none: one spike.",
    )
    first_share: Probability = Field(
        0.5, description="Share of the campaign's messages in the opening spike."
    )
    rise_seconds: Real = Field(5.0, gt=0, le=DAY_SECONDS, description="How fast a spike builds up.")
    decay_seconds: Real = Field(
        60.0,
        gt=0,
        le=DAY_SECONDS,
        description="How fast it dies away (> rise_seconds); at most the campaign's length "
        "plus the window's margin after it, so the tail is simulated.",
    )


class CampaignSpec(Frozen):
    """A dated campaign: who takes part, what they send and when, whom it brings in."""

    type: Literal["live_quiz", "repost_lottery", "fission", "meetup", "push"] = Field(
        description="Kind of campaign (a label for reports; the burst says how messages arrive)."
    )
    start: LocalDateTime = Field(
        description="When it starts (ISO date-time in local time, no offset)."
    )
    end: LocalDateTime = Field(
        description="When it ends; a later day makes it a multi-day campaign, running each day "
        "from start's clock time to end's."
    )
    participation: Probability | None = Field(
        None,
        description="Share of active fans who take part, typed in (it overrides the "
        "response model); none: from `[response]`, the promotion and the prizes.",
    )
    messages_per_participant: Real = Field(
        1.0, ge=0, le=MAX_MESSAGES_PER_FAN, description="Messages each participant sends."
    )
    message_class: Name = Field(description="Class of those messages (a name in messages.classes).")
    keyword: str = Field(
        "", max_length=MAX_NAME, description='What participants reply, e.g. "GO" (for reports).'
    )
    burst: BurstSpec = Field(
        default_factory=BurstSpec,
        description="How its messages arrive each day. The default is one opening spike "
        "carrying half of the day's messages (first_share 0.5), peaking within seconds and "
        "gone within minutes: staffing then covers that spike; give rounds (every_minutes) or "
        "a lower first_share for a campaign whose messages spread over its hours.",
    )
    new_fans_per_participant: Real = Field(
        0.0,
        ge=0,
        le=MAX_NEW_FANS_PER_PARTICIPANT,
        description="People who follow in order to take part, per participating fan.",
    )
    source: Name = Field("campaign", description="Source label of those new fans in outputs.")
    channel: Name | None = Field(
        None,
        description="Channel the new fans come through (a name in channels): its remaining pool "
        "caps them, they deplete it, and they take its source label.",
    )
    gift_share: Probability = Field(
        0.0, description="Share of those new fans who came only for the prize (they churn)."
    )
    prizes: Whole = Field(
        0, ge=0, le=MAX_FANS, description="Prizes given away (e.g. one phone every 10 min)."
    )
    prize_value: Real = Field(
        0.0,
        ge=0,
        le=MAX_PRIZE_VALUE,
        description="Value of one prize (the costs' currency): prizes x value per participant "
        "lifts take-up and sharing (`[response]`).",
    )
    promotion: PromotionSpec | None = Field(
        None, description="Pushes, posts and paid reach announcing it (before and on launch)."
    )
    platform: Literal["wechat", "weibo"] | None = Field(
        None,
        description="Platform whose reach pool it draws on (default: the scenario's platform).",
    )
    daily_shares: tuple[Annotated[Real, Field(ge=0, le=MAX_WEIGHT)], ...] | None = Field(
        None,
        min_length=1,
        max_length=MAX_DAYS,
        description="Multi-day campaigns: relative participation of each day (normalised; one "
        "per day from start to end); none: the launch-and-decay curve.",
    )
    daily_decay: Real = Field(
        1.0,
        gt=0,
        le=1,
        description="Multi-day campaigns: each day's participation is this times the previous "
        "day's (1 = flat); `participation` is spread over the days.",
    )
    warmup: WarmupSpec | None = Field(None, description="Announcements before the launch.")
    cascade: CascadeSpec | None = Field(None, description="How participants pass it on.")


class ServerSpec(Frozen):
    """The account's back-end server and WeChat's delivery rules, simulated per message."""

    instances: Whole = Field(
        ge=1, le=MAX_INSTANCES, description="Server instances behind the load balancer."
    )
    workers_per_instance: Whole = Field(
        ge=1, le=MAX_WORKERS, description="Requests one instance serves at once."
    )
    queue_limit_per_instance: Whole = Field(
        100,
        ge=0,
        le=MAX_QUEUE_LIMIT,
        description="Requests an instance lets wait; beyond that it refuses.",
    )
    service_time_seconds: SecondsDist = Field(
        description="Time to handle one request (from the scenario or a load-test measurement)."
    )
    dedup: Flag = Field(
        False, description="Recognise repeated MsgIds: answer from cache or reply success."
    )
    dedup_seconds: Real = Field(
        0.002, gt=0, le=MAX_SERVICE_SECONDS, description="Time to handle a recognised repeat."
    )
    reply: Literal["sync", "async"] = Field(
        "sync",
        description='`sync`: answer within the request; `async`: reply "success" at once and '
        "answer through the customer-service API from background workers.",
    )
    ack_seconds: Real = Field(
        0.002, gt=0, le=MAX_SERVICE_SECONDS, description="async: time to acknowledge a request."
    )
    background_workers_per_instance: Whole | None = Field(
        None,
        ge=1,
        le=MAX_WORKERS,
        description="async: background workers per instance (default: the same "
        "as workers_per_instance).",
    )
    deadline_seconds: Real = Field(
        5.0, gt=0, le=MAX_SERVICE_SECONDS, description="WeChat waits this long for a reply."
    )
    max_deliveries: Whole = Field(3, ge=1, le=10, description="Deliveries of one message in all.")
    margin_before_minutes: Real = Field(
        5.0,
        ge=0,
        le=DAY_MINUTES,
        description="Simulate the server from this long before each campaign.",
    )
    margin_after_minutes: Real = Field(
        30.0, ge=0, le=DAY_MINUTES, description="...until this long after it ends."
    )


class ShiftPatternSpec(Frozen):
    """A shift the roster planner may use (`fansim staff`): its length, starts and break."""

    name: Name = Field(description="Label in roster.csv, e.g. `day8`.")
    length_hours: Real = Field(gt=0, le=24, description="Time at work, break included.")
    starts: tuple[ClockTime, ...] | None = Field(
        None,
        description="Clock times it may start (HH:MM, on the staffing interval grid); "
        "omitted = any interval start.",
    )
    break_after_hours: Real | None = Field(
        None, ge=0, le=24, description="Break this long after the start (omitted: no break)."
    )
    break_minutes: Real = Field(
        60,
        gt=0,
        le=DAY_MINUTES,
        description="Length of that break, off the phones (on the interval grid).",
    )


class StaffingSpec(Frozen):
    """What the roster planner may use and what an agent costs (read by `fansim staff`)."""

    shift_patterns: tuple[ShiftPatternSpec, ...] = Field(
        (),
        max_length=MAX_ITEMS,
        description="Allowed shifts for the roster integer program; none = 8-hour shifts "
        "starting at any hour.",
    )
    agent_hourly_cost: Real | None = Field(
        None,
        ge=0,
        le=1e9,
        description="Cost of one agent-hour on shift (any currency), for the report.",
    )


class PhaseSpec(Frozen):
    """A dated change: from `date` on, the dotted paths in `set` take new values."""

    date: Date = Field(description="First day the change applies.")
    note: Text = Field("", description="Why (e.g. customer-service back end goes live).")
    set: dict[str, Any] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description='Dotted paths to new values, e.g. { "service.back_end" = true }.',
    )


class ModelSpec(Frozen):
    """Numerical settings of the simulation (not of the world)."""

    interval_minutes: Whole = Field(
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


class Scenario(Frozen):
    """A whole what-if: who the fans are, what they send, who answers."""

    scenario: ScenarioMeta
    fans: FansSpec
    messages: MessagesSpec
    service: ServiceSpec
    channels: dict[Name, ChannelSpec] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Referral funnels by name (none: a fixed fan count).",
    )
    inbound: dict[Name, InboundSpec] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Further service channels by name beside the WeChat stream of `messages` "
        "(e.g. Weibo private messages), each with its own followers, classes and targets.",
    )
    campaigns: dict[Name, CampaignSpec] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Dated campaigns by name (bursts of messages, new fans).",
    )
    server: ServerSpec | None = Field(
        None,
        description="The back-end server; when given, campaign windows are simulated per "
        "message through it.",
    )
    followers: FollowersSpec = Field(default_factory=FollowersSpec)
    pushes: PushesSpec = Field(default_factory=PushesSpec)
    phases: tuple[PhaseSpec, ...] = Field(
        (), max_length=MAX_ITEMS, description="Dated changes, in date order."
    )
    model: ModelSpec = Field(default_factory=ModelSpec)
    activation: ActivationSpec | None = Field(
        None, description="Messages scheduled for new fans after they follow."
    )
    staffing: StaffingSpec = Field(
        default_factory=StaffingSpec, description="Inputs of the staffing planner only."
    )
    costs: CostsSpec | None = Field(
        None,
        description="Prices of agents, servers, channels, campaigns and SMS; when given, runs "
        "also write costs.csv and the summary's `costs`.",
    )
    response: ResponseSpec = Field(
        default_factory=ResponseSpec,
        description="How fans and outsiders answer campaigns' prizes and promotion.",
    )
    reach: ReachSpec = Field(
        default_factory=ReachSpec,
        description="The reach pool of each platform that campaigns share, and its memory.",
    )

    # the phases resolved into days by `sim.scenario.timeline.resolve_timeline`, carried beside
    # the data: not a field, so never validated, serialised or hashed; a `model_copy` carries
    # it, but it is not the copy's own (`Timeline.source`)
    _timeline: Any = PrivateAttr(None)

    @model_serializer(mode="wrap")
    def _without_absent_tables(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Leave optional tables out when not given, so old scenarios hash as before."""
        return _without_absent(self, handler, "costs", "inbound", "response", "reach")
