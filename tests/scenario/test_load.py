import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sim.cli.main import main
from sim.dists import Fixed
from sim.errors import Problem, ScenarioError
from sim.scenario.load import load_scenario, parse_override, scenario_from_dict
from sim.scenario.schema import ScenarioMeta

REPO = Path(__file__).parents[2]
SCENARIO_FILES = sorted((REPO / "scenarios").glob("*.toml"))
GOOD = REPO / "scenarios" / "xiaomi_service_2013.toml"
DATA = Path(__file__).parents[1] / "data"


def minimal() -> dict[str, Any]:
    """A small valid raw scenario (as parsed TOML) that single tests break one rule in."""
    return {
        "scenario": {"name": "t", "start": dt.date(2013, 4, 10)},
        "fans": {"initial": 1000},
        "messages": {
            "per_active_fan_per_day": 0.1,
            "classes": {
                "a": {
                    "share": 0.6,
                    "routing": "auto",
                    "handle_time_minutes": {"dist": "fixed", "value": 1.0},
                },
                "b": {
                    "share": 0.4,
                    "routing": "human",
                    "handle_time_minutes": {"dist": "exponential", "mean": 2.0},
                },
            },
        },
        "service": {"agents_by_hour": [1] * 24},
    }


def problems_of(raw: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    return info.value.problems


def load_problems(path: Path, overrides: list[str] | None = None) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, overrides or [])
    return info.value.problems


def by_path(problems: list[Problem]) -> dict[str, Problem]:
    return {p.path: p for p in problems}


# --- shipped scenarios -------------------------------------------------------------------


def test_there_are_scenario_files() -> None:
    assert SCENARIO_FILES, "scenarios/*.toml is empty"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_shipped_scenario_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.scenario.name
    assert scenario.scenario.days >= 1


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_shipped_scenario_passes_fansim_validate(
    path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(path)]) == 0
    captured = capsys.readouterr()
    assert f"{path}: ok" in captured.out
    assert captured.err == ""


def test_minimal_dict_is_valid() -> None:
    scenario = scenario_from_dict(minimal())
    assert scenario.messages.classes["b"].handle_time_minutes.build().mean == 2.0
    assert scenario.model.interval_minutes == 15


# --- file-level errors -------------------------------------------------------------------


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError, match=r"file not found: .*nope\.toml") as info:
        load_scenario(missing)
    assert info.value.source == str(missing)
    assert str(missing) in str(info.value)


def test_directory_is_not_a_scenario_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory, not a scenario file"):
        load_scenario(tmp_path)


def test_invalid_toml_is_an_error() -> None:
    path = DATA / "not_toml.toml"
    with pytest.raises(ScenarioError, match="not valid TOML") as info:
        load_scenario(path)
    assert info.value.source == str(path)
    assert len(info.value.problems) == 1


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[scenario]\nname = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError, match="not UTF-8"):
        load_scenario(path)


# --- all problems at once ----------------------------------------------------------------


def test_all_field_problems_reported_at_once() -> None:
    path = DATA / "several_mistakes.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    found = by_path(err.problems)
    assert set(found) == {
        "scenario.sed",
        "fans.initial",
        "messages.classes.order.share",
        "messages.classes.order.handle_time_minutes.dist",
    }
    share = found["messages.classes.order.share"]
    assert share.value == 1.5
    assert "less than or equal to 1" in share.message
    assert str(share) == ("messages.classes.order.share: must be less than or equal to 1 (got 1.5)")
    assert str(found["fans.initial"]).endswith("(got -5)")
    assert "greater than or equal to 0" in found["fans.initial"].message
    text = str(err)
    assert text.startswith(f"{path}: 4 problems")
    for p in err.problems:
        assert f"  - {p}" in text


def test_unknown_key_suggests_nearest() -> None:
    found = by_path(load_problems(DATA / "several_mistakes.toml"))
    assert found["scenario.sed"].message == "unknown key; did you mean `seed`?"


