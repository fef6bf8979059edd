"""What to run: variants (a scenario with its parameters) x replications -> jobs.

A sweep's grid `path=v1,v2,...` (values in TOML syntax, as for `--set`) expands to the full
factorial of variants, each loaded and validated like a scenario file with overrides, before
anything runs. Every variant of an experiment shares the root seed, so replication r of every
variant draws from the same named streams: common random numbers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.errors import OptionError, Problem, ScenarioError
from sim.model.engine import RunSpec
from sim.results.provenance import params_hash
from sim.scenario.load import load_scenario, parse_override
from sim.scenario.schema import Scenario

__all__ = ["Cell", "GridAxis", "Job", "Variant", "expand_grid", "jobs_for", "parse_grid"]

Cell = str | int | float | bool | None
"""One value in a tidy table."""


@dataclass(frozen=True)
class Variant:
    """One configuration: a resolved scenario, the root seed, and the parameters that made it."""

    run_id: str
    scenario: Scenario
    seed: int
    params: tuple[tuple[str, Cell], ...] = ()

    @property
    def params_hash(self) -> str:
        """Digest of the resolved scenario (rows are resumed only when it matches)."""
        return params_hash(self.scenario)


@dataclass(frozen=True)
class Job:
    """One replication of one variant; picklable, so any executor can run it."""

    variant: Variant
    replication: int

    @property
    def spec(self) -> RunSpec:
        """The model's run specification."""
        return RunSpec(self.variant.scenario, self.variant.seed, self.replication)

    @property
    def key(self) -> tuple[str, int, int, str]:
        """Identity of the job's row: run id, replication, root seed, params hash."""
        v = self.variant
        return (v.run_id, self.replication, v.seed, v.params_hash)


@dataclass(frozen=True)
class GridAxis:
    """One `--grid path=v1,v2,...`: a dotted path and its values as TOML text."""

    path: str
    values: tuple[str, ...]


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes (`[1, 2],[3, 4]` is two values)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    parts.append("".join(current).strip())
    return parts


def parse_grid(text: str) -> GridAxis:
    """`path=v1,v2,...` -> GridAxis; raises `OptionError` naming `--grid` on bad syntax."""
    path, sep, values_text = text.partition("=")
    values = tuple(_split_top_level(values_text)) if sep else ()
    if not path.strip() or not values or any(not v for v in values):
        raise OptionError(
            [Problem("--grid", "must look like path=v1,v2,... with no empty value", text, True)]
        )
    return GridAxis(path.strip(), values)


def _cell(value_text: str, path: str) -> Cell:
    """A parameter as a table cell: scalars as parsed, arrays and tables as their TOML text."""
    _, value = parse_override(f"{path}={value_text}")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return value_text


def expand_grid(
    path: str | Path,
    axes: Sequence[GridAxis],
    seed: int | None = None,
    overrides: Sequence[str] = (),
) -> list[Variant]:
    """Full factorial of the axes over the scenario at `path` (with `overrides` applied first).

    Every combination is validated before anything runs; all problems are reported at once.
    `seed=None` takes the scenario's own seed.
    """
    paths = [a.path for a in axes]
    repeated = sorted({p for p in paths if paths.count(p) > 1})
    if repeated:
        raise OptionError([Problem("--grid", "each path may appear once", repeated[0], True)])
    variants: list[Variant] = []
    problems: list[Problem] = []
    for i, combo in enumerate(itertools.product(*(a.values for a in axes))):
        sets = [f"{a.path}={v}" for a, v in zip(axes, combo, strict=True)]
        try:
            scenario = load_scenario(path, [*overrides, *sets])
        except ScenarioError as exc:
            problems += [p for p in exc.problems if p not in problems]
            continue
        params = tuple((a.path, _cell(v, a.path)) for a, v in zip(axes, combo, strict=True))
        root = scenario.scenario.seed if seed is None else seed
        variants.append(Variant(f"run{i:03d}", scenario, root, params))
    if problems:
        raise ScenarioError(problems, str(path))
    return variants


def jobs_for(variants: Sequence[Variant], replications: Sequence[int]) -> list[Job]:
    """Replications of every variant, variant-major (the table's row order)."""
    return [Job(v, r) for v in variants for r in replications]
