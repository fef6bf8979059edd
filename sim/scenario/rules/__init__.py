"""Cross-field rules: what a scenario must satisfy across fields, tables and names.

Field rules live on the schema; the rules here read the raw mapping (or a section whose own
fields are valid), so every problem is reported at once. `sections` holds the rules of the
scenario's own tables, `inbound`, `spread` and `costs` those of further channels, multi-day
campaigns and pushes, and prices. `scenario_problems` runs pydantic and all of them.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from sim.errors import Problem
from sim.scenario.rules.costs import cost_problems
from sim.scenario.rules.inbound import inbound_problems, skill_problems
from sim.scenario.rules.sections import (
    SECTIONS,
    campaign_problems,
    channel_problems,
    class_name_problems,
    known_classes,
)
from sim.scenario.rules.spread import spread_problems
from sim.scenario.schema import Scenario
from sim.scenario.validation import pydantic_problems

__all__ = ["cross_field_problems", "scenario_problems"]


def cross_field_problems(raw: dict[str, Any]) -> list[Problem]:
    """Rules spanning fields, for every section whose own fields are valid."""
    out: list[Problem] = channel_problems(raw) + campaign_problems(raw)
    out += skill_problems(raw) + inbound_problems(raw)
    out += cost_problems(raw)
    out += spread_problems(
        raw, lambda path, name: class_name_problems(path, name, known_classes(raw))
    )
    for key, model, check in SECTIONS:
        try:
            section = model.model_validate(raw.get(key))
        except ValidationError:
            continue  # its field problems are already reported
        out += check(section)
    return out


def scenario_problems(raw: Any) -> tuple[Scenario | None, list[Problem]]:
    """The scenario a raw mapping makes (None if its fields are invalid) and every problem."""
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems += pydantic_problems(exc, Scenario)
    problems += cross_field_problems(raw)
    return scenario, problems
