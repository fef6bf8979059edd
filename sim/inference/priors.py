"""Priors of the free parameters: small validated value objects, and the `[fit]` table.

Each prior is a distribution on a parameter's dotted path (as `--set` takes it), always with
bounds. The sampler moves particles in a working space `z`: `log x` for the log-scale priors
(log-uniform, lognormal), `x` otherwise, where every prior is a uniform or a truncated normal;
`logpdf_z` is the density there, Jacobian included, so importance weights are right.

The `[fit]` table lives in its own TOML file (`--priors`), not in the scenario, because the
scenario schema rejects unknown tables and is being reorganised; its shape:

    [fit]
    particles = 100          # ABC-SMC population
    generations = 10
    [fit.parameters]
    "channels.search.conversion" = { prior = "loguniform", low = 0.001, high = 0.05 }
    "followers.unfollow_per_day" = { prior = "normal", mean = 0.002, sd = 0.001,
                                     low = 0, high = 0.01 }
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from sim.errors import OptionError, Problem

__all__ = [
    "DEFAULT_GENERATIONS",
    "DEFAULT_PARTICLES",
    "KINDS",
    "FitConfig",
    "Prior",
    "load_fit_config",
    "load_truth",
    "parse_priors",
]

F64 = NDArray[np.float64]
KINDS = ("uniform", "loguniform", "normal", "lognormal")
MAX_PARTICLES = 100_000
MAX_GENERATIONS = 50
DEFAULT_PARTICLES = 100
DEFAULT_GENERATIONS = 10
"""The sizes a `[fit]` table that gives none gets. On the worked example's year more
generations of fewer particles cost about the same and narrow further: 200 x 6 left the
population 25 times the exact posterior's width for the adjustment to bridge, 100 x 10 about 7
times (docs/inference.md, "Sizes")."""


@dataclass(frozen=True)
class Prior:
    """A bounded prior on one parameter; `mean`/`sd` for (log)normal, of log x for lognormal."""

    path: str
    kind: str
    low: float
    high: float
    mean: float = 0.0
    sd: float = 1.0

    @property
    def log_scale(self) -> bool:
        """Whether the working space is log x."""
        return self.kind in ("loguniform", "lognormal")

    @property
    def z_bounds(self) -> tuple[float, float]:
        """Bounds in the working space."""
        if self.log_scale:
            return math.log(self.low), math.log(self.high)
        return self.low, self.high

    def to_z(self, x: F64) -> F64:
        """Values to the working space."""
        return np.log(x) if self.log_scale else np.asarray(x, np.float64)

    def from_z(self, z: F64) -> F64:
        """Working space back to values."""
        return np.exp(z) if self.log_scale else np.asarray(z, np.float64)

    def _truncnorm(self) -> Any:
        a, b = self.z_bounds
        mu = math.log(self.mean) if self.kind == "lognormal" else self.mean
        return stats.truncnorm((a - mu) / self.sd, (b - mu) / self.sd, loc=mu, scale=self.sd)

    def sample_z(self, rng: np.random.Generator, n: int) -> F64:
        """`n` draws in the working space."""
        a, b = self.z_bounds
        if self.kind in ("uniform", "loguniform"):
            return rng.uniform(a, b, n)
        return np.asarray(self._truncnorm().ppf(rng.random(n)), np.float64)

    def logpdf_z(self, z: F64) -> F64:
        """Log density in the working space (-inf outside the bounds)."""
        a, b = self.z_bounds
        z = np.asarray(z, np.float64)
        inside = (z >= a) & (z <= b)
        if self.kind in ("uniform", "loguniform"):
            dens = np.full(z.shape, -math.log(b - a))
        else:
            dens = np.asarray(self._truncnorm().logpdf(z), np.float64)
        return np.where(inside, dens, -np.inf)

    def z_sd(self) -> float:
        """Standard deviation in the working space (the identification check compares with it)."""
        a, b = self.z_bounds
        if self.kind in ("uniform", "loguniform"):
            return (b - a) / math.sqrt(12)
        return float(self._truncnorm().std())

    def __str__(self) -> str:
        shape = f"mean={self.mean}, sd={self.sd}, " if self.kind in ("normal", "lognormal") else ""
        return f"{self.path} ~ {self.kind}({shape}low={self.low}, high={self.high})"


@dataclass(frozen=True)
class FitConfig:
    """What to fit and how hard: the priors and the sampler's sizes."""

    priors: tuple[Prior, ...]
    particles: int = DEFAULT_PARTICLES
    generations: int = DEFAULT_GENERATIONS

    @property
    def paths(self) -> tuple[str, ...]:
        """The free parameters' dotted paths, in order."""
        return tuple(p.path for p in self.priors)


