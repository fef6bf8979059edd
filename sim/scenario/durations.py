"""Duration distributions as a scenario states them, with bounds that depend on the unit.

A duration field takes an inline table chosen by `dist` (exponential, lognormal, gamma, fixed,
empirical); `build()` gives the sampling object of `sim.dists`. The same table means minutes
in `handle_time_minutes` and seconds in `service_time_seconds`, so the upper bound on its mean is
attached to the field (`MinutesDist`, `SecondsDist`), not to the table.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from sim.dists import Distribution, Empirical, Exponential, Fixed, Gamma, LogNormal
from sim.scenario.bounds import (
    MAX_CV,
    MAX_MEASUREMENTS,
    MAX_SERVICE_SECONDS,
    MAX_TARGET_MINUTES,
    Frozen,
    Real,
    Rule,
)

__all__ = [
    "DistSpec",
    "EmpiricalSpec",
    "ExponentialSpec",
    "FixedSpec",
    "GammaSpec",
    "LogNormalSpec",
    "MinutesDist",
    "SecondsDist",
]


Mean = Annotated[Real, Field(gt=0, description="Mean, in the unit named by the enclosing field.")]
CV = Annotated[
    Real,
    Field(gt=0, le=MAX_CV, description="Coefficient of variation (standard deviation / mean)."),
]


class ExponentialSpec(Frozen):
    """Exponential durations (memoryless)."""

    dist: Literal["exponential"]
    mean: Mean

    def build(self) -> Distribution:
        """The sampling object."""
        return Exponential(self.mean)


class LogNormalSpec(Frozen):
    """Log-normal durations by mean and coefficient of variation."""

    dist: Literal["lognormal"]
    mean: Mean
    cv: CV

    def build(self) -> Distribution:
        """The sampling object."""
        return LogNormal(self.mean, self.cv)


class GammaSpec(Frozen):
    """Gamma durations by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean: Mean
    cv: CV

    def build(self) -> Distribution:
        """The sampling object."""
        return Gamma(self.mean, self.cv)


class FixedSpec(Frozen):
    """A constant duration."""

    dist: Literal["fixed"]
    value: Real = Field(gt=0, description="The duration, in the unit named by the field.")

    def build(self) -> Distribution:
        """The sampling object."""
        return Fixed(self.value)


class EmpiricalSpec(Frozen):
    """Resampled measurements (e.g. service times measured by a load test)."""

    dist: Literal["empirical"]
    values: tuple[Annotated[Real, Field(ge=0)], ...] = Field(
        min_length=1,
        max_length=MAX_MEASUREMENTS,
        description="Measured durations, in the unit named by the field.",
    )

    def build(self) -> Distribution:
        """The sampling object."""
        return Empirical(self.values)


DistSpec = Annotated[
    ExponentialSpec | LogNormalSpec | GammaSpec | FixedSpec | EmpiricalSpec,
    Field(discriminator="dist"),
]


def _scale(spec: ExponentialSpec | LogNormalSpec | GammaSpec | FixedSpec | EmpiricalSpec) -> float:
    """A distribution's typical size: its mean, its value, or an empirical one's largest value."""
    if isinstance(spec, FixedSpec):
        return spec.value
    if isinstance(spec, EmpiricalSpec):
        return max(spec.values)
    return spec.mean


def _at_most(limit: float, unit: str) -> Rule:
    """A bound on a duration field's mean (fixed: value; empirical: largest value)."""
    rule = f"mean <= {limit:,g} {unit}"

    def check(spec: Any) -> Any:
        if _scale(spec) > limit:
            raise ValueError(f"{rule}, got {_scale(spec):g}")
        return spec

    return Rule(rule, check)


MinutesDist = Annotated[DistSpec, _at_most(MAX_TARGET_MINUTES, "minutes (30 days)")]
"""A duration in minutes: handle times and patience."""
SecondsDist = Annotated[DistSpec, _at_most(MAX_SERVICE_SECONDS, "seconds (one hour)")]
"""A duration in seconds: server service times."""
