"""`--set` and `--grid` values applied to a raw scenario, never silently lost to a phase.

A value given for `service.agents_by_hour` changes the base scenario; a `[[phases]]` entry that
sets the same field replaces it from the phase's date. Left alone, a sweep of such a field
changes only the days before the phase and can show no effect at all. So an override that a
phase also sets is an error naming the phase, unless the same command also gives the phase's
value: `phases[N].set.<path>=...` reaches into the phase (in the file a phase's `set` holds
dotted keys such as `"service.agents_by_hour"`; the override replaces that key's value, or the
part of it below, e.g. `phases[0].set.service.shifts[1].agents=5`).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import Scenario
from sim.scenario.timeline import flatten_set
from sim.scenario.validation import format_path, schema_path_problem, set_path, split_path

__all__ = ["apply_overrides", "overlaps", "split_phase_path"]

_IN_PHASE = re.compile(r"^phases\[(\d+)\]\.set\.(.+)$")


def split_phase_path(path: str) -> tuple[int | None, str]:
    """`phases[N].set.<path>` -> (N, path); a path of the scenario itself -> (None, path)."""
    inside = _IN_PHASE.match(path)
    return (None, path) if inside is None else (int(inside.group(1)), inside.group(2))


def overlaps(a: str, b: str) -> bool:
    """One path is the other or lies inside it (`service.shifts[0].agents` in `service.shifts`)."""
    pa, pb = split_path(a), split_path(b)
    n = min(len(pa), len(pb))
    return pa[:n] == pb[:n]


def _phase(raw: dict[str, Any], index: int, path: str) -> dict[str, Any]:
    phases = raw.get("phases")
    if not isinstance(phases, list) or index >= len(phases) or not isinstance(phases[index], dict):
        count = len(phases) if isinstance(phases, list) else 0
        rule = f"no such phase: the scenario has {count} [[phases]]"
        raise ScenarioError([Problem(path, rule)])
    phase: dict[str, Any] = phases[index]
    return phase


def _set_in_phase(raw: dict[str, Any], index: int, path: str, value: Any) -> None:
    """Set `path` (a scenario path) within phase `index`'s `set`, flattened to dotted keys."""
    here = f"phases[{index}].set.{path}"
    phase = _phase(raw, index, here)
    unknown = schema_path_problem(Scenario, path)
    if unknown is not None:
        raise ScenarioError([Problem(f"phases[{index}].set.{unknown.path}", unknown.message)])
    flat = dict(flatten_set("", phase.get("set") or {}))
    for key in list(flat):
        if key == path or not overlaps(key, path):
            continue
        if len(split_path(key)) < len(split_path(path)):  # the phase sets a table above it
            inner = copy.deepcopy(flat[key])
            holder = {"v": inner}
            set_path(holder, format_path(["v", *split_path(path)[len(split_path(key)) :]]), value)
            flat[key] = holder["v"]
            phase["set"] = flat
            return
        del flat[key]  # a part below the path: the new value replaces it whole
    flat[path] = value
    phase["set"] = flat


def _conflicts(
    raw: dict[str, Any], base: list[str], phased: list[tuple[int, str]]
) -> list[Problem]:
    """Base overrides a phase also sets, without a value given for that phase."""
    phases = raw.get("phases")
    if not isinstance(phases, list):
        return []
    out: list[Problem] = []
    for key in base:
        for i, phase in enumerate(phases):
            if not isinstance(phase, dict) or not isinstance(phase.get("set"), dict):
                continue
            if any(j == i and overlaps(key, p) for j, p in phased):
                continue  # the phase's value is given too
            for path, _ in flatten_set("", phase["set"]):
                if overlaps(key, path):
                    date = phase.get("date")
                    when = f"from {date}" if date is not None else "from its date"
                    rule = (
                        f"phases[{i}] sets `{path}` too ({when}), so this value would hold only "
                        f"before it; give the phase's value as well: --set "
                        f"'phases[{i}].set.{path}=...' (or --grid on that path)"
                    )
                    out.append(Problem(key, rule))
                    break
    return out


def apply_overrides(raw: dict[str, Any], pairs: list[tuple[str, Any]]) -> list[Problem]:
    """Apply `(path, value)` overrides to `raw` in order; the problems found, all at once."""
    problems: list[Problem] = []
    base: list[str] = []
    phased: list[tuple[int, str]] = []
    for key, value in pairs:
        try:
            index, path = split_phase_path(key)
            if index is not None:
                _set_in_phase(raw, index, path, value)
                phased.append((index, path))
                continue
            unknown = schema_path_problem(Scenario, key)
            if unknown is not None:
                problems.append(unknown)
                continue
            set_path(raw, key, value)
            if not key.startswith("phases"):
                base.append(key)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    return problems + _conflicts(raw, base, phased)
