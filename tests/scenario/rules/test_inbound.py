"""Rules of `[inbound.<name>]`: field bounds, unique class names, skills, phases; exit code 2."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from sim.cli.main import main
from sim.errors import ScenarioError
from sim.scenario.load import scenario_from_dict
from sim.scenario.timeline import resolve_timeline
from tests.factories import inbound_raw

NEWMEDIA = Path(__file__).parents[3] / "scenarios" / "xiaomi_newmedia_2013.toml"


def _problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(raw)
    return {p.path: p.message for p in info.value.problems}


def _grouped(skills: list[str]) -> dict[str, Any]:
    raw = inbound_raw()
    raw["service"] = {"groups": {"all": {"skills": skills, "agents_by_hour": [2] * 24}}}
    return raw


def test_a_valid_channel_loads_with_the_service_targets_as_defaults() -> None:
    raw = inbound_raw()
    del raw["inbound"]["weibo"]["first_response_target_minutes"]
    sc = scenario_from_dict(raw)
    assert sc.inbound["weibo"].first_response_target_minutes is None
    assert resolve_timeline(sc).targets("first_response", "weibo") == (15.0, 15.0)
    assert resolve_timeline(sc).channels == (("weibo", ("weibo_pm", "weibo_mention")),)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("followers", -1, "greater than or equal to 0"),
        ("followers", 1.5, "valid integer"),
        ("active_share", 1.2, "less than or equal to 1"),
        ("per_active_fan_per_day", "many", "valid number"),
        ("first_response_target_minutes", 0, "greater than 0"),
        ("hourly_profile", [1.0] * 23, "at least 24 items"),
        ("platform", "", "at least 1 character"),
        ("growth_per_day", float("inf"), "finite number"),
    ],
)
def test_bad_fields_name_their_path(field: str, value: Any, rule: str) -> None:
    raw = inbound_raw()
    raw["inbound"]["weibo"][field] = value
    found = _problems(raw)
    assert rule in found[f"inbound.weibo.{field}"]


def test_unknown_key_suggests_the_field() -> None:
    raw = inbound_raw()
    raw["inbound"]["weibo"]["follower"] = 10
    assert "did you mean `followers`?" in _problems(raw)["inbound.weibo.follower"]


def test_class_names_must_be_unique_across_channels() -> None:
    raw = inbound_raw()
    classes = raw["inbound"]["weibo"]["classes"]
    classes["order"] = classes.pop("weibo_mention")
    found = _problems(raw)
    assert "already a class of messages" in found["inbound.weibo.classes.order"]


def test_class_names_must_be_unique_between_two_channels() -> None:
    raw = inbound_raw()
    raw["inbound"]["forum"] = copy.deepcopy(raw["inbound"]["weibo"])
    found = _problems(raw)
    assert "already a class of inbound.weibo" in found["inbound.forum.classes.weibo_pm"]


def test_a_channel_cannot_be_called_wechat_or_like_a_class() -> None:
    raw = inbound_raw()
    raw["inbound"]["wechat"] = raw["inbound"].pop("weibo")
    assert "name of the [messages] stream" in _problems(raw)["inbound.wechat"]
    raw = inbound_raw()
    raw["inbound"]["order"] = raw["inbound"].pop("weibo")
    assert "must differ from every message class name" in _problems(raw)["inbound.order"]


def test_a_channels_shares_must_sum_to_1() -> None:
    raw = inbound_raw()
    raw["inbound"]["weibo"]["classes"]["weibo_pm"]["share"] = 0.5
    assert "shares must sum to 1" in _problems(raw)["inbound.weibo.classes"]


def test_skills_may_name_a_class_or_a_channel() -> None:
    sc = scenario_from_dict(_grouped(["order", "keyword", "weibo"]))
    assert sc.service.groups is not None


def test_an_unknown_skill_suggests_the_channel() -> None:
    found = _problems(_grouped(["order", "keyword", "weibbo"]))
    assert re.search(
        r"message class or an inbound channel; did you mean `weibo`",
        found["service.groups.all.skills[2]"],
    )


def test_every_channel_class_must_be_served() -> None:
    found = _problems(_grouped(["order", "keyword", "weibo_pm"]))
    assert "every message class of every channel" in found["service.groups"]


def test_a_phase_may_change_a_channel() -> None:
    raw = inbound_raw(days=2)
    raw["phases"] = [{"date": "2013-04-11", "set": {"inbound.weibo.followers": 0}}]
    sc = scenario_from_dict(raw)
    assert [d.inbound["weibo"].followers for d in resolve_timeline(sc).days] == [200_000, 0]


def test_a_phase_cannot_add_a_channel() -> None:
    raw = inbound_raw(days=2)
    forum = {**raw["inbound"]["weibo"], "classes": {}}
    raw["phases"] = [{"date": "2013-04-11", "set": {"inbound.forum": forum}}]
    with pytest.raises(ScenarioError, match=r"phases\[0\]\.set\.inbound\.forum\.\w+: cannot add"):
        scenario_from_dict(raw)


def test_cli_exits_2_naming_a_duplicate_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = NEWMEDIA.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        text.replace("[inbound.weibo.classes.weibo_mention]", "[inbound.weibo.classes.order]")
    )
    assert main(["run", str(bad), "--out", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "inbound.weibo.classes.order: is already a class of messages" in err
    assert "Traceback" not in err


def test_cli_exits_2_naming_an_unknown_skill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["run", str(NEWMEDIA), "--out", str(tmp_path), "-q"]
    assert main([*args, "--set", 'service.groups.weibo_team.skills=["webo"]']) == 2
    err = capsys.readouterr().err
    assert "service.groups.weibo_team.skills[0]: must be a message class or an inbound" in err
    assert "did you mean `weibo`?" in err
    assert "Traceback" not in err
