"""Scenario files: TOML in, frozen typed config out, every problem reported at once.

The TOML is read once at the boundary; after `load_scenario` no code sees a dict. Units are in
field names (`_minutes`, `_per_day`), dates and times are ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.dists import Distribution, Empirical, Exponential, Fixed, Gamma, LogNormal
from sim.errors import Problem, ScenarioError
from sim.validation import pydantic_problems, schema_path_problem, set_path

__all__ = [
    "DistSpec",
    "FansSpec",
    "MessageClassSpec",
    "MessagesSpec",
    "ModelSpec",
    "Scenario",
    "ScenarioMeta",
    "ServiceSpec",
    "ShiftSpec",
    "load_scenario",
    "parse_override",
    "scenario_from_dict",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExponentialSpec(_Frozen):
    """Exponential durations (memoryless)."""

    dist: Literal["exponential"]
    mean: float = Field(gt=0, description="Mean, in the unit named by the enclosing field.")

    def build(self) -> Distribution:
        """The sampling object."""
        return Exponential(self.mean)


class LogNormalSpec(_Frozen):
    """Log-normal durations by mean and coefficient of variation."""

    dist: Literal["lognormal"]
    mean: float = Field(gt=0, description="Mean, in the unit named by the enclosing field.")
    cv: float = Field(gt=0, description="Coefficient of variation (standard deviation / mean).")

    def build(self) -> Distribution:
        """The sampling object."""
        return LogNormal(self.mean, self.cv)


class GammaSpec(_Frozen):
    """Gamma durations by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: float = Field(gt=0, description="Mean, in the unit named by the enclosing field.")
    cv: float = Field(gt=0, description="Coefficient of variation (standard deviation / mean).")

    def build(self) -> Distribution:
        """The sampling object."""
        return Gamma(self.mean, self.cv)


class FixedSpec(_Frozen):
    """A constant duration."""

    dist: Literal["fixed"]
    value: float = Field(gt=0, description="The duration, in the unit named by the field.")

    def build(self) -> Distribution:
        """The sampling object."""
        return Fixed(self.value)


class EmpiricalSpec(_Frozen):
    """Resampled measurements (e.g. service times measured by a load test)."""

    dist: Literal["empirical"]
    values: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        min_length=1, description="Measured durations, in the unit named by the field."
    )

    def build(self) -> Distribution:
        """The sampling object."""
        return Empirical(self.values)


DistSpec = Annotated[
    ExponentialSpec | LogNormalSpec | GammaSpec | FixedSpec | EmpiricalSpec,
    Field(discriminator="dist"),
]


class ScenarioMeta(_Frozen):
    """What the scenario is and which days it covers."""

    name: str = Field(min_length=1, description="Short identifier written into every output row.")
    description: str = Field("", description="Free text for readers of the file.")
    start: dt.date = Field(description="First simulated day (ISO date, e.g. 2013-04-10).")
    end: dt.date | None = Field(
        None, description="Last simulated day, inclusive (default: the start day)."
    )
    seed: int = Field(1, ge=0, description="Default root seed; `fansim run --seed` overrides.")

    @property
    def days(self) -> int:
        """Number of simulated days, start and end included."""
        end = self.end or self.start
        return (end - self.start).days + 1


class FansSpec(_Frozen):
    """The follower base. Fixed here; the follower model makes it vary in time."""

    initial: int = Field(ge=0, description="Fans at the start of the first day.")


class MessageClassSpec(_Frozen):
    """One kind of inbound message: how common, who answers it, how long it takes."""

    share: float = Field(ge=0, le=1, description="Share of all inbound messages (shares sum to 1).")
    routing: Literal["auto", "human"] = Field(
        description="`auto`: answerable by keyword auto-reply; `human`: always routed to an agent "
        "(orders, ROM flashing, delivery, images, voice)."
    )
    priority: int = Field(
        1, ge=0, le=9, description="Queue priority for agents; 0 is served first."
    )
    handle_time_minutes: DistSpec = Field(
        description="Agent handling time for one message of this class."
    )
    patience_minutes: DistSpec | None = Field(
        None,
        description="How long a fan waits before giving up (default: service.patience_minutes).",
    )


