"""Planners' targets: what parses, and the messages for what does not."""

import pytest

from sim.errors import OptionError
from sim.staffing.requirements import on_phones, paid_agents
from sim.staffing.targets import (
    Policy,
    ServiceTarget,
    parse_duration_seconds,
    parse_open_hours,
    parse_share,
    parse_target,
)


@pytest.mark.parametrize(
    ("text", "level", "minutes"),
    [
        ("80% within 15 min", 0.8, 15.0),
        ("80 % in 900 s", 0.8, 15.0),
        ("95% within 1 h", 0.95, 60.0),
        ("99.5% WITHIN 20 seconds", 0.995, 20 / 60),
    ],
)
def test_targets_parse(text: str, level: float, minutes: float) -> None:
    t = parse_target(text)
    assert t.level == pytest.approx(level)
    assert t.minutes == pytest.approx(minutes)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("80 within 15 min", "must read like"),
        ("80% within 15", "must read like"),
        ("eighty percent", "must read like"),
        ("100% within 15 min", "above 0% and below 100%"),
        ("0% within 15 min", "above 0% and below 100%"),
    ],
)
def test_malformed_targets_name_option_value_and_rule(text: str, rule: str) -> None:
    with pytest.raises(OptionError, match=rule) as info:
        parse_target(text)
    problem = info.value.problems[0]
    assert problem.path == "--target"
    assert problem.value == text


def test_shares_and_durations() -> None:
    assert parse_share("5%", "--max-abandon") == pytest.approx(0.05)
    assert parse_share("0.3", "--shrinkage") == pytest.approx(0.3)
    assert parse_share("100%", "--max-occupancy", inclusive=True) == 1.0
    assert parse_duration_seconds("500ms", "--p99") == pytest.approx(0.5)
    assert parse_duration_seconds("5s", "--p99") == 5.0
    with pytest.raises(OptionError, match='did you mean "30%"'):
        parse_share("30", "--shrinkage")
    with pytest.raises(OptionError, match=r"--shrinkage: must be >= 0% and < 100%"):
        parse_share("100%", "--shrinkage")
    with pytest.raises(OptionError, match="must be a duration"):
        parse_duration_seconds("5 minutes", "--p99")


def test_open_hours_close_the_right_intervals() -> None:
    assert parse_open_hours("08:00-24:00").closed(60, 24) == tuple(range(8))
    assert parse_open_hours("22:00-06:00").closed(60, 24) == tuple(range(6, 22))
    assert parse_open_hours("00:00-24:00").closed(60, 48) == ()
    with pytest.raises(OptionError, match="HH:MM-HH:MM"):
        parse_open_hours("8-24")


def test_shrinkage_as_planners_apply_it() -> None:
    policy = Policy(ServiceTarget(0.8, 15), shrinkage=0.3)
    assert paid_agents(7, policy) == 10  # 7 / 0.7 = 10 exactly, not 11
    assert paid_agents(8, policy) == 12  # 11.43 rounded up
    for n in range(50):
        assert on_phones(paid_agents(n, policy), policy) >= n
