"""Scenario files: TOML in, frozen typed config out, every problem reported at once.

The TOML is read once at the boundary; after `load_scenario` no code sees a dict. A file may
`extends = "base.toml"` and override what differs; `[[phases]]` change fields from a date on.
Field rules live with the models in `sim.scenario.schema`; the rules
that span fields, phases and loading live here.
"""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.bounds import MAX_DAYS
from sim.scenario.cost_rules import cost_problems
from sim.scenario.files import MAX_DEPTH, read_raw, too_deep
from sim.scenario.inbound_rules import (
    inbound_problems,
    phase_channel_problem,
    skill_problems,
    stream_problems,
)
from sim.scenario.schema import (
    AgentGroupSpec,
    CampaignSpec,
    ChannelSpec,
    MessagesSpec,
    PhaseSpec,
    Scenario,
    ScenarioMeta,
    ServerSpec,
    ServiceSpec,
)
from sim.scenario.spread_rules import campaign_spread_problems, spread_problems
from sim.scenario.validation import (
    did_you_mean,
    pydantic_problems,
    raw_table,
    schema_path_problem,
    set_path,
)

__all__ = ["load_scenario", "parse_override", "phase_segments", "scenario_from_dict"]


def _meta_problems(meta: ScenarioMeta) -> list[Problem]:
    if meta.end is not None and meta.end < meta.start:
        rule = f"must not be before scenario.start ({meta.start})"
        return [Problem("scenario.end", rule, meta.end.isoformat(), True)]
    if meta.days > MAX_DAYS:
        rule = f"must be at most {MAX_DAYS:,} days (ten years) from scenario.start ({meta.start})"
        return [Problem("scenario.end", rule, meta.end.isoformat() if meta.end else None, True)]
    return []


def _messages_problems(messages: MessagesSpec) -> list[Problem]:
    return stream_problems("messages", messages)


def _roster_problems(here: str, roster: ServiceSpec | AgentGroupSpec) -> list[Problem]:
    out: list[Problem] = []
    forms = (roster.agents_by_hour is not None) + (roster.shifts is not None)
    if forms != 1:
        got = "both" if forms == 2 else "neither"
        rule = f"give exactly one of `agents_by_hour` or `shifts` (got {got})"
        out.append(Problem(here, rule))
    for i, sh in enumerate(roster.shifts or ()):
        if sh.start == sh.end:
            shown = sh.end.isoformat(timespec="minutes")
            out.append(Problem(f"{here}.shifts[{i}].end", "must differ from start", shown, True))
    return out


def _service_problems(service: ServiceSpec) -> list[Problem]:
    if service.groups is None:
        return _roster_problems("service", service)
    out: list[Problem] = []
    if service.agents_by_hour is not None or service.shifts is not None:
        rule = "give the roster in each group, not `agents_by_hour` or `shifts` beside `groups`"
        out.append(Problem("service", rule))
    if not service.groups:
        out.append(Problem("service.groups", "needs at least one group"))
    for name, group in service.groups.items():
        out += _roster_problems(f"service.groups.{name}", group)
    return out


_SECTIONS: tuple[tuple[str, type[BaseModel], Any], ...] = (
    ("scenario", ScenarioMeta, _meta_problems),
    ("messages", MessagesSpec, _messages_problems),
    ("service", ServiceSpec, _service_problems),
)


def _known_classes(raw: Any) -> list[str]:
    """Message class names in a raw scenario, or [] if they cannot be read."""
    return list(raw_table(raw, "messages", "classes"))


def _class_name_problems(path: str, name: str | None, known: list[str]) -> list[Problem]:
    """A problem if `name` is not one of the known message classes (with did-you-mean)."""
    if name is None or not known or name in known:
        return []
    rule = f"must be a class in messages.classes{did_you_mean(name, known)}"
    return [Problem(path, rule, name, True)]


def _channel_problems(raw: Any) -> list[Problem]:
    out: list[Problem] = []
    known = _known_classes(raw)
    for name, spec in raw_table(raw, "channels").items():
        try:
            ch = ChannelSpec.model_validate(spec)
        except ValidationError:
            continue
        cls = ch.first_message_class
        if ch.first_message_share > 0 and cls is None:
            rule = "must name a message class when first_message_share > 0"
            out.append(Problem(f"channels.{name}.first_message_class", rule))
        out += _class_name_problems(f"channels.{name}.first_message_class", cls, known)
        if ch.start is not None and ch.end is not None and ch.end < ch.start:
            rule = f"must not be before channels.{name}.start ({ch.start})"
            out.append(Problem(f"channels.{name}.end", rule, ch.end.isoformat(), True))
    return out


def _margin_after_minutes(raw: Any) -> float:
    """Minutes simulated per message after a campaign ends (the server's margin, else 30)."""
    server = raw.get("server") if isinstance(raw, dict) else None
    try:
        return ServerSpec.model_validate(server).margin_after_minutes if server else 30.0
    except ValidationError:
        return 30.0


