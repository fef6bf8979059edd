"""The scenario's JSON Schema, from the pydantic models, for editors (`fansim schema`).

An editor that reads JSON Schema for TOML (Taplo, VS Code's Even Better TOML) completes keys,
shows each field's description and flags a wrong type as the file is typed. The schema checks
what one file can say on its own: the field types, ranges and known keys; the cross-field rules
(`sim.scenario.rules`: a class named in a campaign exists, shares sum to 1, ...) and the phases
are checked by `fansim validate`. A file that `extends` another need not hold every required
section, so the schema lists `extends` and requires nothing when it is given.
"""

from __future__ import annotations

import json
from typing import Any

from sim.scenario.schema import Scenario

__all__ = ["SCHEMA_ID", "scenario_json_schema", "scenario_json_schema_text"]

SCHEMA_ID = "https://fansim.invalid/scenario.schema.json"
"""A name for the schema (not fetched: editors load the file written by `fansim schema`)."""


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, `extends` included."""
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "fansim scenario"
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "A scenario file (relative to this one) whose values this file overrides.",
    }
    required = schema.pop("required", [])
    # a file that extends another may leave its required sections to the base
    schema["if"] = {"not": {"required": ["extends"]}}
    schema["then"] = {"required": required}
    return schema


def scenario_json_schema_text() -> str:
    """The schema as the file `fansim schema` writes (stable key order, one trailing newline)."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
