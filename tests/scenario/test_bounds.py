"""Each category of bad input gets a ScenarioError naming the path, the value and the rule."""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from sim.errors import MAX_SHOWN, Problem, ScenarioError
from sim.scenario.files import read_raw
from sim.scenario.load import scenario_from_dict
from sim.scenario.validation import set_path

REPO = Path(__file__).parents[2]
SERVICE = REPO / "scenarios" / "xiaomi_service_2013.toml"
FESTIVAL = REPO / "scenarios" / "mifan_festival_2013.toml"
CST = dt.timezone(dt.timedelta(hours=8))


@cache
def _raw(path: Path) -> dict[str, Any]:
    return read_raw(path)


def broken(path: Path = SERVICE, **changes: Any) -> ScenarioError:
    """The error of a shipped scenario with `changes` (dotted path with `__` for `.`) applied."""
    raw = copy.deepcopy(_raw(path))
    for key, value in changes.items():
        set_path(raw, key.replace("__", "."), value)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    return info.value


def only(err: ScenarioError, path: str) -> Problem:
    """The problem at `path`, checking its text names the path, the value and a rule."""
    found = [p for p in err.problems if p.path == path]
    assert found, f"no problem at {path}: {err}"
    text = str(found[0])
    assert text.startswith(f"{path}: ")
    if found[0].has_value:
        assert "(got " in text
    return found[0]


# --- inf, nan and integers beyond 64 bits -----------------------------------------------------


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize(
    "path",
    [
        "messages.per_active_fan_per_day",
        "messages.hourly_profile[3]",
        "service.first_response_target_minutes",
        "messages.classes.order.handle_time_minutes.mean",
        "fans.active_share",
    ],
)
def test_non_finite_numbers_are_rejected(path: str, value: float) -> None:
    err = broken(**{path.replace(".", "__"): value})
    problem = only(err, path)
    assert problem.message == "must be a finite number"
    assert re.search(r"\(got -?(inf|nan)\)", str(err))


@pytest.mark.parametrize("value", [2**63, 2**64, 10**30])
def test_integers_beyond_64_bits_are_rejected(value: int) -> None:
    err = broken(fans__initial=value)
    problem = only(err, "fans.initial")
    assert "less than or equal to 2000000000" in problem.message
    assert problem.value == value


def test_a_huge_integer_is_shown_by_its_size() -> None:
    err = broken(scenario__seed=2**20000)
    assert re.search(
        r"scenario\.seed: must be less than or equal to 9223372036854775807 "
        r"\(got an integer of 20,001 bits\)",
        str(err),
    )


# --- strict types: booleans, strings, numbers ---------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("service.back_end", "yes", "must be a valid boolean"),
        ("service.back_end", 1, "must be a valid boolean"),
        ("fans.initial", True, "must be a valid integer"),
        ("fans.initial", 800000.0, "must be a valid integer"),
        ("fans.initial", "800000", "must be a valid integer"),
        ("messages.per_active_fan_per_day", True, "must be a valid number"),
        ("messages.per_active_fan_per_day", "0.1", "must be a valid number"),
        ("service.shifts[0].agents", False, "must be a valid integer"),
    ],
)
def test_strict_types(path: str, value: Any, rule: str) -> None:
    err = broken(**{path.replace(".", "__"): value})
    problem = only(err, path)
    assert problem.message == rule
    assert problem.value == value and type(problem.value) is type(value)


def test_an_integer_where_a_float_goes_is_fine() -> None:
    raw = copy.deepcopy(_raw(SERVICE))
    raw["messages"]["per_active_fan_per_day"] = 1
    assert scenario_from_dict(raw).messages.per_active_fan_per_day == 1.0


# --- dates, date-times and offsets ---------------------------------------------------------------


@pytest.mark.parametrize(
    "when", [dt.datetime(2013, 4, 9, 14, tzinfo=CST), dt.datetime(2013, 4, 9, 6, tzinfo=dt.UTC)]
)
@pytest.mark.parametrize("field", ["start", "end"])
def test_campaign_time_with_an_offset_is_rejected(field: str, when: dt.datetime) -> None:
    err = broken(FESTIVAL, **{f"campaigns__live_quiz__{field}": when})
    problem = only(err, f"campaigns.live_quiz.{field}")
    assert problem.message.startswith("must be local time without an offset")


