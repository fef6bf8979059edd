"""Small validated distributions: they sample with a caller's generator and know their moments.

Tests compare sample moments with `mean` and `variance`; reprs show parameters so a printed
scenario says exactly what was simulated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["Distribution", "Empirical", "Exponential", "Fixed", "Gamma", "LogNormal"]

FloatArray = NDArray[np.float64]


class Distribution(Protocol):
    """A non-negative random quantity (a duration) in the unit of the field that holds it."""

    @property
    def mean(self) -> float:
        """Analytic mean."""
        ...

    @property
    def variance(self) -> float:
        """Analytic variance."""
        ...

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw `size` values with the caller's generator."""
        ...


def _positive(name: str, value: float) -> None:
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name}(={value}) must be a finite number > 0")


@dataclass(frozen=True)
class Exponential:
    """Memoryless durations: the M in M/M/c."""

    mean_value: float

    def __post_init__(self) -> None:
        _positive("mean", self.mean_value)

    @property
    def mean(self) -> float:
        """Analytic mean."""
        return self.mean_value

    @property
    def variance(self) -> float:
        """Analytic variance."""
        return self.mean_value**2

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw `size` values with the caller's generator."""
        return rng.exponential(self.mean_value, size)

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean_value:g})"


@dataclass(frozen=True)
class _MeanCV:
    """Shared part of distributions given by mean and coefficient of variation."""

    mean_value: float
    cv: float

    def __post_init__(self) -> None:
        _positive("mean", self.mean_value)
        _positive("cv", self.cv)

    @property
    def mean(self) -> float:
        """Analytic mean."""
        return self.mean_value

    @property
    def variance(self) -> float:
        """Analytic variance."""
        return (self.cv * self.mean_value) ** 2

    def __repr__(self) -> str:
        return f"{type(self).__name__}(mean={self.mean_value:g}, cv={self.cv:g})"


@dataclass(frozen=True, repr=False)
class LogNormal(_MeanCV):
    """Right-skewed durations (handle times) given by mean and coefficient of variation."""

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw `size` values with the caller's generator."""
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_value) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)


@dataclass(frozen=True, repr=False)
class Gamma(_MeanCV):
    """Durations less skewed than log-normal (cv < 1 gives a hump), by mean and cv."""

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw `size` values with the caller's generator."""
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_value / shape, size)


@dataclass(frozen=True)
class Fixed:
    """A constant duration (deterministic service, M/D/c checks)."""

    value: float

    def __post_init__(self) -> None:
        _positive("value", self.value)

    @property
    def mean(self) -> float:
        """Analytic mean."""
        return self.value

    @property
    def variance(self) -> float:
        """Analytic variance."""
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw `size` values with the caller's generator."""
        return np.full(size, self.value, dtype=np.float64)

    def __repr__(self) -> str:
        return f"Fixed({self.value:g})"


@dataclass(frozen=True)
class Empirical:
    """Resampling of measured durations, e.g. service times taken from a load test."""

    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("values(=[]) must hold at least one measurement")
        for i, v in enumerate(self.values):
            if not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"values[{i}](={v}) must be a finite number >= 0")

    @property
    def mean(self) -> float:
        """Analytic mean."""
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:
        """Analytic variance."""
        return float(np.var(self.values))

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """Draw `size` values with the caller's generator."""
        arr = np.asarray(self.values, dtype=np.float64)
        return arr[rng.integers(0, arr.size, size)]

    def __repr__(self) -> str:
        return f"Empirical(n={len(self.values)}, mean={self.mean:g})"