def test_unknown_key_without_close_match_lists_known_keys() -> None:
    raw = minimal()
    raw["fans"]["zzzz"] = 1
    (problem,) = problems_of(raw)
    assert problem.path == "fans.zzzz"
    assert "known keys: initial" in problem.message
    assert "did you mean" not in problem.message


def test_unknown_dist_tag_suggests_nearest() -> None:
    found = by_path(load_problems(DATA / "several_mistakes.toml"))
    problem = found["messages.classes.order.handle_time_minutes.dist"]
    assert "did you mean `lognormal`?" in problem.message
    assert "exponential, lognormal, gamma, fixed, empirical" in problem.message
    assert str(problem).endswith("(got 'lognormall')")


def test_unknown_key_inside_a_dist_suggests_nearest() -> None:
    raw = minimal()
    raw["messages"]["classes"]["b"]["handle_time_minutes"] = {
        "dist": "gamma",
        "mean": 2.0,
        "cvv": 0.5,
    }
    found = by_path(problems_of(raw))
    # the union tag (`gamma`) is not part of the path a user writes
    assert found["messages.classes.b.handle_time_minutes.cvv"].message.endswith(
        "did you mean `cv`?"
    )
    assert found["messages.classes.b.handle_time_minutes.cv"].message == ("is required but missing")


def test_missing_required_field() -> None:
    raw = minimal()
    del raw["fans"]
    (problem,) = problems_of(raw)
    assert problem.path == "fans"
    assert problem.message == "is required but missing"
    assert "(got" not in str(problem)


def test_cross_field_problems_reported_at_once() -> None:
    found = by_path(load_problems(DATA / "cross_field_mistakes.toml"))
    assert set(found) == {"scenario.end", "messages.classes", "service"}
    assert str(found["scenario.end"]) == (
        "scenario.end: must not be before scenario.start (2013-04-10) (got '2013-04-08')"
    )
    assert "shares must sum to 1" in found["messages.classes"].message
    assert found["messages.classes"].value == 0.5
    assert "(got neither)" in found["service"].message


# --- single rules ------------------------------------------------------------------------


def test_shares_must_sum_to_one() -> None:
    raw = minimal()
    raw["messages"]["classes"]["b"]["share"] = 0.5
    (problem,) = problems_of(raw)
    assert problem.path == "messages.classes"
    assert "shares must sum to 1" in problem.message
    assert problem.value == pytest.approx(1.1)


def test_shares_summing_to_one_within_rounding_are_accepted() -> None:
    raw = minimal()
    raw["messages"]["classes"]["a"]["share"] = 0.1 + 0.2 + 0.3
    raw["messages"]["classes"]["b"]["share"] = 0.4
    scenario_from_dict(raw)


def test_both_roster_forms_rejected() -> None:
    raw = minimal()
    raw["service"]["shifts"] = [{"name": "d", "start": "08:00", "end": "16:00", "agents": 2}]
    (problem,) = problems_of(raw)
    assert problem.path == "service"
    assert "exactly one of `agents_by_hour` or `shifts`" in problem.message
    assert "(got both)" in problem.message


def test_neither_roster_form_rejected() -> None:
    raw = minimal()
    del raw["service"]["agents_by_hour"]
    (problem,) = problems_of(raw)
    assert problem.path == "service"
    assert "(got neither)" in problem.message


def test_end_before_start_rejected() -> None:
    raw = minimal()
    raw["scenario"]["end"] = dt.date(2013, 4, 9)
    (problem,) = problems_of(raw)
    assert problem.path == "scenario.end"
    assert "must not be before scenario.start (2013-04-10)" in problem.message
    assert problem.value == "2013-04-09"


def test_end_equal_to_start_is_one_day() -> None:
    raw = minimal()
    raw["scenario"]["end"] = dt.date(2013, 4, 10)
    assert scenario_from_dict(raw).scenario.days == 1


