"""The `[costs]` table: field rules and cross-field rules name the dotted path, value and rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.cli.main import main
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario, scenario_from_dict
from tests.results.test_costs import raw_scenario

REPO = Path(__file__).parents[3]
COSTS_FILE = REPO / "scenarios" / "xiaomi_2013q1_costs.toml"


def problems(costs: dict[str, Any], **changes: Any) -> list[str]:
    raw = raw_scenario(costs)
    raw.update(changes)
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    return [str(p) for p in info.value.problems]


def test_prices_are_finite_non_negative_numbers() -> None:
    assert problems({"agent_hour": -1}) == [
        "costs.agent_hour: must be greater than or equal to 0 (got -1)"
    ]
    (text,) = problems({"channels": {"forum": {"per_week": "700"}}})
    assert text.startswith("costs.channels.forum.per_week: must be a valid number")
    (text,) = problems({"instances": 0, "instance_hour": 1.0})
    assert text == "costs.instances: must be greater than or equal to 1 (got 0)"


def test_unknown_keys_and_names_get_did_you_mean() -> None:
    (text,) = problems({"agent_hours": 30})
    assert text.startswith("costs.agent_hours: unknown key; did you mean `agent_hour`?")
    (text,) = problems({"channels": {"weibo2": {"per_post": 1.0}}})
    assert text == (
        "costs.channels.weibo2: must name one of channels; did you mean `weibo`? (got 'weibo2')"
    )
    (text,) = problems({"campaigns": {"quizz": {"prize_budget": 1.0}}})
    assert "costs.campaigns.quizz: must name one of campaigns; did you mean `quiz`?" in text


def test_posts_only_on_a_posts_channel() -> None:
    (text,) = problems({"channels": {"forum": {"per_post": 5.0}}})
    assert text == (
        "costs.channels.forum.per_post: only a channel whose exposure kind is `posts` has "
        "posts (this one: `visitors`) (got 5.0)"
    )


def test_group_prices_need_groups() -> None:
    (text,) = problems({"groups": {"orders": {"agent_hour": 50.0}}})
    assert text.startswith("costs.groups.orders: the scenario has one pool of agents")


def test_instance_hours_need_a_size() -> None:
    (text,) = problems({"instance_hour": 0.5})
    assert text.startswith("costs.instances: is required to cost instance-hours")
    server = {
        "instances": 4,
        "workers_per_instance": 8,
        "service_time_seconds": {"dist": "fixed", "value": 0.05},
    }
    raw = raw_scenario({"instance_hour": 0.5})
    raw["server"] = server
    assert scenario_from_dict(raw).costs is not None  # the server's instances size it


def test_prices_cannot_change_by_phase() -> None:
    phases = [{"date": "2013-01-05", "set": {"costs.agent_hour": 40.0}}]
    (text,) = problems({"agent_hour": 36.0}, phases=phases)
    assert text.startswith("phases[0].set.costs.agent_hour: cannot change by phase")


def test_fansim_validate_names_the_field_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{COSTS_FILE.as_posix()}"\n[costs.channels.weibo]\nper_post = -5\n',
        encoding="utf-8",
    )
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "costs.channels.weibo.per_post: must be greater than or equal to 0 (got -5)" in err
    assert "Traceback" not in err


def test_the_shipped_costs_scenario_is_the_flagship_with_prices() -> None:
    priced = load_scenario(COSTS_FILE)
    flagship = load_scenario(REPO / "scenarios" / "xiaomi_2013q1.toml")
    assert priced.costs is not None and priced.costs.sms_per_message == 0.04
    plain = priced.model_dump(mode="json")
    del plain["costs"]
    plain["scenario"] = flagship.model_dump(mode="json")["scenario"]
    assert plain == flagship.model_dump(mode="json")
