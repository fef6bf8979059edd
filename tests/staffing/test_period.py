"""Staffing a chosen period: only its days, from the fans the model reaches by its start."""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import OptionError
from sim.model.campaigns import day_weights
from sim.model.engine import RunSpec, run_one
from sim.scenario.load import scenario_from_dict
from sim.staffing.period import campaign_period, cut_to_period, parse_period
from tests.results.test_service_periods import TOML

GROWING = (
    TOML
    + """
[channels.word_of_mouth]
pool = 1_000_000
exposure = { kind = "referrals", per_active_fan_per_day = 0.05 }
conversion = 0.05
"""
)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("2021-03-03", "START..END"),
        ("2021-03-05..2021-03-03", "END must not be before START"),
        ("2021-03-03T10:00+08:00..2021-03-05", "no time or offset"),
    ],
)
def test_a_bad_period_names_the_option_and_the_rule(text: str, rule: str) -> None:
    with pytest.raises(OptionError, match=rule):
        parse_period(text)


def test_the_period_starts_from_the_fans_the_whole_run_has_by_then() -> None:
    scenario = scenario_from_dict(tomllib.loads(GROWING))
    whole = run_one(RunSpec(scenario, 7))
    assert whole.followers is not None
    cut = cut_to_period(scenario, dt.date(2021, 3, 3), dt.date(2021, 3, 5), 7)
    assert cut.warmup_days == 2
    # the model's fans at the end of the day before (not the file's fans.initial)
    assert cut.fans_at_start == int(whole.followers.fans[1]) != scenario.fans.initial
    meta = cut.scenario.scenario
    assert (meta.start, meta.end) == (dt.date(2021, 3, 3), dt.date(2021, 3, 5))


def test_a_campaign_across_the_edge_keeps_the_participation_of_its_days_inside() -> None:
    raw = tomllib.loads(GROWING)
    raw["campaigns"]["spring"]["daily_decay"] = 0.5
    scenario = scenario_from_dict(raw)
    spring = scenario.campaigns["spring"]
    cut = cut_to_period(scenario, dt.date(2021, 3, 4), dt.date(2021, 3, 7), 7).scenario
    kept = cut.campaigns["spring"]
    assert kept.start == dt.datetime(2021, 3, 4, 10) and kept.end == dt.datetime(2021, 3, 5, 18)
    assert kept.participation == pytest.approx(spring.participation * sum(day_weights(spring)[1:]))
    assert day_weights(kept) == pytest.approx(
        [w / sum(day_weights(spring)[1:]) for w in day_weights(spring)[1:]]
    )


def test_campaign_names_its_days_and_an_unknown_one_is_an_error() -> None:
    scenario = scenario_from_dict(tomllib.loads(GROWING))
    assert campaign_period(scenario, "spring") == (dt.date(2021, 3, 3), dt.date(2021, 3, 5))
    with pytest.raises(OptionError, match=r"must name a campaign of the scenario \(spring\)"):
        campaign_period(scenario, "autumn")


def test_staff_campaign_plans_only_its_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "growing.toml"
    path.write_text(GROWING)
    out = tmp_path / "staff"
    args = ["staff", str(path), "--campaign", "spring", "--target", "80% within 15 min"]
    assert main([*args, "--replications", "2", "--out", str(out)]) == 0
    with (out / "roster.csv").open(newline="") as f:
        roster = list(csv.DictReader(f))
    dates = {r["date"] for r in roster}
    assert dates <= {"2021-03-03", "2021-03-04", "2021-03-05"} and dates
    with (out / "staffing.csv").open(newline="") as f:
        starts = [r["interval_start"] for r in csv.DictReader(f)]
    assert starts[0].startswith("2021-03-03T00:00") and starts[-1].startswith("2021-03-05T23:00")
    said = capsys.readouterr().out
    assert "staffing 2021-03-03..2021-03-05: the model reaches" in said
    assert "after simulating the 2 days before" in said
    # agent-shifts over the days and people (the most shifts in one day) are named apart
    shifts = sum(int(r["agents"]) for r in roster)
    people = max(sum(int(r["agents"]) for r in roster if r["date"] == d) for d in dates)
    assert f"roster_agent_shifts {shifts}," in said and f"roster_people_per_day {people}," in said
