import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from sim import __version__
from sim.cli.main import main
from sim.scenario.load import load_scenario
from sim.scenario.reference import scenario_reference

REPO = Path(__file__).parents[2]
GOOD = REPO / "scenarios" / "xiaomi_service_2013.toml"
BAD = Path(__file__).parents[1] / "data" / "several_mistakes.toml"
REFERENCE = REPO / "docs" / "scenario-reference.md"
OUTPUTS = ("summary.json", "timeseries.csv", "scenario.json")
SUMMARY_KEYS = {
    "scenario",
    "seed",
    "version",
    "messages_received",
    "messages_auto_replied",
    "messages_to_humans",
    "messages_answered",
    "messages_abandoned",
    "backlog_final",
    "backlog_max",
    "response_p50_minutes",
    "response_p90_minutes",
    "sla_first_response_met",
    "agent_utilization",
}


def run(out: Path, *args: str, scenario: Path = GOOD) -> int:
    return main(["run", str(scenario), "--out", str(out), "-q", *args])


def summary(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return data


def timeseries(out: Path) -> list[dict[str, str]]:
    text = (out / "timeseries.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def seed7(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One run of the good scenario with seed 7, shared by the read-only checks."""
    out = tmp_path_factory.mktemp("seed7")
    assert run(out, "--seed", "7") == 0
    return out


# --- run -------------------------------------------------------------------------------------


def test_run_writes_the_three_files(seed7: Path) -> None:
    for name in OUTPUTS:
        assert (seed7 / name).is_file(), name
        assert (seed7 / name).stat().st_size > 0, name


def test_summary_has_the_documented_keys(seed7: Path) -> None:
    data = summary(seed7)
    assert set(data) >= SUMMARY_KEYS
    assert data["scenario"] == "xiaomi_service_2013"
    assert data["seed"] == 7
    assert data["version"] == __version__


def test_summary_counts_add_up(seed7: Path) -> None:
    data = summary(seed7)
    assert data["messages_received"] > 0
    assert data["messages_received"] == (data["messages_auto_replied"] + data["messages_to_humans"])
    assert data["messages_to_humans"] == (
        data["messages_answered"] + data["messages_abandoned"] + data["backlog_final"]
    )
    assert 0.0 <= data["sla_first_response_met"] <= 1.0
    assert 0.0 <= data["agent_utilization"] <= 1.0


def test_timeseries_has_one_row_per_hour(seed7: Path) -> None:
    rows = timeseries(seed7)
    assert len(rows) == 24
    assert rows[0]["hour"] == "2013-04-10T00:00"
    assert rows[-1]["hour"] == "2013-04-10T23:00"


def test_timeseries_rows_carry_scenario_seed_and_params_hash(seed7: Path) -> None:
    rows = timeseries(seed7)
    assert {"scenario", "seed", "params_hash"} <= set(rows[0])
    params_hash = summary(seed7)["params_hash"]
    for row in rows:
        assert row["scenario"] == "xiaomi_service_2013"
        assert row["seed"] == "7"
        assert row["params_hash"] == params_hash


def test_timeseries_sums_to_summary(seed7: Path) -> None:
    rows = timeseries(seed7)
    data = summary(seed7)
    for key in ("messages_received", "messages_auto_replied", "messages_to_humans"):
        assert sum(int(r[key]) for r in rows) == data[key], key


def test_scenario_json_is_the_resolved_scenario(seed7: Path) -> None:
    resolved = json.loads((seed7 / "scenario.json").read_text(encoding="utf-8"))
    assert resolved == load_scenario(GOOD).model_dump(mode="json")


def test_run_prints_a_table_unless_quiet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(GOOD), "--out", str(tmp_path / "loud"), "--seed", "3"]) == 0
    loud = capsys.readouterr().out
    assert "messages_received" in loud
    assert "summary.json" in loud
    assert run(tmp_path / "quiet", "--seed", "3") == 0
    assert capsys.readouterr().out == ""


def test_same_seed_gives_byte_identical_files(tmp_path: Path, seed7: Path) -> None:
    assert run(tmp_path, "--seed", "7") == 0
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (seed7 / name).read_bytes(), name


def test_different_seed_gives_different_summary(tmp_path: Path, seed7: Path) -> None:
    assert run(tmp_path, "--seed", "8") == 0
    assert (tmp_path / "summary.json").read_bytes() != (seed7 / "summary.json").read_bytes()
    other = summary(tmp_path)
    assert other["seed"] == 8
    assert other["messages_received"] != summary(seed7)["messages_received"]


