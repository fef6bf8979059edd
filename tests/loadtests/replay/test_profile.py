from __future__ import annotations

from pathlib import Path

import pytest

from loadtests.replay.profile import read_profile
from sim.cli import main
from sim.errors import ScenarioError
from tests.loadtests.replay.conftest import write_profile


def test_reads_what_fansim_profile_writes(tmp_path: Path) -> None:
    out = tmp_path / "p.csv"
    assert main(["profile", "scenarios/mifan_festival_2013.toml", "--out", str(out)]) == 0
    p = read_profile(out)
    assert p.scenario == "mifan_festival_2013" and "quiz" in p.classes
    assert p.rates.shape == (p.seconds, len(p.classes))
    assert p.total.max() > 1000  # the opening spike of the quiz


def test_bad_values_are_named_by_row_and_column(tmp_path: Path) -> None:
    path = write_profile(tmp_path / "p.csv", 3, {"keyword": 1.0})
    text = path.read_text().splitlines()
    text[2] = text[2].rsplit(",", 1)[0] + ",-4"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(
        ScenarioError,
        match=r"profile\[1\]\.rate_keyword: must be a finite number >= 0 \(got '-4'\)",
    ):
        read_profile(path)


def test_missing_file_and_columns(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="profile: file not found"):
        read_profile(tmp_path / "nope.csv")
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ScenarioError, match=r"profile\.seed: column missing"):
        read_profile(tmp_path / "bad.csv")