@pytest.mark.parametrize("minutes", [7, 45, 59])
def test_interval_must_divide_an_hour(minutes: int) -> None:
    raw = minimal()
    raw["model"] = {"interval_minutes": minutes}
    (problem,) = problems_of(raw)
    assert problem.path == "model.interval_minutes"
    assert "must divide 60" in problem.message
    assert problem.value == minutes
    assert f"(got {minutes})" in str(problem)


@pytest.mark.parametrize("minutes", [1, 5, 15, 20, 30, 60])
def test_interval_dividing_an_hour_accepted(minutes: int) -> None:
    raw = minimal()
    raw["model"] = {"interval_minutes": minutes}
    assert scenario_from_dict(raw).model.interval_minutes == minutes


def test_shift_with_equal_start_and_end_rejected() -> None:
    raw = minimal()
    del raw["service"]["agents_by_hour"]
    raw["service"]["shifts"] = [{"name": "d", "start": "08:00", "end": "08:00", "agents": 2}]
    (problem,) = problems_of(raw)
    assert problem.path == "service.shifts[0].end"
    assert problem.value == "08:00"


def test_hourly_profile_needs_a_positive_hour() -> None:
    raw = minimal()
    raw["messages"]["hourly_profile"] = [0.0] * 24
    (problem,) = problems_of(raw)
    assert problem.path == "messages.hourly_profile"


def test_hourly_profile_needs_24_hours() -> None:
    raw = minimal()
    raw["messages"]["hourly_profile"] = [1.0] * 23
    (problem,) = problems_of(raw)
    assert problem.path == "messages.hourly_profile"
    assert "24" in problem.message


def test_problem_path_uses_list_indices() -> None:
    raw = minimal()
    raw["service"]["agents_by_hour"] = [1] * 23 + [-2]
    problem = by_path(problems_of(raw))["service.agents_by_hour[23]"]
    assert problem.value == -2
    assert "greater than or equal to 0" in problem.message


# --- ScenarioMeta.days ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("end", "days"),
    [(None, 1), (dt.date(2013, 4, 10), 1), (dt.date(2013, 4, 11), 2), (dt.date(2013, 5, 9), 30)],
)
def test_days_counts_start_and_end_inclusive(end: dt.date | None, days: int) -> None:
    meta = ScenarioMeta(name="x", start=dt.date(2013, 4, 10), end=end)
    assert meta.days == days


def test_days_across_a_leap_day() -> None:
    meta = ScenarioMeta(name="x", start=dt.date(2012, 2, 28), end=dt.date(2012, 3, 1))
    assert meta.days == 3


# --- --set overrides -----------------------------------------------------------------------


def test_override_changes_the_value() -> None:
    base = load_scenario(GOOD)
    changed = load_scenario(GOOD, ["service.shifts[0].agents=9"])
    assert base.service.shifts is not None and changed.service.shifts is not None
    assert base.service.shifts[0].agents != 9
    assert changed.service.shifts[0].agents == 9
    assert changed.service.shifts[1] == base.service.shifts[1]


def test_override_does_not_change_the_file() -> None:
    before = GOOD.read_bytes()
    load_scenario(GOOD, ["fans.initial=1"])
    assert GOOD.read_bytes() == before
    assert load_scenario(GOOD).fans.initial != 1


def test_bad_override_value_is_a_problem_at_its_path() -> None:
    (problem,) = load_problems(GOOD, ["service.shifts[0].agents=-1"])
    assert problem.path == "service.shifts[0].agents"
    assert problem.value == -1
    assert "greater than or equal to 0" in problem.message


def test_bad_override_string_value_for_integer() -> None:
    (problem,) = load_problems(GOOD, ["scenario.seed=abc"])
    assert problem.path == "scenario.seed"
    assert problem.value == "abc"


def test_override_breaking_a_cross_field_rule() -> None:
    (problem,) = load_problems(GOOD, ["messages.classes.order.share=0.03"])
    assert problem.path == "messages.classes"
    assert problem.value == pytest.approx(1.01)


def test_several_bad_overrides_all_reported() -> None:
    found = by_path(load_problems(GOOD, ["fans.initial=-1", "scenario.sed=2"]))
    assert set(found) == {"fans.initial", "scenario.sed"}