def test_default_seed_comes_from_the_scenario(tmp_path: Path) -> None:
    assert run(tmp_path) == 0
    assert summary(tmp_path)["seed"] == load_scenario(GOOD).scenario.seed


@pytest.mark.parametrize("seed", ["-1", "abc", "1.5"])
def test_bad_seed_exits_2(seed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(tmp_path, "--seed", seed) == 2
    err = capsys.readouterr().err
    assert "--seed" in err
    assert "Traceback" not in err
    assert not (tmp_path / "summary.json").exists()


def test_bad_scenario_exits_2_with_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert run(out, scenario=BAD) == 2
    captured = capsys.readouterr()
    assert f"{BAD}: 4 problems" in captured.err
    assert "messages.classes.order.share: must be less than or equal to 1 (got 1.5)" in (
        captured.err
    )
    assert "did you mean `seed`?" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not out.exists()


def test_missing_scenario_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "missing.toml"
    assert run(tmp_path / "out", scenario=missing) == 2
    err = capsys.readouterr().err
    assert f"file not found: {missing}" in err
    assert "Traceback" not in err


def test_set_changes_the_output(tmp_path: Path) -> None:
    shifts = load_scenario(GOOD).service.shifts
    assert shifts
    overrides = [f"--set=service.shifts[{i}].agents=0" for i in range(len(shifts))]
    assert run(tmp_path, "--seed", "7", *overrides) == 0
    data = summary(tmp_path)
    assert data["messages_to_humans"] > 0
    assert data["messages_answered"] == 0
    resolved = json.loads((tmp_path / "scenario.json").read_text(encoding="utf-8"))
    assert [s["agents"] for s in resolved["service"]["shifts"]] == [0] * len(shifts)


def test_set_changes_the_params_hash(tmp_path: Path, seed7: Path) -> None:
    assert run(tmp_path, "--seed", "7", "--set", "service.patience_minutes.mean=45") == 0
    assert summary(tmp_path)["params_hash"] != summary(seed7)["params_hash"]
    assert timeseries(tmp_path)[0]["params_hash"] == summary(tmp_path)["params_hash"]


def test_set_end_date_gives_24_rows_per_day(tmp_path: Path) -> None:
    assert run(tmp_path, "--set", "scenario.end=2013-04-11") == 0
    rows = timeseries(tmp_path)
    assert len(rows) == 48
    assert rows[-1]["hour"] == "2013-04-11T23:00"
    assert summary(tmp_path)["days"] == 2


def test_bad_set_exits_2_naming_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, "--set", "service.shifts[0].agents=-3") == 2
    err = capsys.readouterr().err
    assert "service.shifts[0].agents: must be greater than or equal to 0 (got -3)" in err
    assert "Traceback" not in err
    assert not (tmp_path / "summary.json").exists()


# --- validate --------------------------------------------------------------------------------


def test_validate_good_file_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(GOOD)]) == 0
    assert f"{GOOD}: ok" in capsys.readouterr().out


def test_validate_good_and_bad_exits_2_naming_the_bad_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["validate", str(GOOD), str(BAD)]) == 2
    captured = capsys.readouterr()
    assert f"{GOOD}: ok" in captured.out
    assert str(BAD) in captured.err
    assert str(GOOD) not in captured.err
    assert "fans.initial" in captured.err
    assert "Traceback" not in captured.err


def test_validate_reports_every_bad_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.toml"
    assert main(["validate", str(BAD), str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(BAD) in err
    assert str(missing) in err


def test_validate_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate"]) == 2
    assert "usage" in capsys.readouterr().err


# --- docs and misc ---------------------------------------------------------------------------


def test_docs_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["docs"]) == 0
    out = capsys.readouterr().out
    assert out == scenario_reference()
    assert out.startswith("# Scenario reference")
    for field in ("agents_by_hour", "interval_minutes", "handle_time_minutes", "`lognormal`"):
        assert field in out


def test_docs_writes_the_reference(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "reference.md"
    assert main(["docs", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == scenario_reference()


def test_committed_reference_is_up_to_date() -> None:
    assert REFERENCE.is_file(), f"{REFERENCE} is missing; run `make docs`"
    committed = REFERENCE.read_text(encoding="utf-8")
    assert committed == scenario_reference(), (
        f"{REFERENCE.relative_to(REPO)} is out of date with sim/scenario/; run `make docs`"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out


@pytest.mark.parametrize("argv", [[], ["frobnicate"]])
def test_bad_command_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage" in capsys.readouterr().err
