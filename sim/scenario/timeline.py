"""The timeline: the scenario in force on each simulated day, with phases applied once.

`resolve_timeline` applies the `[[phases]]` in turn to the base scenario and validates each
result (`load_scenario` does it once, at the boundary, and the scenario carries the result
beside its data); the model, the metrics and the summary all read the values of each day from
here, so a phase's SLA target counts in the outputs of its own days. Message classes may differ
between days (a phase can add or drop a class): per-class arrays use `class_names`, the union
over all days in order of first appearance, and a class absent on a day has no traffic that
day. The classes of `[inbound.<name>]` channels come after all of `[messages]`' (WeChat's), so
the WeChat classes keep their positions whatever channels a scenario adds.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.rules import scenario_problems
from sim.scenario.rules.inbound import phase_channel_problem
from sim.scenario.schema import PhaseSpec, Scenario, ScenarioMeta
from sim.scenario.validation import pydantic_problems, schema_path_problem, set_path

__all__ = ["Segment", "Timeline", "flatten_set", "phase_problems", "resolve_timeline"]

Segment = tuple[dt.date, Scenario]  # the scenario in force from that date on

# model: one interval grid; costs: one price list for the run
_FROZEN_BY_PHASE = ("scenario", "phases", "fans.initial", "model", "costs")


@dataclass(frozen=True)
class Timeline:
    """`days[d]` is the scenario in force on day d (0 = scenario.start)."""

    start: dt.date
    days: tuple[Scenario, ...]
    class_names: tuple[str, ...]
    channels: tuple[tuple[str, tuple[str, ...]], ...] = ()  # inbound channel -> its classes
    segments: tuple[Segment, ...] = ()  # the base, then each phase applied in turn
    # the scenario resolved: a copy of it (`model_copy`) carries this timeline but is not it
    source: Scenario | None = field(default=None, compare=False, repr=False)

    def date(self, day: int) -> dt.date:
        """Calendar date of simulated day `day`."""
        return self.start + dt.timedelta(days=day)

    def on(self, day: int) -> Scenario:
        """The scenario in force on day `day`."""
        return self.days[day]

    def targets(self, which: str, channel: str | None = None) -> tuple[float, ...]:
        """Each day's `which` target (`first_response` or `resolution`, minutes).

        The service's, or with `channel` that inbound channel's own where it sets one.
        """
        key = f"{which}_target_minutes"
        out = []
        for sc in self.days:
            spec = sc.inbound.get(channel) if channel is not None else None
            own = None if spec is None else getattr(spec, key)
            out.append(own if own is not None else getattr(sc.service, key))
        return tuple(out)


def flatten_set(prefix: str, value: Any) -> list[tuple[str, Any]]:
    """Nested tables in a phase's `set` become dotted paths; tagged values stay whole."""
    if isinstance(value, dict) and not ({"dist", "kind"} & set(value)):
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += flatten_set(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    return [(prefix, value)]


def _apply_phase(raw: dict[str, Any], phase: PhaseSpec, index: int) -> list[Problem]:
    problems: list[Problem] = []
    for path, value in flatten_set("", phase.set):
        here = f"phases[{index}].set.{path}"
        if any(path == f or path.startswith(f + ".") for f in _FROZEN_BY_PHASE):
            problems.append(Problem(here, "cannot change by phase (it is fixed for the run)"))
            continue
        unknown = schema_path_problem(Scenario, path)
        if unknown is not None:
            problems.append(Problem(f"phases[{index}].set.{unknown.path}", unknown.message))
            continue
        added = phase_channel_problem(raw, path, here)
        if added is not None:
            problems.append(added)
            continue
        try:
            set_path(raw, path, value)
        except ScenarioError as exc:
            problems += [Problem(f"phases[{index}].set.{p.path}", p.message) for p in exc.problems]
    return problems


def _phase_date_problem(
    index: int, date: dt.date, last: dt.date, meta: ScenarioMeta
) -> list[Problem]:
    """A phase must start after the previous one (`last`) and within the simulated days."""
    end = meta.end or meta.start
    if not last <= date <= end or (index and date <= last):
        rule = f"must be after the previous phase and within {meta.start}..{end}"
        return [Problem(f"phases[{index}].date", rule, date.isoformat(), True)]
    return []


def _under(path: str, prefixes: list[str]) -> bool:
    return any(path == p or path.startswith((p + ".", p + "[")) for p in prefixes)


def phase_problems(raw: dict[str, Any]) -> list[Problem]:
    """Each phase's own problems, for a scenario whose other sections have errors.

    Phases are applied in turn to the raw base; only problems at (or under) the paths a phase
    sets are reported, as `phases[i].set.<path>`: the base's own are reported already.
    """
    phases = raw.get("phases")
    if not isinstance(phases, list):
        return []
    try:
        meta: ScenarioMeta | None = ScenarioMeta.model_validate(raw.get("scenario"))
    except ValidationError:
        meta = None
    base = copy.deepcopy({k: v for k, v in raw.items() if k != "phases"})
    out: list[Problem] = []
    last = meta.start if meta is not None else None
    for i, item in enumerate(phases):
        try:
            phase = PhaseSpec.model_validate(item)
        except ValidationError:
            continue  # its field problems are reported by the scenario's validation
        if meta is not None and last is not None:
            out += _phase_date_problem(i, phase.date, last, meta)
            last = max(last, phase.date)
        out += _apply_phase(base, phase, i)
        paths = [path for path, _ in flatten_set("", phase.set)]
        try:
            Scenario.model_validate(base)
        except ValidationError as exc:
            out += [
                Problem(f"phases[{i}].set.{p.path}", p.message, p.value, p.has_value)
                for p in pydantic_problems(exc, Scenario)
                if _under(p.path, paths)
            ]
    return out


def _segments(scenario: Scenario) -> tuple[Segment, ...]:
    """The scenario in force from each date on: the base, then each phase applied in turn.

    Raises `ScenarioError` (paths under `phases[i]`) if a phase makes the scenario invalid.
    """
    raw = scenario.model_dump(mode="json")
    raw["phases"] = []
    base = scenario.model_copy(update={"phases": ()})
    base._timeline = None  # a copy carries its source's timeline; the base has none of its own
    segments = [(scenario.scenario.start, base)]
    problems: list[Problem] = []
    last = scenario.scenario.start
    for i, phase in enumerate(scenario.phases):
        problems += _phase_date_problem(i, phase.date, last, scenario.scenario)
        last = max(last, phase.date)
        applied = _apply_phase(raw, phase, i)
        if applied:
            problems += applied
            continue
        effective, found = scenario_problems(raw)
        if found or effective is None:
            problems += [
                Problem(f"phases[{i}].set.{p.path}", p.message, p.value, p.has_value) for p in found
            ]
            continue
        segments.append((phase.date, effective))
    if problems:
        raise ScenarioError(problems)
    return tuple(segments)


def resolve_timeline(scenario: Scenario) -> Timeline:
    """Apply the phases once: one scenario object per segment, shared by the days it covers.

    The result is carried beside the scenario's data (a private attribute), so a second call
    on the same scenario returns it; a copy made by `model_copy` is resolved afresh. Raises
    `ScenarioError` if a phase makes the scenario invalid.
    """
    carried = scenario._timeline
    if carried is not None and carried.source is scenario:
        return carried  # type: ignore[no-any-return]
    segments = _segments(scenario)
    start = scenario.scenario.start
    days: list[Scenario] = []
    k = 0
    for d in range(scenario.scenario.days):
        today = start + dt.timedelta(days=d)
        while k + 1 < len(segments) and segments[k + 1][0] <= today:
            k += 1
        days.append(segments[k][1])
    names: dict[str, None] = {}
    for _, sc in segments:
        names.update(dict.fromkeys(sc.messages.classes))
    channels: dict[str, dict[str, None]] = {}
    for _, sc in segments:
        for channel, spec in sc.inbound.items():
            channels.setdefault(channel, {}).update(dict.fromkeys(spec.classes))
    for classes in channels.values():
        names.update(classes)
    inbound = tuple((c, tuple(classes)) for c, classes in channels.items())
    timeline = Timeline(start, tuple(days), tuple(names), inbound, segments, scenario)
    scenario._timeline = timeline
    return timeline
