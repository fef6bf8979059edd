"""`fansim staff` and `fansim size-servers` end to end: files, provenance, bad input."""

import csv
import io
import json
from pathlib import Path

import pytest

from sim.cli.main import main

REPO = Path(__file__).parents[2]
SERVICE = REPO / "scenarios" / "xiaomi_service_2013.toml"
FESTIVAL = REPO / "scenarios" / "mifan_festival_2013.toml"
REPORT = Path(__file__).parents[1] / "data" / "loadreport"
PROVENANCE = ("scenario", "seed", "replications", "params_hash")


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _staff(out: Path, *extra: str) -> int:
    return main(
        [
            "staff", str(SERVICE), "--target", "80% within 15 min", "--replications", "2",
            "--shrinkage", "30%", "--max-occupancy", "85%", "--max-abandon", "5%",
            "--open", "08:00-24:00", "--out", str(out), "-q", *extra,
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("staff")
    assert _staff(out) == 0
    return out


def test_staff_writes_both_tables_with_provenance(staffed: Path) -> None:
    staffing = _rows(staffed / "staffing.csv")
    roster = _rows(staffed / "roster.csv")
    assert len(staffing) == 24
    for row in staffing + roster:
        assert all(row[k] for k in PROVENANCE)
        assert row["scenario"] == "xiaomi_service_2013" and row["replications"] == "2"
    for col in ("offered_load", "erlang_c", "erlang_a", "simulation", "rostered"):
        assert col in staffing[0]
    for row in staffing:
        assert int(row["rostered"]) >= int(row["required"])
        if row["open"] == "True":
            assert int(row["required"]) >= int(row["simulation"]) / 0.7 - 1e-9
            assert row["roster_met"] == "True"
    assert sum(int(r["agents"]) for r in roster) > 0


def test_staff_is_byte_identical_for_the_same_seed(staffed: Path, tmp_path: Path) -> None:
    assert _staff(tmp_path) == 0
    for name in ("staffing.csv", "roster.csv"):
        assert (tmp_path / name).read_bytes() == (staffed / name).read_bytes()


def test_shift_patterns_and_cost_come_from_the_scenario(tmp_path: Path) -> None:
    patterns = (
        'staffing.shift_patterns=[{name="day9", length_hours=9, break_after_hours=4}, '
        '{name="short4", length_hours=4}]'
    )
    assert _staff(tmp_path, "--set", patterns, "--set", "staffing.agent_hourly_cost=25") == 0
    roster = _rows(tmp_path / "roster.csv")
    assert {r["shift"] for r in roster} <= {"day9", "short4"}
    assert all(r["break_start"] for r in roster if r["shift"] == "day9")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "80 within 15 min"], 'argument --target: must read like "80% within 15 min"'),
        (["--target", "80% within 15 min", "--shrinkage", "30"], 'did you mean "30%"'),
        (["--target", "80% within 15 min", "--interval", "7"], "argument --interval: must divide"),
        (["--target", "80% within 15 min", "--replications", "0"], "must be a whole number >= 1"),
        ([], "the following arguments are required: --target"),
    ],
)
def test_staff_bad_input_exits_2_naming_the_option(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["staff", str(SERVICE), *args]) == 2
    assert message in capsys.readouterr().err


def test_off_grid_shift_pattern_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = "staffing.shift_patterns=[{name='x', length_hours=7.5}]"
    assert _staff(tmp_path, "--set", bad) == 2
    assert "staffing.shift_patterns[0].length_hours: must lie on the 60-minute" in (
        capsys.readouterr().err
    )


def test_size_servers_from_a_small_festival(tmp_path: Path) -> None:
    args = ["size-servers", str(FESTIVAL), "--from-loadreport", str(REPORT), "--set",
            "fans.initial=20000", "--out", str(tmp_path), "-q"]  # fmt: skip
    assert main(args) == 0
    rows = _rows(tmp_path / "sizing.csv")
    assert [r["variant"] for r in rows] == ["sync", "dedup", "async"]
    for r in rows:
        assert r["source"] == "mifan_festival_2013" and r["params_hash"] and r["seed"] == "1"
        assert float(r["failed_share"]) <= 0.001 and float(r["p99_seconds"]) <= 5.0
        assert int(r["instances"]) >= 1


def test_size_servers_warns_on_a_small_service_time_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads((REPORT / "loadreport.json").read_text(encoding="utf-8"))
    data["service_time_seconds"]["values"] = data["service_time_seconds"]["values"][:5]
    small = tmp_path / "small"
    small.mkdir()
    (small / "loadreport.json").write_text(json.dumps(data), encoding="utf-8")
    args = ["size-servers", str(FESTIVAL), "--from-loadreport", str(small), "--set",
            "fans.initial=20000", "--out", str(tmp_path / "out"), "-q"]  # fmt: skip
    assert main(args) == 0
    assert "sample holds 5 values (< 200)" in capsys.readouterr().err


def test_size_servers_from_a_profile_with_capacity(tmp_path: Path) -> None:
    profile = tmp_path / "profile.csv"
    lines = ["scenario,seed,params_hash,second,t_seconds,rate_per_second"]
    lines += [f"p,1,h,2013-04-09T14:00:{s:02d},{s},{300 if s < 5 else 60}" for s in range(60)]
    profile.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    args = ["size-servers", str(profile), "--capacity", "100", "--workers", "4,8", "--p99", "2s",
            "--out", str(out), "-q"]  # fmt: skip
    assert main(args) == 0
    rows = _rows(out / "sizing.csv")
    assert [(r["workers_per_instance"], r["variant"]) for r in rows][:3] == [
        ("4", "sync"), ("4", "dedup"), ("4", "async"),
    ]  # fmt: skip
    assert all(r["service_times"] == "capacity 100/s" for r in rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--capacity", "0"], "argument --capacity: must be > 0 messages/s (got '0')"),
        (["--capacity", "10", "--from-loadreport", "x"], "not allowed with argument"),
        (["--from-loadreport", "nowhere"], "--from-loadreport: must be a folder holding"),
        (["--capacity", "10", "--max-failed", "1.5"], 'did you mean "1.5%"'),
        (["--capacity", "10", "--p99", "soon"], 'argument --p99: must be a duration like "5s"'),
        (["--capacity", "10", "--workers", "8,x"], 'must be whole numbers like "16"'),
    ],
)
def test_size_servers_bad_input_exits_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["size-servers", str(FESTIVAL), *args]) == 2
    assert message in capsys.readouterr().err


def test_size_servers_needs_a_campaign(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["size-servers", str(SERVICE), "--capacity", "100", "-q"]) == 2
    assert "campaigns: the scenario has no campaign window" in capsys.readouterr().err