@pytest.mark.parametrize(
    ("override", "path", "suggestion"),
    [
        ("scenario.sed=3", "scenario.sed", "seed"),
        ("service.shifts[0].agnets=3", "service.shifts[0].agnets", "agents"),
        ("servce.back_end=false", "servce", "service"),
        ("service.patience_minutes.maen=5", "service.patience_minutes.maen", "mean"),
    ],
)
def test_unknown_override_path_gives_did_you_mean(
    override: str, path: str, suggestion: str
) -> None:
    found = by_path(load_problems(GOOD, [override]))
    assert path in found
    assert found[path].message.startswith(f"unknown key; did you mean `{suggestion}`?")


def test_override_unknown_dist_tag_gives_did_you_mean() -> None:
    (problem,) = load_problems(GOOD, ["service.patience_minutes.dist=expo"])
    assert problem.path == "service.patience_minutes.dist"
    assert "did you mean `exponential`?" in problem.message


def test_override_index_out_of_range() -> None:
    (problem,) = load_problems(GOOD, ["service.shifts[5].agents=1"])
    assert problem.path == "service.shifts[5]"
    assert problem.message == "index out of range (the list has 2 items)"


@pytest.mark.parametrize("text", ["no-equals-sign", "[0]=1", "a..b=1"])
def test_malformed_override_rejected(text: str) -> None:
    (problem,) = load_problems(GOOD, [text])
    assert problem.path == "--set"


def test_malformed_overrides_all_reported() -> None:
    problems = load_problems(GOOD, ["nope", "[0]=1"])
    assert [p.path for p in problems] == ["--set", "--set"]
    assert [p.value for p in problems] == ["nope", "[0]"]


def test_override_list_value() -> None:
    profile = [float(h % 5 + 1) for h in range(24)]
    text = "messages.hourly_profile=[" + ", ".join(str(v) for v in profile) + "]"
    scenario = load_scenario(GOOD, [text])
    assert scenario.messages.hourly_profile == tuple(profile)


def test_override_float_value() -> None:
    scenario = load_scenario(GOOD, ["messages.per_active_fan_per_day=0.05"])
    assert scenario.messages.per_active_fan_per_day == 0.05


@pytest.mark.parametrize(
    ("override", "name"),
    [('scenario.name="other"', "other"), ("scenario.name=plain text", "plain text")],
)
def test_override_string_value(override: str, name: str) -> None:
    assert load_scenario(GOOD, [override]).scenario.name == name


def test_override_bool_value() -> None:
    assert load_scenario(GOOD, ["service.back_end=false"]).service.back_end is False


def test_override_date_value_changes_days() -> None:
    scenario = load_scenario(GOOD, ["scenario.end=2013-04-12"])
    assert scenario.scenario.end == dt.date(2013, 4, 12)
    assert scenario.scenario.days == 3


def test_override_inline_table_value() -> None:
    scenario = load_scenario(GOOD, ['service.patience_minutes={ dist = "fixed", value = 5 }'])
    assert scenario.service.patience_minutes is not None
    assert scenario.service.patience_minutes.build() == Fixed(5.0)


def test_override_clock_time_value() -> None:
    scenario = load_scenario(GOOD, ["service.shifts[0].start=09:30"])
    assert scenario.service.shifts is not None
    assert scenario.service.shifts[0].start == dt.time(9, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b=[1, 2]", ("a.b", [1, 2])),
        (" a = 0.5 ", ("a", 0.5)),
        ("a=hello world", ("a", "hello world")),
        ('a="x=y"', ("a", "x=y")),
        ("a[0].b=true", ("a[0].b", True)),
        ("d=2013-04-10", ("d", dt.date(2013, 4, 10))),
    ],
)
def test_parse_override(text: str, expected: tuple[str, Any]) -> None:
    assert parse_override(text) == expected


def test_parse_override_needs_equals_sign() -> None:
    with pytest.raises(ScenarioError, match="must look like path=value"):
        parse_override("service.back_end")