def _number(spec: dict[str, Any], key: str, here: str, problems: list[Problem]) -> float | None:
    value = spec.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.append(Problem(f"{here}.{key}", "must be a finite number", value, key in spec))
        return None
    return float(value)


def _prior(path: str, spec: Any, problems: list[Problem]) -> Prior | None:
    here = f"fit.parameters.{path!r}"
    if not isinstance(spec, dict):
        problems.append(
            Problem(here, "must be a table like { prior = ..., low = ..., high = ... }")
        )
        return None
    kind = spec.get("prior")
    if kind not in KINDS:
        near = difflib.get_close_matches(str(kind), KINDS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        problems.append(
            Problem(f"{here}.prior", f"must be one of {', '.join(KINDS)}{hint}", kind, True)
        )
        return None
    known = {"prior", "low", "high"} | (
        {"mean", "sd"} if kind in ("normal", "lognormal") else set()
    )
    for key in sorted(set(spec) - known):
        problems.append(
            Problem(f"{here}.{key}", f"unknown key for a {kind} prior ({', '.join(sorted(known))})")
        )
    before = len(problems)
    low, high = _number(spec, "low", here, problems), _number(spec, "high", here, problems)
    mean = _number(spec, "mean", here, problems) if "mean" in known else 0.0
    sd = _number(spec, "sd", here, problems) if "sd" in known else 1.0
    if len(problems) > before or low is None or high is None or mean is None or sd is None:
        return None
    if not low < high:
        problems.append(Problem(f"{here}.high", f"must be greater than low ({low})", high, True))
    if kind in ("loguniform", "lognormal") and low <= 0:
        problems.append(Problem(f"{here}.low", f"must be > 0 for a {kind} prior", low, True))
    if kind == "lognormal" and mean <= 0:
        problems.append(
            Problem(f"{here}.mean", "must be > 0 (the median of a lognormal)", mean, True)
        )
    if sd <= 0:
        problems.append(Problem(f"{here}.sd", "must be > 0", sd, True))
    if len(problems) > before:
        return None
    return Prior(path, kind, low, high, mean, sd)


def _count(table: dict[str, Any], key: str, default: int, top: int, problems: list[Problem]) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= top:
        problems.append(
            Problem(f"fit.{key}", f"must be a whole number from 2 to {top:,}", value, True)
        )
        return default
    return value


def parse_priors(raw: Any, source: str = "") -> FitConfig:
    """Validate a parsed `[fit]` table; `OptionError` listing every problem."""
    problems: list[Problem] = []
    if not isinstance(raw, dict) or not isinstance(raw.get("parameters"), dict):
        raise OptionError([Problem("fit.parameters", "give at least one free parameter")], source)
    for key in sorted(set(raw) - {"parameters", "particles", "generations"}):
        problems.append(Problem(f"fit.{key}", "unknown key (parameters, particles, generations)"))
    priors = [_prior(path, spec, problems) for path, spec in raw["parameters"].items()]
    if not priors:
        problems.append(Problem("fit.parameters", "give at least one free parameter"))
    particles = _count(raw, "particles", DEFAULT_PARTICLES, MAX_PARTICLES, problems)
    generations = _count(raw, "generations", DEFAULT_GENERATIONS, MAX_GENERATIONS, problems)
    if problems:
        raise OptionError(problems, source)
    return FitConfig(tuple(p for p in priors if p is not None), particles, generations)


def _read_toml(p: Path, option: str) -> dict[str, Any]:
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise OptionError(
            [Problem(option, f"cannot read ({exc.strerror})", str(p), True)]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise OptionError([Problem(option, f"not valid TOML: {exc}")], str(p)) from None


def load_fit_config(path: str | Path) -> FitConfig:
    """Read the `[fit]` table of a TOML file."""
    p = Path(path)
    return parse_priors(_read_toml(p, "--priors").get("fit"), str(p))


def load_truth(path: str | Path, paths: tuple[str, ...]) -> tuple[float, ...]:
    """A synthetic account's true values of the free parameters: a `[parameters]` table."""
    p = Path(path)
    table = _read_toml(p, "--truth").get("parameters")
    if not isinstance(table, dict):
        raise OptionError([Problem("parameters", "give a [parameters] table")], str(p))
    problems = []
    for path_ in paths:
        value = table.get(path_)
        if isinstance(value, bool) or not isinstance(value, int | float):
            rule = "must give each free parameter of --priors a number"
            problems.append(Problem(f"parameters.{path_!r}", rule, value, path_ in table))
    for key in sorted(set(table) - set(paths)):
        problems.append(Problem(f"parameters.{key!r}", "is not a free parameter of --priors"))
    if problems:
        raise OptionError(problems, str(p))
    return tuple(float(table[q]) for q in paths)
