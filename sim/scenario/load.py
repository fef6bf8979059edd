"""Scenario files: TOML in, frozen typed config out, every problem reported at once.

The TOML is read once at the boundary; after `load_scenario` no code sees a dict. A file may
`extends = "base.toml"` and override what differs; `[[phases]]` change fields from a date on.
Field rules live with the models in `sim.scenario.schema` (re-exported here); the rules
that span fields, phases and loading live here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.scenario.schema import (
    BurstSpec,
    CampaignSpec,
    ChannelSpec,
    DistSpec,
    ExposureSpec,
    FansSpec,
    FollowersSpec,
    MessageClassSpec,
    MessagesSpec,
    ModelSpec,
    PhaseSpec,
    Probability,
    PushesSpec,
    Scenario,
    ScenarioMeta,
    ServerSpec,
    ServiceSpec,
    ShiftSpec,
)
from sim.scenario.spread_rules import campaign_spread_problems, spread_problems
from sim.scenario.validation import pydantic_problems, schema_path_problem, set_path

__all__ = [
    "BurstSpec",
    "CampaignSpec",
    "ChannelSpec",
    "DistSpec",
    "ExposureSpec",
    "FansSpec",
    "FollowersSpec",
    "MessageClassSpec",
    "MessagesSpec",
    "ModelSpec",
    "PhaseSpec",
    "Probability",
    "PushesSpec",
    "Scenario",
    "ScenarioMeta",
    "ServerSpec",
    "ServiceSpec",
    "ShiftSpec",
    "load_scenario",
    "parse_override",
    "phase_segments",
    "scenario_from_dict",
]


def _meta_problems(meta: ScenarioMeta) -> list[Problem]:
    if meta.end is not None and meta.end < meta.start:
        rule = f"must not be before scenario.start ({meta.start})"
        return [Problem("scenario.end", rule, meta.end.isoformat(), True)]
    return []


def _messages_problems(messages: MessagesSpec) -> list[Problem]:
    out: list[Problem] = []
    total = sum(c.share for c in messages.classes.values())
    if not math.isclose(total, 1.0, abs_tol=1e-6):
        rule = "shares must sum to 1; adjust the `share` fields"
        out.append(Problem("messages.classes", rule, round(total, 9), True))
    if sum(messages.hourly_profile) <= 0:
        out.append(Problem("messages.hourly_profile", "needs at least one positive hour"))
    return out


def _service_problems(service: ServiceSpec) -> list[Problem]:
    out: list[Problem] = []
    forms = (service.agents_by_hour is not None) + (service.shifts is not None)
    if forms != 1:
        got = "both" if forms == 2 else "neither"
        rule = f"give exactly one of `agents_by_hour` or `shifts` (got {got})"
        out.append(Problem("service", rule))
    for i, sh in enumerate(service.shifts or ()):
        if sh.start == sh.end:
            shown = sh.end.isoformat(timespec="minutes")
            out.append(Problem(f"service.shifts[{i}].end", "must differ from start", shown, True))
    return out


_SECTIONS: tuple[tuple[str, type[BaseModel], Any], ...] = (
    ("scenario", ScenarioMeta, _meta_problems),
    ("messages", MessagesSpec, _messages_problems),
    ("service", ServiceSpec, _service_problems),
)


def _known_classes(raw: Any) -> list[str]:
    """Message class names in a raw scenario, or [] if they cannot be read."""
    messages = raw.get("messages") if isinstance(raw, dict) else None
    classes = messages.get("classes") if isinstance(messages, dict) else None
    return list(classes) if isinstance(classes, dict) else []


def _class_name_problems(path: str, name: str | None, known: list[str]) -> list[Problem]:
    """A problem if `name` is not one of the known message classes (with did-you-mean)."""
    if name is None or not known or name in known:
        return []
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(known)})"
    return [Problem(path, f"must be a class in messages.classes{hint}", name, True)]


def _channel_problems(raw: Any) -> list[Problem]:
    out: list[Problem] = []
    channels = raw.get("channels") if isinstance(raw, dict) else None
    known = _known_classes(raw)
    for name, spec in (channels or {}).items() if isinstance(channels, dict) else ():
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


def _campaign_problems(raw: Any) -> list[Problem]:
    out: list[Problem] = []
    campaigns = raw.get("campaigns") if isinstance(raw, dict) else None
    known = _known_classes(raw)
    meta = raw.get("scenario") if isinstance(raw, dict) else None
    for name, spec in campaigns.items() if isinstance(campaigns, dict) else ():
        try:
            c = CampaignSpec.model_validate(spec)
        except ValidationError:
            continue
        here = f"campaigns.{name}"
        if c.end <= c.start:
            rule = f"must be after {here}.start ({c.start.isoformat()})"
            out.append(Problem(f"{here}.end", rule, c.end.isoformat(), True))
        out += campaign_spread_problems(here, c, raw.get("channels"))
        out += _class_name_problems(f"{here}.message_class", c.message_class, known)
        channels = raw.get("channels") if isinstance(raw.get("channels"), dict) else {}
        if c.channel is not None and c.channel not in channels:
            names = list(channels)
            close = difflib.get_close_matches(c.channel, names, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(names)})"
            out.append(
                Problem(f"{here}.channel", f"must be a channel in channels{hint}", c.channel, True)
            )
        if c.burst.rise_seconds >= c.burst.decay_seconds:
            out.append(
                Problem(
                    f"{here}.burst.rise_seconds",
                    f"must be less than decay_seconds ({c.burst.decay_seconds})",
                    c.burst.rise_seconds,
                    True,
                )
            )
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


_FROZEN_BY_PHASE = ("scenario", "phases", "fans.initial")


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
        try:
            set_path(raw, path, value)
        except ScenarioError as exc:
            problems += [Problem(f"phases[{index}].set.{p.path}", p.message) for p in exc.problems]
    return problems


def phase_segments(scenario: Scenario) -> tuple[tuple[dt.date, Scenario], ...]:
    """The scenario in force from each date on: the base, then each phase applied in turn.

    Raises `ScenarioError` (paths under `phases[i]`) if a phase makes the scenario invalid.
    """
    raw = scenario.model_dump(mode="json")
    raw["phases"] = []
    segments = [(scenario.scenario.start, scenario.model_copy(update={"phases": ()}))]
    problems: list[Problem] = []
    last = scenario.scenario.start
    end = scenario.scenario.end or scenario.scenario.start
    for i, phase in enumerate(scenario.phases):
        if not last <= phase.date <= end or (i and phase.date <= last):
            rule = f"must be after the previous phase and within {scenario.scenario.start}..{end}"
            problems.append(Problem(f"phases[{i}].date", rule, phase.date.isoformat(), True))
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
    except tomllib.TOMLDecodeError:
        value = value_text.strip()
    return path, value


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over base: tables merge key by key, everything else (arrays too) replaces."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_raw(p: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Parse a scenario file, resolving `extends = "base.toml"` (relative to the file)."""
    source = str(p)
    if not p.is_file():
        raise ScenarioError([Problem("", f"file not found: {p}")], source)
    if p.resolve() in chain:
        raise ScenarioError([Problem("extends", "files extend each other in a cycle")], source)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem("", f"not valid TOML: {exc}")], source) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem("", f"not UTF-8 text: {exc}")], source) from None
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError([Problem("extends", "must be a file name", parent, True)], source)
    base = _read_raw(p.parent / parent, (*chain, p.resolve()))
    return _merge(base, raw)


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a scenario file (and any it `extends`), apply overrides, validate all at once."""
    p = Path(path)
    source = str(p)
    raw = _read_raw(p)
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
