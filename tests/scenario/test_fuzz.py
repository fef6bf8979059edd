"""Mutated shipped scenarios through `fansim validate` and `fansim run`: a clean answer or exit 2.

Each example takes a shipped scenario (its `extends` resolved), applies one to three mutations
(wrong types, inf/nan, huge values, unknown keys, bad dates, time-zone offsets, broken `extends`,
bad phases, deep nesting, long strings, a directory) and writes it back as TOML. `validate` must
exit 0 or 2 without a traceback within a time and memory bound; examples that validate are run
with a small memory budget, so absurd-but-valid inputs are refused before they simulate.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import math
import os
import resource
import signal
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sim.cli.main import main
from sim.scenario.files import read_raw

REPO = Path(__file__).parents[2]
SHIPPED = sorted((REPO / "scenarios").glob("*.toml"))
SMALL = [p for p in SHIPPED if not p.stem.startswith("scale_")]  # the rest runs in ~1-2 s each
# a hang detector, not a speed check: the slowest valid case takes a few seconds on a quiet
# machine and over 30 s when other work shares the 2 cores
SECONDS_PER_CASE = 120
EXTRA_ADDRESS_SPACE = 3 * 2**30  # beyond what the test process already maps
RUN_BUDGET = "600MiB"  # estimated memory above this is refused before simulating

EXPLORE = int(os.environ.get("FANSIM_FUZZ_EXPLORE", "0"))  # > 0: that many random examples
FUZZ = settings(
    max_examples=EXPLORE or 300,
    derandomize=not EXPLORE,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- TOML text ---------------------------------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) if abs(v) < 10**4000 else hex(v)  # tomllib refuses > 4,300 digits
    if isinstance(v, float):
        return (
            "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
        )
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + "}"
        )
    raise TypeError(type(v))


def to_toml(raw: dict[str, Any]) -> str:
    """Every top-level key as `key = value`, tables inline: valid TOML for any raw scenario."""
    return "".join(f"{json.dumps(str(k))} = {_toml_value(v)}\n" for k, v in raw.items())


def test_to_toml_round_trips_every_shipped_scenario() -> None:
    import tomllib

    for path in SHIPPED:
        raw = read_raw(path)
        assert tomllib.loads(to_toml(raw)) == raw


# --- mutations -----------------------------------------------------------------------------------

Parts = tuple[str | int, ...]


@cache
def _base(index: int) -> str:
    """A shipped scenario's resolved raw table, as JSON (copied fresh for each example)."""
    return json.dumps(read_raw(SHIPPED[index]), default=lambda d: {"__date__": d.isoformat()})


def _leaves(node: Any, parts: Parts = ()) -> Iterator[tuple[Parts, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*parts, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*parts, i))
    else:
        yield parts, node


