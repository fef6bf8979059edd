"""A run lists the defaults its answer rests on, and nothing a scenario gave."""

from __future__ import annotations

import tomllib

from sim.results.assumptions import assumptions
from sim.scenario.load import scenario_from_dict
from tests.results.test_service_periods import TOML


def _paths(raw: dict) -> list[str]:  # type: ignore[type-arg]
    return [a["path"] for a in assumptions(scenario_from_dict(raw))]


def test_defaults_left_in_place_are_listed_most_consequential_first() -> None:
    items = assumptions(scenario_from_dict(tomllib.loads(TOML)))
    assert [a["path"] for a in items] == [
        "campaigns.spring.burst.first_share",
        "messages.hourly_profile",
        "service.first_response_target_minutes",
        "service.resolution_target_minutes",
    ]
    burst = items[0]
    assert burst["value"] == 0.5 and burst["meaning"].startswith("50% of each day's campaign")


def test_what_the_scenario_sets_is_not_listed() -> None:
    raw = tomllib.loads(TOML)
    raw["campaigns"]["spring"]["burst"] = {"first_share": 0.05, "every_minutes": 30}
    raw["messages"]["hourly_profile"] = [1.0] * 24  # given, even if flat: the user chose it
    raw["service"] |= {"first_response_target_minutes": 15, "resolution_target_minutes": 30}
    assert _paths(raw) == []
    del raw["service"]["patience_minutes"]
    assert _paths(raw) == ["service.patience_minutes"]


def test_a_phase_that_sets_a_field_counts_as_given() -> None:
    raw = tomllib.loads(TOML)
    raw["phases"] = [{"date": "2021-03-02", "set": {"messages.hourly_profile": [1.0] * 24}}]
    assert "messages.hourly_profile" not in _paths(raw)