def _default_profile() -> tuple[float, ...]:
    return (1.0,) * 24


class MessagesSpec(_Frozen):
    """The inbound message stream."""

    per_fan_per_day: float = Field(ge=0, description="Messages per fan per day, all classes.")
    hourly_profile: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        default_factory=_default_profile,
        min_length=24,
        max_length=24,
        description="Relative volume in each hour of the day (00:00 first); normalised to sum 1.",
    )
    auto_reply_coverage: float = Field(
        1.0, ge=0, le=1, description="Share of `auto` messages that keyword rules actually answer."
    )
    classes: dict[str, MessageClassSpec] = Field(
        min_length=1, description="Message classes by name (e.g. keyword, order, delivery)."
    )


class ShiftSpec(_Frozen):
    """A named shift repeated every day; an end before the start runs past midnight."""

    name: str = Field(min_length=1, description="Label, e.g. `early`.")
    start: dt.time = Field(description="Clock time the shift starts (HH:MM).")
    end: dt.time = Field(description="Clock time the shift ends (HH:MM).")
    agents: int = Field(ge=0, description="Agents on this shift.")


class ServiceSpec(_Frozen):
    """The human side: the back end, the roster and the targets."""

    back_end: bool = Field(
        True,
        description="Customer-service back end live: keyword auto-reply answers `auto` classes. "
        "false = every message needs a human (before Xiaomi's API integration).",
    )
    agents_by_hour: tuple[Annotated[int, Field(ge=0)], ...] | None = Field(
        None,
        min_length=24,
        max_length=24,
        description="Agents on duty in each hour of the day; give this or `shifts`.",
    )
    shifts: tuple[ShiftSpec, ...] | None = Field(
        None, description="Named daily shifts; give this or `agents_by_hour`."
    )
    first_response_target_minutes: float = Field(
        15, gt=0, description="SLA: an agent picks the message up within this time."
    )
    resolution_target_minutes: float = Field(
        30, gt=0, description="SLA: the message is fully handled within this time."
    )
    patience_minutes: DistSpec | None = Field(
        None, description="How long fans wait before abandoning; omitted = they wait forever."
    )


class ModelSpec(_Frozen):
    """Numerical settings of the simulation (not of the world)."""

    interval_minutes: int = Field(
        15,
        ge=1,
        le=60,
        description="Bulk-sampling interval for message counts; must divide 60.",
    )

    @field_validator("interval_minutes")
    @classmethod
    def _divides_hour(cls, v: int) -> int:
        if 60 % v:
            raise ValueError("must divide 60 so hours split evenly, e.g. 5, 15 or 60")
        return v


class Scenario(_Frozen):
    """A whole what-if: who the fans are, what they send, who answers."""

    scenario: ScenarioMeta
    fans: FansSpec
    messages: MessagesSpec
    service: ServiceSpec
    model: ModelSpec = Field(default_factory=ModelSpec)


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


def _cross_field_problems(raw: dict[str, Any]) -> list[Problem]:
    """Rules spanning fields, for every section whose own fields are valid."""
    out: list[Problem] = []
    for key, model, check in _SECTIONS:
        try:
            section = model.model_validate(raw.get(key))
        except ValidationError:
            continue  # its field problems are already reported
        out += check(section)
    return out


def scenario_from_dict(raw: Any, source: str = "") -> Scenario:
    """Validate a raw mapping (parsed TOML plus overrides); raise `ScenarioError` listing all."""
    problems: list[Problem] = []
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        problems += pydantic_problems(exc, Scenario)
    problems += _cross_field_problems(raw)
    if problems:
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


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read a TOML scenario, apply `path=value` overrides, validate everything at once."""
    p = Path(path)
    source = str(p)
    if not p.is_file():
        raise ScenarioError([Problem("", f"file not found: {p}")], source)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem("", f"not valid TOML: {exc}")], source) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem("", f"not UTF-8 text: {exc}")], source) from None
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