def _tables(node: Any, parts: Parts = ()) -> Iterator[Parts]:
    if isinstance(node, dict):
        yield parts
        for k, v in node.items():
            yield from _tables(v, (*parts, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _tables(v, (*parts, i))


def _set(raw: Any, parts: Parts, value: Any) -> None:
    node = raw
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value


def _get(raw: Any, parts: Parts) -> Any:
    node = raw
    for p in parts:
        node = node[p]
    return node


Mutation = Callable[[dict[str, Any], Path], str | None]  # returns a label; may write files

OTHER_TYPES: list[Any] = [
    "yes",
    "",
    "12",
    True,
    False,
    0,
    -1,
    1.5,
    [],
    [1, 2],
    {},
    {"a": 1},
    dt.date(2013, 1, 1),
    dt.time(12, 0),
    dt.datetime(2013, 4, 9, 14, 0),
]
NON_FINITE = [math.inf, -math.inf, math.nan]
HUGE: list[Any] = [2**63, 2**64, -(2**63) - 1, 10**30, 10**5000, 1e300, -1e300, 1e18, 3.7e9]
ABSURD_BUT_TYPED: list[Any] = [2_000_000_000, 1e9, 1e6, 3_660, 1_000, 0, 0.0, 1e-12]
BAD_DATES: list[Any] = [
    "2013-02-30",
    "tomorrow",
    20130101,
    1.5,
    True,
    dt.date(1, 1, 1),
    dt.date(9999, 12, 31),
    dt.datetime(2013, 4, 9, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
    dt.datetime(2013, 4, 9, 6, 0, tzinfo=dt.UTC),
    dt.datetime(9999, 12, 31, 23, 59),
    dt.time(25 % 24, 0),
]


def _offsets() -> st.SearchStrategy[dt.timezone]:
    return st.integers(-12 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


KINDS = (
    "wrong_type",
    "non_finite",
    "huge",
    "absurd_but_typed",
    "scaled",
    "unknown_key",
    "bad_date",
    "tz_offset",
    "delete",
    "long_string",
    "long_list",
    "broken_extends",
    "bad_phase",
    "deep_nesting",
)
SCALES = [0, 10, 1_000, 10**5]


@st.composite
def mutations(draw: st.DrawFn, kinds: tuple[str, ...] = KINDS) -> tuple[str, Mutation]:
    """One mutation: its category and a function applying it to a raw scenario."""
    kind = draw(st.sampled_from(kinds))
    pick = draw(st.integers(0, 10**6))
    replacement = draw(
        st.sampled_from(
            {
                "wrong_type": OTHER_TYPES,
                "non_finite": NON_FINITE,
                "huge": HUGE,
                "absurd_but_typed": ABSURD_BUT_TYPED,
                "scaled": SCALES,
                "bad_date": BAD_DATES,
            }.get(kind, [None])
        )
    )
    phase_value = draw(st.sampled_from(OTHER_TYPES + NON_FINITE + HUGE))
    offset = draw(_offsets())
    key = draw(st.from_regex(r"[a-z_]{1,12}", fullmatch=True))
    length = draw(st.sampled_from([201, 5_001, 100_000]))
    depth = draw(st.sampled_from([33, 200, 3_000]))
    variant = draw(st.integers(0, 7))

    def leaf(raw: dict[str, Any], numeric: bool = False) -> tuple[Parts, Any] | None:
        found = [
            (p, v)
            for p, v in _leaves(raw)
            if not numeric or (isinstance(v, int | float) and not isinstance(v, bool))
        ]
        return found[pick % len(found)] if found else None

    def apply(raw: dict[str, Any], folder: Path) -> str | None:
        if kind in ("wrong_type", "non_finite", "huge", "absurd_but_typed", "scaled"):
            target = leaf(raw, numeric=kind != "wrong_type")
            if target is None:
                return None
            scaled = target[1] * replacement if kind == "scaled" else None
            _set(raw, target[0], copy.deepcopy(replacement) if scaled is None else scaled)
        elif kind == "unknown_key":
            tables = list(_tables(raw))
            _get(raw, tables[pick % len(tables)])[key + "_x"] = 1
        elif kind == "bad_date":
            dated = [p[:-1] for p, _ in _leaves(raw) if p and p[-1] == "__date__"]
            if not dated:
                return None
            _set(raw, dated[pick % len(dated)], copy.deepcopy(replacement))
        elif kind == "tz_offset":
            when = dt.datetime(2013, 4, 9, 14, 0, tzinfo=offset)
            campaigns = raw.get("campaigns") or {}
            if campaigns and variant % 2:
                name = sorted(campaigns)[pick % len(campaigns)]
                campaigns[name]["start" if variant % 4 == 1 else "end"] = when
            else:
                raw["scenario"]["start"] = when
        elif kind == "delete":
            target = leaf(raw)
            if target is None or not target[0]:
                return None
            parent = _get(raw, target[0][:-1])
            if isinstance(parent, dict):
                del parent[target[0][-1]]
            else:
                parent.pop(target[0][-1])
        elif kind == "long_string":
            text = "名" * length
            if variant % 2:
                raw["scenario"]["name"] = text
            else:
                raw.setdefault("channels", {})[text] = {"pool": 1, "conversion": 0.1}
        elif kind == "long_list":
            raw["messages"]["hourly_profile"] = [1.0] * (length // 10)
        elif kind == "broken_extends":
            _broken_extends(raw, folder, variant)
        elif kind == "bad_phase":
            raw["phases"] = [
                *raw.get("phases", []),
                _bad_phase(variant, key, copy.deepcopy(phase_value)),
            ]
        elif kind == "deep_nesting":
            return f"deep:{depth}:{variant % 3}"
        return kind

    return kind, apply


def _broken_extends(raw: dict[str, Any], folder: Path, variant: int) -> None:
    targets: list[Any] = ["missing.toml", ".", "scenario.toml", 7, ["a.toml"], "", "loop_a.toml"]
    raw["extends"] = targets[variant % len(targets)]
    (folder / "loop_a.toml").write_text('extends = "loop_b.toml"\n', encoding="utf-8")
    (folder / "loop_b.toml").write_text('extends = "loop_a.toml"\n', encoding="utf-8")


def _bad_phase(variant: int, key: str, value: Any) -> Any:
    phases: list[Any] = [
        {"date": "2013-99-01", "set": {"service.back_end": True}},
        {"date": dt.date(2013, 1, 2), "set": {f"service.{key}": 1}},
        {"date": dt.date(2013, 1, 2), "set": {"service.back_end": "yes"}},
        {"date": dt.date(2013, 1, 2), "set": {"fans.initial": 5}},
        {"date": dt.date(2013, 1, 2), "set": {}},
        {"date": dt.date(2013, 1, 2), "set": "service.back_end"},
        {"date": dt.date(1990, 1, 1), "set": {"messages.per_active_fan_per_day": value}},
        {"date": dt.date(2013, 1, 2), "set": {"service.shifts[9].agents": 3}},
    ]
    return phases[variant % len(phases)]


def _deep_text(depth: int, variant: int) -> str:
    if variant == 0:
        return "x = " + "[" * depth + "]" * depth + "\n"
    if variant == 1:
        return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"
    return "x" + ".a" * depth + " = 1\n"


def _decode(raw: Any) -> Any:
    """JSON copy back to TOML types (dates were encoded as {"__date__": iso})."""
    if isinstance(raw, dict):
        if set(raw) == {"__date__"} and isinstance(raw["__date__"], str):
            text = raw["__date__"]
            parse = dt.datetime if "T" in text else dt.time if ":" in text else dt.date
            try:
                return parse.fromisoformat(text)
            except ValueError:  # a mutation replaced the date with another string
                return text
        return {k: _decode(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_decode(v) for v in raw]
    return raw


# --- running a case within bounds --------------------------------------------------------------


class CaseTimeoutError(Exception):
    """A case ran longer than SECONDS_PER_CASE: a hang, not an answer."""


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """Wall-clock alarm and an address-space limit around one case; both restored after."""

    def on_alarm(signum: int, frame: object) -> None:
        raise CaseTimeoutError(f"case took more than {SECONDS_PER_CASE} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    mapped = _mapped_bytes()
    limit = mapped + EXTRA_ADDRESS_SPACE
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    signal.alarm(SECONDS_PER_CASE)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _mapped_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def cli(*argv: str) -> tuple[int, str]:
    """`main(argv)` in-process within the bounds; returns (exit code, stdout + stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with bounded(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


def _write_case(folder: Path, base: int, chosen: list[tuple[str, Mutation]]) -> tuple[Path, str]:
    raw = json.loads(_base(base))
    labels = []
    deep = ""
    for _, apply in chosen:
        label = apply(raw, folder)
        if label and label.startswith("deep:"):
            _, depth, variant = label.split(":")
            deep = _deep_text(int(depth), int(variant))
        labels.append(label or "no-op")
    path = folder / "scenario.toml"
    path.write_text(deep + to_toml(_decode(raw)), encoding="utf-8")
    return path, "+".join(labels)


def check_case(path: Path, out: Path, run: bool) -> str:
    """Validate (and run, if asked and valid) one case; returns what happened."""
    code, text = cli("validate", str(path))
    assert code in (0, 2), text
    assert "Traceback" not in text
    if code == 2:
        assert "problem" in text, text
        return "invalid"
    if not run:
        return "valid"
    code, text = cli("run", str(path), "--out", str(out), "-q", "--memory-budget", RUN_BUDGET)
    assert code in (0, 2), text
    assert "Traceback" not in text
    if code == 2:
        assert "over the memory budget" in text, text
        return "refused by the budget"
    return "ran"


@FUZZ
@given(
    st.integers(0, len(SHIPPED) - 1),
    st.lists(mutations(), min_size=1, max_size=3),
)
def test_mutated_scenario_validates_cleanly(base: int, chosen: list[tuple[str, Mutation]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, label = _write_case(folder, base, chosen)
        outcome = check_case(path, folder / "out", run=False)
        for kind in label.split("+"):
            event(f"{kind.split(':')[0]}: {outcome}")


@settings(FUZZ, max_examples=EXPLORE or 20)
@given(
    st.sampled_from([SHIPPED.index(p) for p in SMALL]),
    st.lists(
        mutations(("scaled", "absurd_but_typed")),
        min_size=1,
        max_size=2,
    ),
)
def test_mutated_scenario_that_validates_runs_or_is_refused(
    base: int, chosen: list[tuple[str, Mutation]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path, label = _write_case(folder, base, chosen)
        event(f"{label}: {check_case(path, folder / 'out', run=True)}")


def test_a_directory_as_scenario_exits_2(tmp_path: Path) -> None:
    code, text = cli("validate", str(tmp_path))
    assert code == 2
    assert "is a directory" in text


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_scenario_written_back_validates(path: Path, tmp_path: Path) -> None:
    case = tmp_path / "scenario.toml"
    case.write_text(to_toml(read_raw(path)), encoding="utf-8")
    assert check_case(case, tmp_path / "out", run=False) == "valid"
