"""Scenario files: TOML in, frozen typed config out, every problem reported at once.

The TOML is read once at the boundary; after `load_scenario` no code sees a dict. A file may
`extends = "base.toml"` and override what differs. Loading reads the files (`files`), applies
`--set` overrides (`overrides`: never lost to a phase), validates (field rules on the
`schema`, cross-field `rules`) and resolves the `[[phases]]` into a `timeline`, once;
the scenario carries its timeline beside its data.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.files import MAX_DEPTH, read_raw, too_deep
from sim.scenario.overrides import apply_overrides
from sim.scenario.rules import scenario_problems
from sim.scenario.schema import Scenario
from sim.scenario.timeline import phase_problems, resolve_timeline

__all__ = ["load_scenario", "parse_override", "scenario_from_dict"]


def scenario_from_dict(raw: Any, source: str = "") -> Scenario:
    """Validate a raw mapping (parsed TOML plus overrides); raise `ScenarioError` listing all."""
    deep = too_deep(raw)
    if deep is not None:
        raise ScenarioError([deep], source)
    scenario, problems = scenario_problems(raw)
    if scenario is not None and not problems:
        try:
            resolve_timeline(scenario)  # once; the scenario carries it
        except ScenarioError as exc:
            problems += exc.problems
    elif problems and isinstance(raw, dict):
        problems += phase_problems(raw)
    if problems or scenario is None:
        raise ScenarioError(problems, source)
    return scenario


def parse_override(text: str) -> tuple[str, Any]:
    """Split `path=value`; the value is read as a TOML value, else taken as a plain string."""
    if "=" not in text:
        raise ScenarioError(
            [
                Problem(
                    "--set",
                    "must look like path=value, e.g. service.agents_by_hour=[...]",
                    text,
                    True,
                )
            ]
        )
    path, _, value_text = text.partition("=")
    path = path.strip()
    try:
        value = tomllib.loads(f"v = {value_text.strip()}")["v"]
    except ValueError:  # not TOML (or an integer of more than 4,300 digits): a plain string
        value = value_text.strip()
    except RecursionError:
        rule = f"value nests more than {MAX_DEPTH} levels deep"
        raise ScenarioError([Problem(f"--set {path}", rule)]) from None
    return path, value


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a scenario file (and any it `extends`), apply overrides, validate all at once."""
    p = Path(path)
    source = str(p)
    raw = read_raw(p)
    problems: list[Problem] = []
    pairs: list[tuple[str, Any]] = []
    for text in overrides:
        try:
            pairs.append(parse_override(text))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    problems += apply_overrides(raw, pairs)
    try:
        scenario = scenario_from_dict(raw, source)
    except ScenarioError as exc:
        raise ScenarioError(problems + exc.problems, source) from None
    if problems:  # the overrides that could not be applied
        raise ScenarioError(problems, source)
    return scenario
