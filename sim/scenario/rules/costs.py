"""Cross-field rules of the `[costs]` table: prices name things the scenario has.

Run by `sim.scenario.rules` on the raw scenario; each rule names the dotted path, the value
and what to change. Field rules (non-negative, finite, bounded prices) are the schema's.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from sim.errors import Problem
from sim.scenario.costs import CostsSpec
from sim.scenario.validation import did_you_mean, raw_table

__all__ = ["cost_problems"]


def _unknown(path: str, name: str, known: list[str], where: str) -> Problem:
    return Problem(path, f"must name one of {where}{did_you_mean(name, known)}", name, True)


def cost_problems(raw: Any) -> list[Problem]:
    """Problems of a raw scenario's `[costs]` against its groups, channels, campaigns, server."""
    if not isinstance(raw, dict) or raw.get("costs") is None:
        return []
    try:
        costs = CostsSpec.model_validate(raw["costs"])
    except ValidationError:
        return []  # its field problems are reported by the scenario's validation
    out: list[Problem] = []
    groups = list(raw_table(raw, "service", "groups"))
    for name in costs.groups:
        if not groups:
            rule = "the scenario has one pool of agents, not groups: price it with costs.agent_hour"
            out.append(Problem(f"costs.groups.{name}", rule))
        elif name not in groups:
            out.append(_unknown(f"costs.groups.{name}", name, groups, "service.groups"))
    channels = list(raw_table(raw, "channels"))
    for name, ch in costs.channels.items():
        here = f"costs.channels.{name}"
        if name not in channels:
            out.append(_unknown(here, name, channels, "channels"))
            continue
        kind = raw_table(raw, "channels", name, "exposure").get("kind")
        if ch.per_post is not None and kind != "posts":
            rule = f"only a channel whose exposure kind is `posts` has posts (this one: `{kind}`)"
            out.append(Problem(f"{here}.per_post", rule, ch.per_post, True))
    campaigns = list(raw_table(raw, "campaigns"))
    for name in costs.campaigns:
        if name not in campaigns:
            out.append(_unknown(f"costs.campaigns.{name}", name, campaigns, "campaigns"))
    if costs.instance_hour is not None and costs.instances is None and not raw.get("server"):
        rule = "is required to cost instance-hours when the scenario has no [server] table"
        out.append(Problem("costs.instances", rule))
    return out
