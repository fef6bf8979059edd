"""`fansim run --replications`, `fansim compare`, `fansim sweep` through `main([...])`."""

import csv
from pathlib import Path

import pytest

from sim.cli.main import main

ROOT = Path(__file__).parents[2]
DAY = str(ROOT / "scenarios" / "xiaomi_service_2013.toml")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_run_replications_writes_rows_and_intervals(tmp_path: Path) -> None:
    args = ["run", DAY, "--replications", "3", "--workers", "1", "--out", str(tmp_path), "-q"]
    assert main(args) == 0
    rows = read(tmp_path / "replications.csv")
    assert [r["replication"] for r in rows] == ["0", "1", "2"]
    summary = {r["metric"]: r for r in read(tmp_path / "replications_summary.csv")}
    assert summary["backlog_max"]["n"] == "3"
    assert float(summary["backlog_max"]["ci_low"]) <= float(summary["backlog_max"]["mean"])
    assert main(args) == 0  # a rerun resumes: nothing left to compute, the same rows
    assert read(tmp_path / "replications.csv") == rows


def test_compare_writes_comparison_and_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["compare", DAY, DAY, "--replications", "2", "--workers", "1", "--out", str(tmp_path)]
    assert main([*args, "--rank", "backlog_max:min", "--metrics", "backlog_max"]) == 0
    table = read(tmp_path / "comparison.csv")
    assert [r["variant"] for r in table] == ["xiaomi_service_2013", "xiaomi_service_2013#2"]
    assert table[1]["diff_mean"] == "0.0"
    assert len(read(tmp_path / "compare_runs.csv")) == 4
    assert "P(best)" in capsys.readouterr().out


def test_sweep_writes_the_tidy_table(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    grid = ["--grid", "service.shifts[0].agents=2,3", "--grid", "service.back_end=true,false"]
    assert main(["sweep", DAY, *grid, "--workers", "1", "--out", str(out)]) == 0
    rows = read(out)
    assert [(r["service.shifts[0].agents"], r["service.back_end"]) for r in rows] == [
        ("2", "True"),
        ("2", "False"),
        ("3", "True"),
        ("3", "False"),
    ]
    assert list(rows[0])[:6] == [
        "run_id",
        "scenario",
        "replication",
        "seed",
        "params_hash",
        "version",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["sweep", DAY, "--grid", "service.shifts[0].agents=3,-1"],
            "must be greater than or equal to 0",
        ),
        (["sweep", DAY, "--grid", "service.shifts[0].agents"], "--grid: must look like path=v1,v2"),
        (["run", DAY, "--halfwidth", "backlog_max=-1"], "--halfwidth: must look like METRIC=VALUE"),
        (["compare", DAY, DAY, "--rank", "fans_final:up"], "must look like METRIC, METRIC:max"),
        (["compare", DAY, DAY, "--replications", "1"], "must be >= 2"),
    ],
)
def test_bad_input_exits_2_with_the_rule(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*args, "--out", str(tmp_path / "x.csv")]) == 2
    assert message in capsys.readouterr().err


def test_ctrl_c_keeps_the_finished_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sim.experiments import runner

    calls = {"n": 0}
    real = runner.run_row

    def interrupt_after_two(job):  # type: ignore[no-untyped-def]
        if calls["n"] == 2:
            raise KeyboardInterrupt
        calls["n"] += 1
        return real(job)

    monkeypatch.setattr(runner, "run_row", interrupt_after_two)
    out = tmp_path / "sweep.csv"
    args = ["sweep", DAY, "--grid", "service.shifts[0].agents=2,3", "--replications", "2"]
    assert main([*args, "--workers", "1", "--out", str(out)]) == 130
    assert len(read(out)) == 2
    assert "run the same command to resume" in " ".join(capsys.readouterr().out.split())
