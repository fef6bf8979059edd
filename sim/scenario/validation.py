"""Turning validation failures into `Problem`s a planner can act on.

pydantic reports locations as tuples that include union tags and messages in its own words;
this module rewrites them as dotted paths (`service.shifts[1].agents`), keeps the offending value,
and suggests the nearest known key for typos.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError

__all__ = [
    "did_you_mean",
    "format_path",
    "pydantic_problems",
    "raw_table",
    "schema_path_problem",
    "set_path",
    "split_path",
]

_SHOULD = re.compile(r"^(Input|Tuple|List|Dictionary|String|Value) should")
_INDEX = re.compile(r"^(?P<key>[^\[\]]+)?(?P<idx>(\[\d+\])*)$")


def raw_table(raw: Any, *keys: str) -> dict[str, Any]:
    """The table at `keys` in a raw scenario, or {} when absent or not a table.

    Cross-field rules read the raw mapping so they report beside field problems; a part that
    is missing or of the wrong type is the field validation's to report, not theirs.
    """
    node = raw
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def did_you_mean(name: str, known: list[str]) -> str:
    """The hint after a rule naming an unknown `name`: the closest known one, else all of them."""
    close = difflib.get_close_matches(name, known, n=1)
    return f"; did you mean `{close[0]}`?" if close else f" (known: {', '.join(known) or 'none'})"


def format_path(parts: list[str | int]) -> str:
    """`["a", "b", 2, "c"]` -> `a.b[2].c`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def split_path(path: str) -> list[str | int]:
    """`a.b[2].c` -> `["a", "b", 2, "c"]`; raises `ScenarioError` on malformed paths."""
    parts: list[str | int] = []
    for chunk in path.split("."):
        m = _INDEX.match(chunk)
        if not chunk or m is None or (m.group("key") is None and not parts):
            raise ScenarioError(
                [Problem("--set", "path must be dotted keys with optional [index]", path, True)]
            )
        if m.group("key") is not None:
            parts.append(m.group("key"))
        parts += [int(i) for i in re.findall(r"\[(\d+)\]", m.group("idx"))]
    return parts


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at dotted `path` inside nested dicts/lists, creating tables as needed."""
    parts = split_path(path)
    node: Any = raw
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        here = format_path(parts[: i + 1])
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ScenarioError([Problem(here, "cannot index: no list is set at this path")])
            if part >= len(node):
                raise ScenarioError(
                    [Problem(here, f"index out of range (the list has {len(node)} items)")]
                )
            if last:
                node[part] = value
            else:
                node = node[part]
        else:
            if not isinstance(node, dict):
                raise ScenarioError([Problem(here, "cannot set a key inside a non-table value")])
            if last:
                node[part] = value
            elif isinstance(parts[i + 1], int) and part not in node:
                raise ScenarioError([Problem(here, "cannot index: no list is set at this path")])
            else:
                if node.get(part) is None:  # absent, or an optional table left out (null)
                    node[part] = {}
                node = node[part]


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def _union_members(tp: Any) -> list[Any]:
    """Members of a (possibly nested, possibly optional) union, flattened."""
    tp = _unwrap(tp)
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        out: list[Any] = []
        for a in typing.get_args(tp):
            if a is not type(None):
                out += _union_members(a)
        return out
    return [tp]


def _tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("dist")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return str(args[0]) if args else None


def _step(tp: Any, part: str | int) -> tuple[Any, bool]:
    """Type reached by following `part` from `tp`, and whether `part` is a union tag to hide."""
    members = _union_members(_unwrap(tp))
    models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
    tagged = {_tag_of(m): m for m in models if _tag_of(m) is not None}
    if isinstance(part, str) and part in tagged and len(tagged) > 1:
        return tagged[part], True
    for m in members:
        origin = typing.get_origin(m)
        if isinstance(m, type) and issubclass(m, BaseModel) and isinstance(part, str):
            field = m.model_fields.get(part)
            if field is not None:
                return field.annotation, False
        if origin in (list, tuple) and isinstance(part, int):
            return _unwrap(typing.get_args(m)[0]), False
        if origin is dict:
            return _unwrap(typing.get_args(m)[1]), False
    return None, False


def _known_keys(tp: Any) -> list[str]:
    keys: list[str] = []
    for m in _union_members(_unwrap(tp)):
        if isinstance(m, type) and issubclass(m, BaseModel):
            keys += list(m.model_fields)
    return keys


def schema_path_problem(root: type[BaseModel], path: str) -> Problem | None:
    """A problem if `path` names a key the schema does not have (with did-you-mean), else None."""
    parts = split_path(path)
    tp: Any = root
    for i, part in enumerate(parts):
        parent = tp
        tp, _ = _step(tp, part)
        if tp is None:
            here = format_path(parts[: i + 1])
            known = _known_keys(parent)
            if isinstance(part, int) or not known:
                return Problem(here, "cannot be set: the value above it is not a list or table")
            close = difflib.get_close_matches(str(part), known, n=1, cutoff=0.6)
            hint = (
                f"; did you mean `{close[0]}`?" if close else f" (known keys: {', '.join(known)})"
            )
            return Problem(here, f"unknown key{hint}")
    return None


def _clean_message(err: Any) -> str:
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if err["type"] == "missing":
        return "is required but missing"
    msg = _SHOULD.sub("must", msg)
    return msg[0].lower() + msg[1:] if msg else msg


def pydantic_problems(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """One `Problem` per pydantic error, with clean paths and did-you-mean hints."""
    problems: list[Problem] = []
    errors = exc.errors()
    item_error_parents = {tuple(e["loc"][:-1]) for e in errors if isinstance(e["loc"][-1], int)}
    for err in errors:
        if err["type"] in ("too_short", "too_long") and tuple(err["loc"]) in item_error_parents:
            continue  # pydantic counts only the valid items; the item problem says it all
        tp: Any = root
        parent: Any = root
        shown: list[str | int] = []
        for part in err["loc"]:
            parent = tp
            tp, hidden = _step(tp, part)
            if not hidden:
                shown.append(part)
        path = format_path(shown)
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            known = _known_keys(parent)
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            listing = f" (known keys: {', '.join(known)})" if known and not close else ""
            problems.append(Problem(path, f"unknown key{hint}{listing}"))
            continue
        if err["type"] == "union_tag_invalid":
            ctx = err.get("ctx", {})
            tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
            close = difflib.get_close_matches(str(ctx.get("tag")), tags, n=1, cutoff=0.5)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            msg = f"unknown `dist`{hint} (known: {', '.join(tags)})"
            problems.append(Problem(path + ".dist", msg, ctx.get("tag"), True))
            continue
        has_value = err["type"] != "missing" and "input" in err
        value = err.get("input") if has_value else None
        if isinstance(value, dict):
            has_value = False
        problems.append(Problem(path, _clean_message(err), value, has_value))
    return problems
