"""Rules that span inbound channels: unique class names, reserved names, skills, phases.

They read the raw mapping (like the other cross-field rules in `sim.scenario.rules`), so they
are reported beside any field problem, all at once. A group's skill may name a message class
of any channel or a whole `[inbound.<name>]` channel (all its classes, in file order).
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem
from sim.scenario.inbound import WECHAT, InboundSpec, MessagesSpec
from sim.scenario.validation import did_you_mean, raw_table

__all__ = [
    "inbound_problems",
    "phase_channel_problem",
    "skill_classes",
    "skill_problems",
    "stream_problems",
]


def _classes(stream: Any) -> list[str]:
    return list(raw_table(stream, "classes"))


def stream_problems(here: str, stream: MessagesSpec) -> list[Problem]:
    """A stream's shares must sum to 1 and its hourly profile must have a positive hour."""
    out: list[Problem] = []
    total = sum(c.share for c in stream.classes.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        rule = "shares must sum to 1; adjust the `share` fields"
        out.append(Problem(f"{here}.classes", rule, round(total, 9), True))
    if sum(stream.hourly_profile) <= 0:
        out.append(Problem(f"{here}.hourly_profile", "needs at least one positive hour"))
    return out


def skill_classes(raw: Any) -> dict[str, list[str]]:
    """What each name a skill may use stands for: a class itself, or a channel's classes."""
    out: dict[str, list[str]] = {c: [c] for c in _classes(raw_table(raw, "messages"))}
    channels = raw_table(raw, "inbound")
    for spec in channels.values():
        out |= {c: [c] for c in _classes(spec) if c not in out}
    for name, spec in channels.items():
        out.setdefault(name, _classes(spec))
    return out


def inbound_problems(raw: Any) -> list[Problem]:
    """Each channel's own stream rules; reserved names; class names unique across channels."""
    out: list[Problem] = []
    owner = dict.fromkeys(_classes(raw_table(raw, "messages")), "messages")
    channels = raw_table(raw, "inbound")
    for name, spec in channels.items():
        here = f"inbound.{name}"
        if name == WECHAT:
            rule = "is the name of the [messages] stream in outputs; rename the channel"
            out.append(Problem(here, rule, name, True))
        for cls in _classes(spec):
            if cls in owner:
                rule = (
                    f"is already a class of {owner[cls]}; class names must be unique across "
                    "channels (rename one)"
                )
                out.append(Problem(f"{here}.classes.{cls}", rule, cls, True))
            else:
                owner[cls] = here
        try:
            out += stream_problems(here, InboundSpec.model_validate(spec))
        except ValidationError:
            continue  # its field problems are already reported
    for name in channels:
        if name in owner:
            rule = "must differ from every message class name (a group's skill may name either)"
            out.append(Problem(f"inbound.{name}", rule, name, True))
    return out


def skill_problems(raw: Any) -> list[Problem]:
    """Skills must name a class or a channel, and every class must be some group's skill."""
    groups = raw_table(raw, "service", "groups")
    known = skill_classes(raw)
    if not groups or not known:
        return []
    out: list[Problem] = []
    served: set[str] = set()
    for name, group in groups.items():
        skills = group.get("skills") if isinstance(group, dict) else None
        for i, skill in enumerate(skills if isinstance(skills, list) else ()):
            if not isinstance(skill, str):
                continue
            if skill in known:
                served.update(known[skill])
                continue
            hint = did_you_mean(skill, list(known))
            rule = f"must be a message class or an inbound channel{hint}"
            out.append(Problem(f"service.groups.{name}.skills[{i}]", rule, skill, True))
    classes = [c for c, stands in known.items() if stands == [c]]
    missing = [c for c in classes if c not in served]
    if missing:
        rule = (
            "every message class of every channel must be some group's skill; add it (or its "
            "inbound channel) to a group's `skills`"
        )
        out.append(Problem("service.groups", rule, ", ".join(missing), True))
    return out


def phase_channel_problem(raw: Any, path: str, here: str) -> Problem | None:
    """A phase may change an inbound channel's fields, not add a channel."""
    parts = path.split(".")
    if parts[0] != "inbound" or len(parts) < 2 or parts[1] in raw_table(raw, "inbound"):
        return None
    rule = (
        "cannot add an inbound channel by phase; declare it in [inbound.<name>] and give it "
        "followers = 0 (or per_active_fan_per_day = 0) until the phase"
    )
    return Problem(here, rule)