def test_offset_given_as_text_is_rejected_too() -> None:
    err = broken(FESTIVAL, campaigns__live_quiz__start="2013-04-09T14:00:00+08:00")
    assert "must be local time without an offset" in str(err)


def test_an_offset_on_one_side_never_crashes_the_comparison() -> None:
    err = broken(FESTIVAL, campaigns__live_quiz__end=dt.datetime(2013, 4, 9, 16, tzinfo=CST))
    assert [p.path for p in err.problems] == ["campaigns.live_quiz.end"]


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (20130410, "must be an ISO date or date-time, not a number"),
        (True, "must be an ISO date or date-time, not a number"),
        ("2013-02-30", "day value is outside expected range"),
        (dt.date(1, 1, 1), "must be between 1900-01-01 and 2199-12-31"),
        (dt.date(9999, 12, 31), "must be between 1900-01-01 and 2199-12-31"),
    ],
)
def test_bad_dates_name_the_rule(value: Any, rule: str) -> None:
    err = broken(scenario__start=value)
    assert rule in only(err, "scenario.start").message


@pytest.mark.parametrize("field", ["scenario__start", "scenario__end", "phases__0__date"])
@pytest.mark.parametrize(
    ("when", "lost"),
    [
        (dt.datetime(2013, 3, 1, 0, tzinfo=CST), "its time and time-zone offset would be lost"),
        (dt.datetime(2013, 3, 1, 9), "its time would be lost"),
        ("2013-03-01T00:00:00+08:00", "not a date-time"),
    ],
)
def test_a_date_given_a_date_time_is_refused_never_cut(field: str, when: Any, lost: str) -> None:
    q1 = REPO / "scenarios" / "xiaomi_2013q1.toml"
    path = field.replace("__0__", "[0].").replace("__", ".")
    raw = copy.deepcopy(_raw(q1))
    set_path(raw, path, when)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    problem = only(info.value, path)
    assert lost in problem.message
    assert "datetime.datetime(" not in str(info.value)  # shown in ISO form
    if isinstance(when, dt.datetime):
        assert f"(got {when.isoformat()})" in str(problem)


def test_an_end_before_the_start_is_one_error() -> None:
    err = broken(FESTIVAL, campaigns__live_quiz__end=dt.datetime(2013, 4, 9, 13))
    assert [p.path for p in err.problems] == ["campaigns.live_quiz.end"]


@pytest.mark.parametrize("end", ["24:00", "00:00", dt.time(0)])
def test_24_00_ends_a_shift_at_midnight_as_00_00_does(end: Any) -> None:
    raw = copy.deepcopy(_raw(SERVICE))
    raw["service"].pop("agents_by_hour", None)
    raw["service"].pop("shifts", None)
    raw["service"]["shifts"] = [{"name": "late", "start": "15:00", "end": end, "agents": 3}]
    (shift,) = scenario_from_dict(raw).service.shifts or ()
    assert shift.end == dt.time(0)


def test_shift_time_with_an_offset_is_rejected() -> None:
    raw = copy.deepcopy(_raw(SERVICE))
    raw["service"].pop("agents_by_hour", None)
    raw["service"]["shifts"] = [
        {"name": "day", "start": dt.time(8, tzinfo=CST), "end": dt.time(17), "agents": 3}
    ]
    with pytest.raises(ScenarioError, match=r"service\.shifts\[0\]\.start: must be a local clock"):
        scenario_from_dict(raw)


# --- absurd magnitudes ---


@pytest.mark.parametrize(
    ("path", "value", "bound"),
    [
        ("fans.initial", 2_000_000_001, "2000000000"),
        ("messages.per_active_fan_per_day", 1e4, "1000"),
        ("messages.hourly_profile[0]", 1e7, "1000000"),
        ("service.first_response_target_minutes", 1e6, "43200"),
        ("service.shifts[0].agents", 10**6, "100000"),
        ("messages.classes.order.handle_time_minutes.cv", 50, "10"),
    ],
)
def test_absurd_magnitudes_are_refused(path: str, value: float, bound: str) -> None:
    err = broken(**{path.replace(".", "__"): value})
    assert f"less than or equal to {bound}" in only(err, path).message


