"""Cross-field rules of the `[costs]` table: prices name things the scenario has.

Called by `sim.scenario.load` on the raw scenario; each rule names the dotted path, the value
and what to change. Field rules (non-negative, finite, bounded prices) are the schema's.
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem
from sim.scenario.costs import CostsSpec

__all__ = ["cost_problems"]


def _table(raw: Any, *keys: str) -> dict[str, Any]:
    """The table at `keys` in a raw scenario, or {} when absent or not a table."""
    node = raw
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def _unknown(path: str, name: str, known: list[str], where: str) -> Problem:
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(known) or 'none'})"
    return Problem(path, f"must name one of {where}{hint}", name, True)


def _exposure_kind(raw: Any, channel: str) -> Any:
    exposure = _table(raw, "channels", channel, "exposure")
    return exposure.get("kind")


def cost_problems(raw: Any) -> list[Problem]:
    """Problems of a raw scenario's `[costs]` against its groups, channels, campaigns, server."""
    if not isinstance(raw, dict) or raw.get("costs") is None:
        return []
    try:
        costs = CostsSpec.model_validate(raw["costs"])
    except ValidationError:
        return []  # its field problems are reported by the scenario's validation
    out: list[Problem] = []
    groups = list(_table(raw, "service", "groups"))
    for name in costs.groups:
        if not groups:
            rule = "the scenario has one pool of agents, not groups: price it with costs.agent_hour"
            out.append(Problem(f"costs.groups.{name}", rule))
        elif name not in groups:
            out.append(_unknown(f"costs.groups.{name}", name, groups, "service.groups"))
    channels = list(_table(raw, "channels"))
    for name, ch in costs.channels.items():
        here = f"costs.channels.{name}"
        if name not in channels:
            out.append(_unknown(here, name, channels, "channels"))
            continue
        kind = _exposure_kind(raw, name)
        if ch.per_post is not None and kind != "posts":
            rule = f"only a channel whose exposure kind is `posts` has posts (this one: `{kind}`)"
            out.append(Problem(f"{here}.per_post", rule, ch.per_post, True))
    campaigns = list(_table(raw, "campaigns"))
    for name in costs.campaigns:
        if name not in campaigns:
            out.append(_unknown(f"costs.campaigns.{name}", name, campaigns, "campaigns"))
    if costs.instance_hour is not None and costs.instances is None and not raw.get("server"):
        rule = "is required to cost instance-hours when the scenario has no [server] table"
        out.append(Problem("costs.instances", rule))
    return out
