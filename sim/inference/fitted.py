"""`fitted.toml`: the fitted scenario, a file that `extends` the scenario and sets the medians.

A free parameter of the scenario itself is one dotted key. A phase's field
(`phases[N].set.<path>`) cannot be one: `extends` replaces arrays whole, so the file repeats
the scenario's `[[phases]]` with the fitted values put in (every other entry as it was).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario import Scenario
from sim.scenario.overrides import apply_overrides, split_phase_path

__all__ = ["fitted_toml", "toml_value"]


def toml_value(value: Any) -> str:
    """A scenario value (as a phase's `set` holds it) as TOML text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a TOML number: {value}")
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        pairs = (f"{_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + ", ".join(pairs) + " }"
    raise ValueError(f"no TOML form for {type(value).__name__}")


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL, which JSON leaves, is escaped)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _key(part: str) -> str:
    return part if _BARE_KEY.match(part) else _string(part)


def _dotted(path: str) -> str:
    return ".".join(_key(part) for part in path.split("."))


def _phases(scenario: Scenario, values: dict[str, Any]) -> list[str]:
    """The scenario's `[[phases]]` as TOML, with `values` (`phases[N].set.<path>`) put in."""
    raw: dict[str, Any] = {
        "phases": [{"date": p.date, "note": p.note, "set": dict(p.set)} for p in scenario.phases]
    }
    problems: list[Problem] = apply_overrides(raw, list(values.items()))
    if problems:
        raise ScenarioError(problems)
    lines: list[str] = []
    for phase in raw["phases"]:
        lines += ["", "[[phases]]", f"date = {toml_value(phase['date'])}"]
        if phase["note"]:
            lines.append(f"note = {toml_value(phase['note'])}")
        lines.append("[phases.set]")
        lines += [f"{_string(k)} = {toml_value(v)}" for k, v in phase["set"].items()]
    return lines


def fitted_toml(
    scenario_path: str,
    scenario: Scenario,
    medians: dict[str, float],
    integers: frozenset[str],
    out: Path,
) -> str:
    """A scenario that extends the fitted one and sets every free parameter to its median.

    `extends` is relative to the fitted file's own folder (as `extends` always is), so the file
    loads from any working directory and survives moving the project folder as a whole; when the
    two share no folder but the root, it is the absolute path. Whole-number fields get the
    rounded median.
    """
    path, folder = Path(scenario_path).resolve(), out.resolve()
    shared = Path(os.path.commonpath([path, folder]))
    # relative within one tree (a project moved whole still works), else absolute
    base = str(path) if shared == Path(shared.anchor) else os.path.relpath(path, folder)
    values = {p: round(v) if p in integers else v for p, v in medians.items()}
    lines = [
        "# Written by `fansim fit`: the scenario with each free parameter at its posterior median.",
        "# Intervals and diagnostics: diagnostics.json beside this file.",
        f"extends = {json.dumps(base)}",
        "",
    ]
    lines += [
        f"{_dotted(p)} = {toml_value(v)}"
        for p, v in values.items()
        if split_phase_path(p)[0] is None
    ]
    in_phases = {p: v for p, v in values.items() if split_phase_path(p)[0] is not None}
    if in_phases:
        lines += _phases(scenario, in_phases)
    return "\n".join(lines) + "\n"
