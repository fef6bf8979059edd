"""Every row of every output file names its scenario, seed, replication and parameters' hash."""

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.results.provenance import PROVENANCE_COLUMNS

REPO = Path(__file__).parents[2]
FEST = REPO / "scenarios" / "mifan_festival_2013_sized.toml"  # writes every kind of table


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("prov")
    args = ["--seed", "9", "--set", "service.shifts[0].agents=3"]
    run = ["run", str(FEST), "-q", "--replication", "2", "--out", str(folder / "run"), *args]
    assert main(run) == 0
    assert main(["profile", str(FEST), "--out", str(folder / "profile.csv"), *args]) == 0
    return folder


def expected(out: Path, replication: int) -> dict[str, str]:
    """The provenance the files must carry, the hash recomputed from scenario.json."""
    scenario = json.loads((out / "run" / "scenario.json").read_text(encoding="utf-8"))
    canonical = json.dumps(scenario, sort_keys=True)
    return {
        "scenario": "mifan_festival_2013_sized",
        "seed": "9",
        "replication": str(replication),
        "params_hash": hashlib.sha256(canonical.encode()).hexdigest()[:12],
    }


@pytest.mark.parametrize(
    ("name", "replication"),
    [
        ("run/timeseries.csv", 2),
        ("run/daily.csv", 2),
        ("run/surge.csv", 2),
        ("profile.csv", 0),  # the profile is the expectation of replication 0's campaign
    ],
)
def test_every_csv_row_leads_with_the_provenance(out: Path, name: str, replication: int) -> None:
    text = (out / name).read_text(encoding="utf-8")
    header = text.split("\n", 1)[0].split(",")
    assert tuple(header[:4]) == PROVENANCE_COLUMNS
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    want = expected(out, replication)
    assert all({k: row[k] for k in PROVENANCE_COLUMNS} == want for row in rows)


@pytest.mark.parametrize("name", ["summary.json", "manifest.json"])
def test_json_outputs_carry_the_provenance(out: Path, name: str) -> None:
    data = json.loads((out / "run" / name).read_text(encoding="utf-8"))
    assert {k: str(data[k]) for k in PROVENANCE_COLUMNS} == expected(out, 2)
