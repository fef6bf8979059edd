"""Schema of what fans send: message classes, the WeChat stream, further inbound channels.

`[messages]` is the WeChat account's stream, its volume driven by the account's active fans
(`sim.model.fans`). `[inbound.<name>]` adds another service channel (Weibo private messages and
mentions, forum feedback): the same kind of stream, but driven by that platform's own follower
count, with its own classes and its own response targets. Data only; the model samples both
with `sim.model.traffic.MessageStream` (see `sim.model.inbound`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from sim.scenario.bounds import (
    MAX_FANS,
    MAX_ITEMS,
    MAX_MESSAGES_PER_FAN,
    MAX_TARGET_MINUTES,
    MAX_WEIGHT,
    Frozen,
    Name,
    Probability,
    Real,
    Whole,
)
from sim.scenario.durations import MinutesDist

__all__ = ["WECHAT", "InboundSpec", "MessageClassSpec", "MessagesSpec"]

WECHAT = "wechat"
"""The name of the `[messages]` stream in per-channel outputs (reserved: no inbound channel)."""


class MessageClassSpec(Frozen):
    """One kind of inbound message: how common, who answers it, how long it takes."""

    share: Probability = Field(
        description="Share of its stream's messages (the shares of one stream sum to 1)."
    )
    routing: Literal["auto", "human"] = Field(
        description="`auto`: answerable by keyword auto-reply; `human`: always routed to an agent "
        "(orders, ROM flashing, delivery, images, voice)."
    )
    priority: Whole = Field(
        1, ge=0, le=9, description="Queue priority for agents; 0 is served first."
    )
    auto_reply_coverage: Probability | None = Field(
        None,
        description="This class's keyword-rule coverage (default: its stream's "
        "`auto_reply_coverage`).",
    )
    handle_time_minutes: MinutesDist = Field(
        description="Agent handling time for one message of this class."
    )
    patience_minutes: MinutesDist | None = Field(
        None,
        description="How long a fan waits before giving up (default: service.patience_minutes).",
    )
    keywords: tuple[Annotated[str, Field(min_length=1)], ...] = Field(
        (),
        description="Words that route a fan's text to this class in the reference back end "
        '(`fansim backend`), e.g. `["订单"]`: the first class in file order with a keyword '
        "the text contains wins (ASCII keywords match whole words, any case); text matching "
        "none goes to the first `auto` class without keywords. The simulation does not read "
        "them (it draws classes by `share`).",
    )


def _default_profile() -> tuple[float, ...]:
    return (1.0,) * 24


class MessagesSpec(Frozen):
    """The WeChat account's inbound message stream (`wechat` in per-channel outputs)."""

    per_active_fan_per_day: Real = Field(
        ge=0,
        le=MAX_MESSAGES_PER_FAN,
        description="Messages per active fan per day, all classes (active: fans.active_share "
        "for WeChat, the channel's `active_share` for an inbound channel).",
    )
    hourly_profile: tuple[Annotated[Real, Field(ge=0, le=MAX_WEIGHT)], ...] = Field(
        default_factory=_default_profile,
        min_length=24,
        max_length=24,
        description="Relative volume in each hour of the day (00:00 first); normalised to sum 1. "
        "The default is flat: as many messages at 03:00 as at 20:00, which no account sees; "
        "give the account's own shape (scenarios/xiaomi_service_2013.toml has one).",
    )
    auto_reply_coverage: Probability = Field(
        1.0, description="Share of `auto` messages that keyword rules actually answer."
    )
    classes: dict[Name, MessageClassSpec] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="Message classes by name (e.g. keyword, order, delivery).",
    )


class InboundSpec(MessagesSpec):
    """A further service channel (e.g. Weibo private messages): its own fans, classes, targets.

    Its classes join the run's message classes after `[messages]`' (class names are unique
    across channels), so agent groups may list them as skills, or name the whole channel.
    """

    platform: Name = Field(description="Platform label for reports, e.g. `weibo` or `forum`.")
    followers: Whole = Field(
        ge=0,
        le=MAX_FANS,
        description="Followers of this channel's account on its platform at the start (e.g. "
        "Weibo followers); a fixed count, not the WeChat fans.",
    )
    growth_per_day: Real = Field(
        0.0,
        ge=0,
        le=MAX_FANS,
        description="Followers added per day (the count on day d is followers + d x this).",
    )
    active_share: Probability = Field(
        1.0, description="Share of these followers who are active (send messages)."
    )
    first_response_target_minutes: Real | None = Field(
        None,
        gt=0,
        le=MAX_TARGET_MINUTES,
        description="SLA of this channel: an agent picks a message up within this time "
        "(default: service.first_response_target_minutes).",
    )
    resolution_target_minutes: Real | None = Field(
        None,
        gt=0,
        le=MAX_TARGET_MINUTES,
        description="SLA of this channel: a message is fully handled within this time "
        "(default: service.resolution_target_minutes).",
    )