def _campaign_problems(raw: Any) -> list[Problem]:
    out: list[Problem] = []
    known = _known_classes(raw)
    meta = raw.get("scenario") if isinstance(raw, dict) else None
    margin_after = _margin_after_minutes(raw)
    channels = raw_table(raw, "channels")
    for name, spec in raw_table(raw, "campaigns").items():
        try:
            c = CampaignSpec.model_validate(spec)
        except ValidationError:
            continue
        here = f"campaigns.{name}"
        if c.end <= c.start:
            rule = f"must be after {here}.start ({c.start.isoformat()})"
            out.append(Problem(f"{here}.end", rule, c.end.isoformat(), True))
        out += campaign_spread_problems(here, c)
        out += _class_name_problems(f"{here}.message_class", c.message_class, known)
        if c.channel is not None and c.channel not in channels:
            rule = f"must be a channel in channels{did_you_mean(c.channel, list(channels))}"
            out.append(Problem(f"{here}.channel", rule, c.channel, True))
        if c.burst.rise_seconds >= c.burst.decay_seconds:
            out.append(
                Problem(
                    f"{here}.burst.rise_seconds",
                    f"must be less than decay_seconds ({c.burst.decay_seconds})",
                    c.burst.rise_seconds,
                    True,
                )
            )
        window = (c.end - c.start).total_seconds() + margin_after * 60.0
        if c.burst.decay_seconds > max(window, 0.0):
            rule = (
                f"must be at most the campaign's length plus the {margin_after:g} minutes "
                f"simulated after it ({window:,.0f} s), or the burst's tail is cut off"
            )
            out.append(Problem(f"{here}.burst.decay_seconds", rule, c.burst.decay_seconds, True))
        try:
            m = ScenarioMeta.model_validate(meta)
        except ValidationError:
            continue
        last = m.end or m.start
        if not m.start <= c.start.date() <= last:
            out.append(
                Problem(
                    f"{here}.start",
                    f"must fall within {m.start}..{last}",
                    c.start.isoformat(),
                    True,
                )
            )
    return out


def _cross_field_problems(raw: dict[str, Any]) -> list[Problem]:
    """Rules spanning fields, for every section whose own fields are valid."""
    out: list[Problem] = _channel_problems(raw) + _campaign_problems(raw)
    out += skill_problems(raw) + inbound_problems(raw)
    out += cost_problems(raw)
    out += spread_problems(
        raw, lambda path, name: _class_name_problems(path, name, _known_classes(raw))
    )
    for key, model, check in _SECTIONS:
        try:
            section = model.model_validate(raw.get(key))
        except ValidationError:
            continue  # its field problems are already reported
        out += check(section)
    return out


# model: one interval grid; costs: one price list for the run
_FROZEN_BY_PHASE = ("scenario", "phases", "fans.initial", "model", "costs")


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    """Nested tables in a phase's `set` become dotted paths; tagged values stay whole."""
    if isinstance(value, dict) and not ({"dist", "kind"} & set(value)):
        out: list[tuple[str, Any]] = []
        for k, v in value.items():
            out += _flatten(f"{prefix}.{k}" if prefix else str(k), v)
        return out
    return [(prefix, value)]


def _apply_phase(raw: dict[str, Any], phase: PhaseSpec, index: int) -> list[Problem]:
    problems: list[Problem] = []
    for path, value in _flatten("", phase.set):
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


def _phases_alongside(raw: dict[str, Any]) -> list[Problem]:
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
        paths = [path for path, _ in _flatten("", phase.set)]
        try:
            Scenario.model_validate(base)
        except ValidationError as exc:
            out += [
                Problem(f"phases[{i}].set.{p.path}", p.message, p.value, p.has_value)
                for p in pydantic_problems(exc, Scenario)
                if _under(p.path, paths)
            ]
    return out


def phase_segments(scenario: Scenario) -> tuple[tuple[dt.date, Scenario], ...]:
    """The scenario in force from each date on: the base, then each phase applied in turn.

    Raises `ScenarioError` (paths under `phases[i]`) if a phase makes the scenario invalid.
    """
    raw = scenario.model_dump(mode="json")
    raw["phases"] = []
    segments = [(scenario.scenario.start, scenario.model_copy(update={"phases": ()}))]
    problems: list[Problem] = []
    last = scenario.scenario.start
    for i, phase in enumerate(scenario.phases):
        problems += _phase_date_problem(i, phase.date, last, scenario.scenario)
        last = max(last, phase.date)
        applied = _apply_phase(raw, phase, i)
        if applied:
            problems += applied
            continue
        try:
            effective = scenario_from_dict(raw)
        except ScenarioError as exc:
            problems += [
                Problem(f"phases[{i}].set.{p.path}", p.message, p.value, p.has_value)
                for p in exc.problems
            ]
            continue
        segments.append((phase.date, effective))
    if problems:
        raise ScenarioError(problems)
    return tuple(segments)


def scenario_from_dict(raw: Any, source: str = "") -> Scenario:
    """Validate a raw mapping (parsed TOML plus overrides); raise `ScenarioError` listing all."""
    deep = too_deep(raw)
    if deep is not None:
        raise ScenarioError([deep], source)
    problems: list[Problem] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems += pydantic_problems(exc, Scenario)
    problems += _cross_field_problems(raw)
    if scenario is not None and scenario.phases and not problems:
        try:
            scenario.timeline  # noqa: B018  (resolves the phases once, cached on the scenario)
        except ScenarioError as exc:
            problems += exc.problems
    elif problems and isinstance(raw, dict):
        problems += _phases_alongside(raw)
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
    for text in overrides:
        try:
            key, value = parse_override(text)
            unknown = schema_path_problem(Scenario, key)
            if unknown is not None:
                problems.append(unknown)
                continue
            set_path(raw, key, value)
        except ScenarioError as exc:
            problems.extend(exc.problems)
    try:
        scenario = scenario_from_dict(raw, source)
    except ScenarioError as exc:
        raise ScenarioError(problems + exc.problems, source) from None
    if problems:  # the overrides that could not be applied
        raise ScenarioError(problems, source)
    return scenario
