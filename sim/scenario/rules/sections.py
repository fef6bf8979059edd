"""Cross-field rules of the scenario's own sections: dates, rosters, channels, campaigns.

Each reads the raw mapping (or a section whose own fields are valid), so its problems are
reported beside any field problem, all at once; each names the dotted path, the value and the
rule.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem
from sim.scenario.bounds import MAX_DAYS
from sim.scenario.rules.inbound import stream_problems
from sim.scenario.rules.spread import campaign_spread_problems
from sim.scenario.schema import (
    AgentGroupSpec,
    CampaignSpec,
    ChannelSpec,
    MessagesSpec,
    ScenarioMeta,
    ServerSpec,
    ServiceSpec,
)
from sim.scenario.validation import did_you_mean, raw_table

__all__ = [
    "SECTIONS",
    "campaign_problems",
    "channel_problems",
    "class_name_problems",
    "known_classes",
]


def _meta_problems(meta: ScenarioMeta) -> list[Problem]:
    if meta.end is not None and meta.end < meta.start:
        rule = f"must not be before scenario.start ({meta.start})"
        return [Problem("scenario.end", rule, meta.end.isoformat(), True)]
    if meta.days > MAX_DAYS:
        rule = f"must be at most {MAX_DAYS:,} days (ten years) from scenario.start ({meta.start})"
        return [Problem("scenario.end", rule, meta.end.isoformat() if meta.end else None, True)]
    return []


def _messages_problems(messages: MessagesSpec) -> list[Problem]:
    return stream_problems("messages", messages)


def _roster_problems(here: str, roster: ServiceSpec | AgentGroupSpec) -> list[Problem]:
    out: list[Problem] = []
    forms = (roster.agents_by_hour is not None) + (roster.shifts is not None)
    if forms != 1:
        got = "both" if forms == 2 else "neither"
        rule = f"give exactly one of `agents_by_hour` or `shifts` (got {got})"
        out.append(Problem(here, rule))
    for i, sh in enumerate(roster.shifts or ()):
        if sh.start == sh.end:
            shown = sh.end.isoformat(timespec="minutes")
            out.append(Problem(f"{here}.shifts[{i}].end", "must differ from start", shown, True))
    return out


def _service_problems(service: ServiceSpec) -> list[Problem]:
    if service.groups is None:
        return _roster_problems("service", service)
    out: list[Problem] = []
    if service.agents_by_hour is not None or service.shifts is not None:
        rule = "give the roster in each group, not `agents_by_hour` or `shifts` beside `groups`"
        out.append(Problem("service", rule))
    if not service.groups:
        out.append(Problem("service.groups", "needs at least one group"))
    for name, group in service.groups.items():
        out += _roster_problems(f"service.groups.{name}", group)
    return out


SECTIONS: tuple[tuple[str, type[BaseModel], Any], ...] = (
    ("scenario", ScenarioMeta, _meta_problems),
    ("messages", MessagesSpec, _messages_problems),
    ("service", ServiceSpec, _service_problems),
)


def known_classes(raw: Any) -> list[str]:
    """Message class names in a raw scenario, or [] if they cannot be read."""
    return list(raw_table(raw, "messages", "classes"))


def class_name_problems(path: str, name: str | None, known: list[str]) -> list[Problem]:
    """A problem if `name` is not one of the known message classes (with did-you-mean)."""
    if name is None or not known or name in known:
        return []
    rule = f"must be a class in messages.classes{did_you_mean(name, known)}"
    return [Problem(path, rule, name, True)]


def channel_problems(raw: Any) -> list[Problem]:
    """Each channel's first-message class and its dates."""
    out: list[Problem] = []
    known = known_classes(raw)
    for name, spec in raw_table(raw, "channels").items():
        try:
            ch = ChannelSpec.model_validate(spec)
        except ValidationError:
            continue
        cls = ch.first_message_class
        if ch.first_message_share > 0 and cls is None:
            rule = "must name a message class when first_message_share > 0"
            out.append(Problem(f"channels.{name}.first_message_class", rule))
        out += class_name_problems(f"channels.{name}.first_message_class", cls, known)
        if ch.start is not None and ch.end is not None and ch.end < ch.start:
            rule = f"must not be before channels.{name}.start ({ch.start})"
            out.append(Problem(f"channels.{name}.end", rule, ch.end.isoformat(), True))
    return out


def _margin_after_minutes(raw: Any) -> float:
    """Minutes simulated per message after a campaign ends (the server's margin, or its default)."""
    server = raw.get("server") if isinstance(raw, dict) else None
    default: float = ServerSpec.model_fields["margin_after_minutes"].default
    try:
        return ServerSpec.model_validate(server).margin_after_minutes if server else default
    except ValidationError:
        return default


def campaign_problems(raw: Any) -> list[Problem]:
    """Each campaign's dates, names, burst and window, against the scenario's days."""
    out: list[Problem] = []
    known = known_classes(raw)
    meta = raw.get("scenario") if isinstance(raw, dict) else None
    margin_after = _margin_after_minutes(raw)
    channels = raw_table(raw, "channels")
    for name, spec in raw_table(raw, "campaigns").items():
        try:
            c = CampaignSpec.model_validate(spec)
        except ValidationError:
            continue
        here = f"campaigns.{name}"
        if c.end <= c.start:
            rule = f"must be after {here}.start ({c.start.isoformat()})"
            out.append(Problem(f"{here}.end", rule, c.end.isoformat(), True))
        out += campaign_spread_problems(here, c)
        out += class_name_problems(f"{here}.message_class", c.message_class, known)
        if c.channel is not None and c.channel not in channels:
            rule = f"must be a channel in channels{did_you_mean(c.channel, list(channels))}"
            out.append(Problem(f"{here}.channel", rule, c.channel, True))
        if c.burst.rise_seconds >= c.burst.decay_seconds:
            out.append(
                Problem(
                    f"{here}.burst.rise_seconds",
                    f"must be less than decay_seconds ({c.burst.decay_seconds})",
                    c.burst.rise_seconds,
                    True,
                )
            )
        window = (c.end - c.start).total_seconds() + margin_after * 60.0
        if c.end > c.start and c.burst.decay_seconds > window:  # else the end is the mistake
            rule = (
                f"must be at most the campaign's length plus the {margin_after:g} minutes "
                f"simulated after it ({window:,.0f} s), or the burst's tail is cut off"
            )
            out.append(Problem(f"{here}.burst.decay_seconds", rule, c.burst.decay_seconds, True))
        try:
            m = ScenarioMeta.model_validate(meta)
        except ValidationError:
            continue
        last = m.end or m.start
        if not m.start <= c.start.date() <= last:
            out.append(
                Problem(
                    f"{here}.start",
                    f"must fall within {m.start}..{last}",
                    c.start.isoformat(),
                    True,
                )
            )
    return out
