"""A `--set` or `--grid` value a phase also sets is an error naming the phase, never a no-op."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sim.cli import main
from sim.errors import ScenarioError
from sim.scenario.load import load_scenario
from sim.scenario.overrides import apply_overrides
from sim.scenario.timeline import resolve_timeline

PHASED = """
[scenario]
name = "phased"
start = 2021-03-01
end = 2021-03-04
[fans]
initial = 2000
[messages]
per_active_fan_per_day = 0.1
[messages.classes.question]
share = 1.0
routing = "human"
handle_time_minutes = { dist = "exponential", mean = 3.0 }
[service]
shifts = [{ name = "day", start = "09:00", end = "18:00", agents = 2 }]
[[phases]]
date = 2021-03-01
note = "the team from the first day"
[phases.set]
"service.shifts" = [{ name = "day", start = "09:00", end = "18:00", agents = 4 }]
"""


@pytest.fixture
def phased(tmp_path: Path) -> Path:
    path = tmp_path / "phased.toml"
    path.write_text(PHASED)
    return path


def _agents(path: Path, *overrides: str) -> list[int]:
    tl = resolve_timeline(load_scenario(path, list(overrides)))
    return [sc.service.shifts[0].agents for sc in tl.days]  # type: ignore[index]


def test_a_value_a_phase_sets_is_an_error_naming_the_phase(phased: Path) -> None:
    with pytest.raises(
        ScenarioError, match=r"phases\[0\] sets `service.shifts` too \(from 2021-03-01\)"
    ) as info:
        load_scenario(phased, ["service.shifts[0].agents=9"])
    assert "--set 'phases[0].set.service.shifts=...'" in str(info.value)


def test_set_reaches_into_a_phase(phased: Path) -> None:
    assert _agents(phased) == [4, 4, 4, 4]
    assert _agents(phased, "phases[0].set.service.shifts[0].agents=7") == [7, 7, 7, 7]
    # given for both, the base and the phase: accepted
    assert _agents(
        phased, "service.shifts[0].agents=9", "phases[0].set.service.shifts[0].agents=9"
    ) == [9, 9, 9, 9]


def test_a_missing_phase_is_named() -> None:
    raw = {"phases": []}
    (problem,) = apply_overrides(raw, [("phases[2].set.service.back_end", True)])
    assert (
        problem.path == "phases[2].set.service.back_end" and "has 0 [[phases]]" in problem.message
    )


def test_a_sweep_of_a_field_a_phase_sets_exits_2_naming_the_phase(
    phased: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep.csv"
    grid = "service.shifts[0].agents=2,6"
    assert main(["sweep", str(phased), "--grid", grid, "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "service.shifts[0].agents: phases[0] sets `service.shifts` too" in err
    assert not out.exists()
    # through the phase, the sweep changes what it says
    grid = "phases[0].set.service.shifts[0].agents=2,6"
    assert main(["sweep", str(phased), "--grid", grid, "--out", str(out), "--workers", "1"]) == 0
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len({r["agent_hours_rostered"] for r in rows}) == 2  # 2 vs 6 agents, 9 h a day
