"""The defaults a run's answer rests on: settings the scenario left out that move it most.

A new user's scenario validates and runs, and its answer can still be decided by values nobody
chose: half of each campaign day's messages in its opening minute, as many messages at 03:00
as at 20:00, fans who never give up waiting. summary.json's `assumptions` and the report list
each one the scenario file left at its default (pydantic records which fields a file gave),
most consequential first, with its value and what it means. A scenario that sets them has none
listed. Fields a `[[phases]]` entry sets count as given.
"""

from __future__ import annotations

from typing import Any

from sim.scenario.schema import Scenario

__all__ = ["assumptions"]


def _given_by_phase(scenario: Scenario, path: str) -> bool:
    return any(
        key == path or key.startswith(path + ".") or path.startswith(key + ".")
        for phase in scenario.phases
        for key in phase.set
    )


def _item(path: str, value: Any, meaning: str) -> dict[str, Any]:
    return {"path": path, "value": value, "meaning": meaning}


def _campaign_bursts(scenario: Scenario) -> list[dict[str, Any]]:
    out = []
    for name, c in scenario.campaigns.items():
        given = c.burst.model_fields_set if "burst" in c.model_fields_set else set()
        path = f"campaigns.{name}.burst"
        if "first_share" in given or _given_by_phase(scenario, path):
            continue
        rounds = c.burst.every_minutes
        spread = (
            "the rest spread over its hours" if rounds is None else f"rounds every {rounds:g} min"
        )
        out.append(
            _item(
                f"{path}.first_share",
                c.burst.first_share,
                f"{c.burst.first_share:.0%} of each day's campaign messages arrive in an opening "
                f"spike (rising in {c.burst.rise_seconds:g} s, gone in about "
                f"{c.burst.decay_seconds:g} s), {spread}: staffing covers that spike",
            )
        )
    return out


def assumptions(scenario: Scenario) -> list[dict[str, Any]]:
    """Each default left in place that moves the answer, most consequential first."""
    out = _campaign_bursts(scenario)
    m, s = scenario.messages, scenario.service
    if "hourly_profile" not in m.model_fields_set and not _given_by_phase(
        scenario, "messages.hourly_profile"
    ):
        out.append(
            _item(
                "messages.hourly_profile",
                "flat",
                "as many messages arrive at 03:00 as at 20:00: agents on day shifts meet a "
                "night's backlog every morning",
            )
        )
    humans = [c for c in m.classes.values() if c.routing == "human"]
    if (
        s.patience_minutes is None
        and humans
        and all(c.patience_minutes is None for c in humans)
        and not _given_by_phase(scenario, "service.patience_minutes")
    ):
        out.append(
            _item(
                "service.patience_minutes",
                None,
                "fans never give up waiting: nobody abandons, every message is answered "
                "however late, and the backlog carries over",
            )
        )
    autos = [c for c in m.classes.values() if c.routing == "auto"]
    if (
        autos
        and "auto_reply_coverage" not in m.model_fields_set
        and all(c.auto_reply_coverage is None for c in autos)
        and not _given_by_phase(scenario, "messages.auto_reply_coverage")
    ):
        out.append(
            _item(
                "messages.auto_reply_coverage",
                m.auto_reply_coverage,
                "keyword rules answer every message routed to them: none falls through to "
                "the agents",
            )
        )
    if "active_share" not in scenario.fans.model_fields_set:
        out.append(
            _item(
                "fans.active_share",
                scenario.fans.active_share,
                "every fan is active: messages and referrals scale with all fans",
            )
        )
    for key, what in (
        ("first_response_target_minutes", "first-response target"),
        ("resolution_target_minutes", "resolution target"),
    ):
        if key not in s.model_fields_set and not _given_by_phase(scenario, f"service.{key}"):
            out.append(
                _item(
                    f"service.{key}",
                    getattr(s, key),
                    f"the {what} the service levels are judged against",
                )
            )
    return out
