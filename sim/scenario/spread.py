"""Schema of the mechanisms that spread an account: warm-ups, cascades, pushes, activation.

Data only, like `sim.scenario.schema` (which uses these as optional fields, so a scenario that
says nothing about them validates and runs as before). The mechanisms themselves live in
`sim.model.campaigns`, `sim.model.cascades`, `sim.model.pushes` and `sim.model.activation`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from sim.scenario.bounds import (
    MAX_CV,
    MAX_FANS,
    MAX_MESSAGES_PER_FAN,
    MAX_WEIGHT,
    Date,
    Frozen,
    Name,
    Probability,
    Real,
    Whole,
)

__all__ = [
    "ActivationSpec",
    "ActivationStepSpec",
    "CascadeSpec",
    "PushSendSpec",
    "SegmentSpec",
    "WarmupSpec",
]


class WarmupSpec(Frozen):
    """Announcements before a campaign's launch that raise its reach (e.g. a month on Weibo)."""

    days: Whole = Field(ge=1, le=120, description="Days of announcements before the launch.")
    reach_per_day: Real = Field(
        ge=0,
        le=MAX_FANS,
        description="Announcement views per day (posts x views per post); they fall uniformly "
        "on the platform's reach pool, so repeated views of the same people saturate.",
    )
    join_share: Probability | None = Field(
        None,
        description="Share of the people aware at launch (reached, not yet following) who come: "
        "they follow (through the campaign's channel, if any) and take part on the first day; "
        "none: `response.outsider_take_up` with the prizes' lift.",
    )


class CascadeSpec(Frozen):
    """Participants pass the campaign on: a branching process in generations, drawn per cohort."""

    kind: Literal["share", "repost", "quiz", "task"] = Field(
        "share",
        description="`share`/`repost`/`quiz`: sharers reach a dispersed number of contacts; "
        "`task`: each sharer invites friends one by one until `invite_target` joined or "
        "`max_invites` were sent (task fission, 'invite n friends to unlock the prize').",
    )
    share_probability: Probability = Field(
        description="Probability a participant shares (reposts, or takes on the task)."
    )
    contacts_mean: Real = Field(
        0.0,
        ge=0,
        le=MAX_MESSAGES_PER_FAN,
        description="Contacts one share reaches, on average (share/repost/quiz).",
    )
    contacts_dispersion: Real | None = Field(
        None,
        gt=0,
        le=MAX_WEIGHT,
        description="Negative-binomial shape k of contacts per share (smaller = a few big "
        "sharers); none: Poisson.",
    )
    join_probability: Probability = Field(
        description="Probability a contact reached for the first time joins (takes part)."
    )
    follow_probability: Probability = Field(
        1.0, description="Share of joiners who follow the account (they can share in turn)."
    )
    delay_hours_mean: Real = Field(
        6.0,
        gt=0,
        le=720,
        description="Mean time from joining to one's own shares reaching contacts.",
    )
    delay_hours_cv: Real = Field(
        1.0,
        gt=0,
        le=MAX_CV,
        description="Its coefficient of variation (gamma delays; 1 = exponential).",
    )
    pool: Real | None = Field(
        None,
        ge=0,
        le=MAX_FANS,
        description="People the shares can reach (default: the campaign channel's remaining "
        "pool; neither: the platform's reach pool, `[reach]`).",
    )
    invite_target: Whole | None = Field(
        None, ge=1, le=50, description="task: friends who must join to unlock the prize."
    )
    max_invites: Whole = Field(
        20, ge=1, le=500, description="task: invites a participant sends before giving up."
    )
    max_generations: Whole = Field(40, ge=1, le=200, description="Generations followed at most.")
    max_days: Whole = Field(
        60, ge=1, le=366, description="Days after the launch the cascade is followed."
    )


class SegmentSpec(Frozen):
    """Fans chosen by tags (source, follow date, gift-driven, active); all given must hold."""

    sources: tuple[str, ...] | None = Field(
        None, min_length=1, description="Source labels (e.g. `weibo`, `campaign`); none: any."
    )
    followed_from: Date | None = Field(None, description="Followed on or after this date.")
    followed_to: Date | None = Field(None, description="Followed on or before this date.")
    gift_driven: bool | None = Field(
        None, description="Only fans who came for a gift (true) or only the others (false)."
    )
    active: bool | None = Field(
        None,
        description="Only active fans (true) or only inactive ones (false), by fans.active_share.",
    )


class PushSendSpec(Frozen):
    """One push: whom it goes to, the replies it brings and the unfollows it causes."""

    at: dt.datetime = Field(description="When it is sent (ISO date-time, local).")
    segment: SegmentSpec | None = Field(
        None, description="Recipients (targeted push); none: every fan (broadcast)."
    )
    relevant_to: SegmentSpec | None = Field(
        None,
        description="Fans the content is relevant to (default: the segment of a targeted push; "
        "nobody for a broadcast).",
    )
    reply_rate: Probability = Field(0.0, description="Replies per recipient.")
    reply_class: Name | None = Field(
        None, description="Message class of the replies (a name in messages.classes)."
    )
    reply_mean_hours: Real = Field(
        2.0, gt=0, le=720, description="Replies arrive over the following hours, exponentially."
    )
    unfollow_per_recipient: Probability = Field(
        0.0, description="Probability a recipient unfollows because of the push."
    )
    relevant_unfollow_per_recipient: Probability | None = Field(
        None,
        description="The same for recipients it is relevant to (default: unfollow_per_recipient).",
    )


class ActivationStepSpec(Frozen):
    """One scheduled message to new fans after they follow."""

    name: Name = Field(min_length=1, description="Label, e.g. `intro`.")
    after_hours: Real = Field(ge=0, le=336, description="Hours after the follow it is sent.")
    reply_rate: Probability = Field(0.0, description="Replies per new fan who receives it.")
    unfollow_factor: Real = Field(
        1.0,
        gt=0,
        le=10,
        description="Multiplies the new fan's unfollow hazard from then until the end of the "
        "first week (< 1: the step keeps fans).",
    )


def _default_steps() -> tuple[ActivationStepSpec, ...]:
    # the 2020 playbook's SOP [C]; reply rates and hazard factors are assumptions
    return (
        ActivationStepSpec(name="intro", after_hours=0, reply_rate=0.05, unfollow_factor=0.9),
        ActivationStepSpec(name="article", after_hours=1, reply_rate=0.02, unfollow_factor=0.95),
        ActivationStepSpec(
            name="best_seller", after_hours=12, reply_rate=0.02, unfollow_factor=0.95
        ),
        ActivationStepSpec(
            name="new_campaign", after_hours=48, reply_rate=0.03, unfollow_factor=0.9
        ),
    )


class ActivationSpec(Frozen):
    """The activation sequence: messages scheduled for every new fan after the follow."""

    steps: tuple[ActivationStepSpec, ...] = Field(
        default_factory=_default_steps,
        min_length=1,
        description="The steps (default: intro at once, an article within 1 h, a best-seller "
        "within 12 h, a new campaign within 48 h [C]).",
    )
    reply_class: Name = Field(description="Message class of the replies (in messages.classes).")
    reply_mean_hours: Real = Field(
        1.0,
        gt=0,
        le=720,
        description="Replies arrive over the hours after each step, exponentially.",
    )
    first_week_days: Whole = Field(
        7, ge=1, le=30, description="Days the steps' unfollow factors apply after the follow."
    )
