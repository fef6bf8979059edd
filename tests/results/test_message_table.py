import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from sim.cli.main import main
from sim.model.engine import RunSpec, run_one
from sim.model.histogram import ERROR_MINUTES
from sim.results.message_table import messages_csv
from sim.scenario.load import load_scenario
from tests.output_diff import differences

REPO = Path(__file__).parents[2]
SEASON = REPO / "scenarios" / "xiaomi_2013q1.toml"  # 99 days: the queue compacts and forgets


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("records")
    plain, records = base / "plain", base / "records"
    assert main(["run", str(SEASON), "--seed", "7", "--out", str(plain), "-q"]) == 0
    args = ["run", str(SEASON), "--seed", "7", "--out", str(records), "-q", "--records"]
    assert main(args) == 0
    return plain, records


def test_records_change_no_other_output(runs: tuple[Path, Path]) -> None:
    plain, records = runs
    assert not (plain / "messages.csv").exists()
    (only,) = differences(plain, records)
    assert (only.file, only.other) == ("messages.csv", "in one folder only")


def test_the_messages_give_the_summary_s_counts_and_percentiles(runs: tuple[Path, Path]) -> None:
    _, records = runs
    summary = json.loads((records / "summary.json").read_text())
    rows = list(csv.DictReader(io.StringIO((records / "messages.csv").read_text())))
    assert {r["seed"] for r in rows} == {"7"}
    outcome = [r["outcome"] for r in rows]
    assert outcome.count("answered") == summary["messages_answered"]
    assert outcome.count("abandoned") == summary["messages_abandoned"]
    assert outcome.count("queued") == summary["backlog_final"]
    wait = np.asarray(
        [
            float(r["start_minutes"]) - float(r["arrival_minutes"])
            for r in rows
            if r["start_minutes"]
        ]
    )
    rounding = 1e-6  # the file's times have 10 significant digits
    for p, key in ((0.5, "response_p50_minutes"), (0.9, "response_p90_minutes")):
        assert abs(summary[key] - float(np.quantile(wait, p))) <= ERROR_MINUTES + rounding


def test_records_are_for_one_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["run", str(SEASON), "--out", str(tmp_path), "--records", "--replications", "2"]
    assert main(args) == 2
    assert "--records" in capsys.readouterr().err


def test_a_run_without_records_has_no_messages_to_write() -> None:
    result = run_one(RunSpec(load_scenario(REPO / "scenarios" / "xiaomi_service_2013.toml"), 1))
    with pytest.raises(ValueError, match="kept no per-message records"):
        messages_csv(result)