def test_a_handle_time_of_years_is_refused() -> None:
    err = broken(messages__classes__order__handle_time_minutes={"dist": "fixed", "value": 6e5})
    problem = only(err, "messages.classes.order.handle_time_minutes")
    assert problem.message == "mean <= 43,200 minutes (30 days), got 600000"


def test_a_server_service_time_of_days_is_refused() -> None:
    err = broken(FESTIVAL, server__service_time_seconds__mean=1e5)
    assert "server.service_time_seconds: mean <= 3,600 seconds (one hour), got 100000" in str(err)


def test_a_horizon_beyond_ten_years_is_refused() -> None:
    err = broken(scenario__end=dt.date(2024, 1, 1))
    problem = only(err, "scenario.end")
    assert problem.message.startswith("must be at most 3,660 days (ten years)")
    assert problem.value == "2024-01-01"


def test_a_burst_decaying_past_the_window_is_refused() -> None:
    err = broken(FESTIVAL, campaigns__live_quiz__burst__decay_seconds=20_000.0)
    problem = only(err, "campaigns.live_quiz.burst.decay_seconds")
    assert "campaign's length plus the 30 minutes simulated after it (9,000 s)" in problem.message
    assert problem.value == 20_000.0


def test_rounds_more_often_than_every_minute_are_refused() -> None:
    err = broken(FESTIVAL, campaigns__live_quiz__burst__every_minutes=0.001)
    assert (
        "greater than or equal to 1" in only(err, "campaigns.live_quiz.burst.every_minutes").message
    )


@pytest.mark.parametrize(
    "path", ["scenario.name", "scenario.description", "campaigns.live_quiz.keyword"]
)
def test_long_strings_are_refused(path: str) -> None:
    err = broken(FESTIVAL, **{path.replace(".", "__"): "x" * 6000})
    problem = only(err, path)
    assert re.match(r"must have at most (200|5000) characters", problem.message)
    assert str(problem).endswith("...)")  # the value is shown cut, not 6,000 characters


def test_a_long_table_name_is_refused() -> None:
    raw = copy.deepcopy(_raw(SERVICE))
    raw["messages"]["classes"]["x" * 300] = raw["messages"]["classes"]["order"]
    with pytest.raises(ScenarioError, match=r"messages\.classes\.xxx.*: must have at most 200"):
        scenario_from_dict(raw)


def test_a_million_problems_are_counted_not_printed() -> None:
    err = broken(messages__hourly_profile=[-1.0] * 100_000)
    assert len(err.problems) > MAX_SHOWN
    assert f"and {len(err.problems) - MAX_SHOWN:,} more" in str(err)
    assert len(str(err).splitlines()) == MAX_SHOWN + 2


# --- phases reported alongside other problems ---


def test_phase_problems_are_reported_with_the_others() -> None:
    raw = copy.deepcopy(_raw(SERVICE))
    raw["scenario"]["end"] = dt.date(2013, 4, 12)
    raw["fans"]["initial"] = -1
    raw["phases"] = [
        {"date": dt.date(2013, 4, 11), "set": {"service.back_end": "yes"}},
        {"date": dt.date(2013, 4, 12), "set": {"service.bakc_end": True}},
        {"date": "2013-99-01", "set": {"service.back_end": True}},
        {"date": dt.date(2014, 1, 1), "set": {"messages.per_active_fan_per_day": math.inf}},
    ]
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    problems = {p.path: p for p in info.value.problems}
    assert problems["fans.initial"].value == -1
    assert problems["phases[0].set.service.back_end"].message == "must be a valid boolean"
    assert problems["phases[0].set.service.back_end"].value == "yes"
    assert "did you mean `back_end`?" in problems["phases[1].set.service.bakc_end"].message
    assert "phases[2].date" in problems
    assert problems["phases[3].date"].message.startswith("must be after the previous phase")
    finite = problems["phases[3].set.messages.per_active_fan_per_day"]
    assert finite.message == "must be a finite number"
