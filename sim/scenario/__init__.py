"""Scenarios: the typed schema, loading TOML (`extends`, `--set`), cross-field rules, phases.

Everything a what-if can say is validated here, once, at the boundary; after `load_scenario`
no code sees a dict. Errors are `sim.errors.ScenarioError`, listing every problem at once.
Imports run one way: `bounds`, `durations`, `inbound`, `spread`, `costs` (field types) <-
`schema` (data only) <- `rules/` (cross-field rules) <- `timeline` (phases applied, resolved
once) <- `load` (files, overrides, validation, resolution); `reference` (the generated docs)
reads only the schema.
"""

from sim.scenario.load import load_scenario, parse_override, scenario_from_dict
from sim.scenario.schema import Scenario

__all__ = ["Scenario", "load_scenario", "parse_override", "scenario_from_dict"]
