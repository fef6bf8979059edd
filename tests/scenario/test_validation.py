from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import Problem, ScenarioError
from sim.scenario.validation import did_you_mean, format_path, set_path, split_path

identifiers = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,11}", fullmatch=True)
indices = st.integers(min_value=0, max_value=10**6)
paths = st.builds(
    lambda head, tail: [head, *tail],
    identifiers,
    st.lists(st.one_of(identifiers, indices), max_size=8),
)


@settings(max_examples=50, deadline=None)
@given(paths)
def test_format_then_split_round_trips(parts: list[str | int]) -> None:
    assert split_path(format_path(parts)) == parts


@settings(max_examples=50, deadline=None)
@given(paths)
def test_split_then_format_round_trips(parts: list[str | int]) -> None:
    text = format_path(parts)
    assert format_path(split_path(text)) == text


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a", ["a"]),
        ("a.b[2].c", ["a", "b", 2, "c"]),
        ("service.shifts[0].agents", ["service", "shifts", 0, "agents"]),
        ("m[1][0]", ["m", 1, 0]),
        ("messages.classes.order.share", ["messages", "classes", "order", "share"]),
    ],
)
def test_split_and_format_known_paths(text: str, parts: list[str | int]) -> None:
    assert split_path(text) == parts
    assert format_path(parts) == text


def test_format_path_of_nothing_is_empty() -> None:
    assert format_path([]) == ""


@pytest.mark.parametrize(
    "text",
    ["", ".", ".a", "a.", "a..b", "[0]", "[0].a", "a[", "a]", "a[x]", "a[-1]", "a[0]b", "a[]"],
)
def test_malformed_paths_raise(text: str) -> None:
    with pytest.raises(ScenarioError, match="dotted keys with optional") as info:
        split_path(text)
    (problem,) = info.value.problems
    assert problem == Problem("--set", problem.message, text, True)


def test_set_path_creates_nested_tables() -> None:
    raw: dict[str, Any] = {}
    set_path(raw, "a.b.c", 1)
    assert raw == {"a": {"b": {"c": 1}}}


def test_set_path_keeps_sibling_keys() -> None:
    raw: dict[str, Any] = {"a": {"x": 1, "b": {"y": 2}}}
    set_path(raw, "a.b.c", 3)
    assert raw == {"a": {"x": 1, "b": {"y": 2, "c": 3}}}


def test_set_path_replaces_existing_value() -> None:
    raw: dict[str, Any] = {"a": {"b": [1, 2]}}
    set_path(raw, "a.b", {"dist": "fixed"})
    assert raw == {"a": {"b": {"dist": "fixed"}}}


def test_set_path_into_list_of_tables() -> None:
    raw: dict[str, Any] = {"s": [{"agents": 1}, {"agents": 2}]}
    set_path(raw, "s[1].agents", 9)
    assert raw == {"s": [{"agents": 1}, {"agents": 9}]}


def test_set_path_replaces_list_item() -> None:
    raw: dict[str, Any] = {"a": [1, 2, 3]}
    set_path(raw, "a[0]", 7)
    assert raw == {"a": [7, 2, 3]}


def test_set_path_into_nested_lists() -> None:
    raw: dict[str, Any] = {"m": [[0], [1, 2]]}
    set_path(raw, "m[1][0]", 5)
    assert raw == {"m": [[0], [5, 2]]}


def test_set_path_index_out_of_range() -> None:
    raw: dict[str, Any] = {"a": [{"x": 1}, {"x": 2}]}
    with pytest.raises(ScenarioError, match=r"index out of range \(the list has 2 items\)") as info:
        set_path(raw, "a[2].x", 0)
    (problem,) = info.value.problems
    assert problem.path == "a[2]"
    assert raw == {"a": [{"x": 1}, {"x": 2}]}


def test_set_path_index_into_non_list() -> None:
    with pytest.raises(ScenarioError, match="cannot index: no list is set") as info:
        set_path({"a": {"b": 1}}, "a[0]", 0)
    assert info.value.problems[0].path == "a[0]"


def test_set_path_key_inside_scalar() -> None:
    with pytest.raises(ScenarioError, match="non-table") as info:
        set_path({"a": 1}, "a.b", 2)
    assert info.value.problems[0].path == "a.b"


def test_set_path_malformed_path() -> None:
    with pytest.raises(ScenarioError, match="dotted keys"):
        set_path({}, "a..b", 1)


@settings(max_examples=50, deadline=None)
@given(st.lists(identifiers, min_size=1, max_size=6), st.integers())
def test_set_path_then_read_back(keys: list[str], value: int) -> None:
    raw: dict[str, Any] = {}
    set_path(raw, format_path(list(keys)), value)
    node: Any = raw
    for key in keys:
        node = node[key]
    assert node == value


def test_problem_str_shows_value_only_when_given() -> None:
    assert str(Problem("a.b", "must be > 0", 0, True)) == "a.b: must be > 0 (got 0)"
    assert str(Problem("a.b", "is required but missing")) == "a.b: is required but missing"
    assert str(Problem("", "file not found: x")) == "<scenario>: file not found: x"


def test_scenario_error_lists_every_problem() -> None:
    problems = [Problem("a", "bad", 1, True), Problem("b", "worse")]
    err = ScenarioError(problems, "f.toml")
    assert isinstance(err, ValueError)
    assert err.problems == problems
    assert str(err) == "f.toml: 2 problems\n  - a: bad (got 1)\n  - b: worse"
    assert str(ScenarioError([Problem("a", "bad")])) == "1 problem\n  - a: bad"


def test_did_you_mean_suggests_the_closest_else_lists_the_known_names() -> None:
    assert did_you_mean("weibbo", ["weibo", "forum"]) == "; did you mean `weibo`?"
    assert did_you_mean("qq", ["weibo", "forum"]) == " (known: weibo, forum)"
    assert did_you_mean("weibo", []) == " (known: none)"
