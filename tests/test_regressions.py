"""Bugs found in review of the first version; each test failed before its fix."""

from pathlib import Path

import pytest

from sim.cli.main import main
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario

XIAOMI = Path(__file__).parents[1] / "scenarios" / "xiaomi_service_2013.toml"


def problems(*overrides: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(XIAOMI, list(overrides))
    return [str(p) for p in info.value.problems]


def test_value_shown_once() -> None:
    (text,) = problems("model.interval_minutes=7")
    assert text.count("(got 7)") == 1


def test_unknown_indexed_override_path_gets_did_you_mean() -> None:
    (text,) = problems("servce.shifts[0].agents=9")
    assert "did you mean `service`" in text
    (text,) = problems("service.shift[0].agents=9")
    assert "did you mean `shifts`" in text


def test_one_bad_item_in_a_24_list_is_one_problem() -> None:
    assert problems("messages.hourly_profile[3]=-1") == [
        "messages.hourly_profile[3]: must be greater than or equal to 0 (got -1)"
    ]


def test_field_and_cross_field_problems_together() -> None:
    found = problems("fans.initial=-1", "messages.classes.order.share=0.5")
    assert any(t.startswith("fans.initial") for t in found)
    assert any(t.startswith("messages.classes:") and "sum to 1" in t for t in found)


def test_bad_override_and_bad_field_reported_together() -> None:
    found = problems("servce.x=1", "fans.initial=-1")
    assert len(found) == 2


def test_negative_replication_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(XIAOMI), "--replication", "-1"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_unwritable_out_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["run", str(XIAOMI), "-q", "--out", str(blocker / "sub")]) == 2
    assert "--out: " + str(blocker) + " is a file, not a folder" in capsys.readouterr().err
