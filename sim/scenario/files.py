"""Reading scenario files: TOML text in, a raw table out, with `extends` resolved.

Everything that can go wrong with a file (missing, a directory, too large, not UTF-8, not TOML,
nested absurdly deep, a broken or cyclic `extends`) becomes a `ScenarioError` naming the file
and, for `extends`, the line that names the missing base. Validation is `sim.scenario.load`'s.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from sim.errors import Problem, ScenarioError
from sim.scenario.validation import format_path

__all__ = ["MAX_DEPTH", "MAX_EXTENDS", "MAX_FILE_BYTES", "read_raw", "too_deep"]

MAX_DEPTH = 32
"""Deepest nesting of tables and arrays a scenario may have (the schema needs about 6)."""
MAX_FILE_BYTES = 16 * 2**20
"""Largest scenario file: TOML text, even with a million measured service times, is smaller."""
MAX_EXTENDS = 32
"""Longest chain of files extending each other."""


def too_deep(raw: Any) -> Problem | None:
    """A problem if tables and arrays nest deeper than `MAX_DEPTH` (checked without recursion).

    Deep nesting means a generated or corrupted file; recursive code (validation, merging)
    would fail on it with `RecursionError` instead of a message.
    """
    stack: list[tuple[Any, list[str | int]]] = [(raw, [])]
    while stack:
        node, parts = stack.pop()
        if len(parts) > MAX_DEPTH:
            where = format_path(parts[:4]) + "..."
            return Problem(where, f"tables and arrays nest more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            stack += [(v, [*parts, str(k)]) for k, v in node.items()]
        elif isinstance(node, list | tuple):
            stack += [(v, [*parts, i]) for i, v in enumerate(node)]
    return None


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """Child over base: tables merge key by key, everything else (arrays too) replaces."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


_EXTENDS_LINE = re.compile(r"""^\s*["']?extends["']?\s*=""")


def _extends_source(p: Path, text: str) -> str:
    """`file:line` of the `extends = ...` line in `text`, for errors about its target."""
    for number, line in enumerate(text.splitlines(), 1):
        if _EXTENDS_LINE.match(line):
            return f"{p}:{number}"
    return str(p)


def _file_problem(p: Path, absolute: bool = False) -> str | None:
    """Why `p` cannot be read as a scenario file, or None."""
    if p.is_dir():
        return f"is a directory, not a scenario file: {p}"
    if not p.is_file():
        return f"file not found: {p.resolve() if absolute else p}"
    if p.stat().st_size > MAX_FILE_BYTES:
        return f"file is larger than {MAX_FILE_BYTES // 2**20} MiB: {p}"
    return None


def _parse(p: Path) -> tuple[dict[str, Any], str]:
    """The TOML table in `p` and its text; every failure is a `ScenarioError`."""
    source = str(p)
    try:
        text = p.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem("", f"not UTF-8 text: {exc}")], source) from None
    except ValueError as exc:  # TOMLDecodeError, or an integer of more than 4,300 digits
        raise ScenarioError([Problem("", f"not valid TOML: {exc}")], source) from None
    except RecursionError:
        rule = f"not valid TOML: arrays or tables nest more than {MAX_DEPTH} levels deep"
        raise ScenarioError([Problem("", rule)], source) from None
    except OSError as exc:
        raise ScenarioError([Problem("", f"cannot read: {exc.strerror or exc}")], source) from None
    deep = too_deep(raw)
    if deep is not None:
        raise ScenarioError([deep], source)
    return raw, text


def read_raw(p: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Parse a scenario file, resolving `extends = "base.toml"` (relative to the file)."""
    source = str(p)
    problem = _file_problem(p)
    if problem is not None:
        raise ScenarioError([Problem("", problem)], source)
    if p.resolve() in chain:
        raise ScenarioError([Problem("extends", "files extend each other in a cycle")], source)
    if len(chain) >= MAX_EXTENDS:
        rule = f"more than {MAX_EXTENDS} files extend each other in a chain"
        raise ScenarioError([Problem("extends", rule)], source)
    raw, text = _parse(p)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    where = _extends_source(p, text)
    if not isinstance(parent, str) or not parent:
        raise ScenarioError([Problem("extends", "must be a file name", parent, True)], where)
    base = p.parent / parent
    problem = _file_problem(base, absolute=True)
    if problem is not None:
        raise ScenarioError([Problem("extends", problem, parent, True)], where)
    return _merge(read_raw(base, (*chain, p.resolve())), raw)
