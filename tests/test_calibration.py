"""The calibrated scenarios reproduce the field facts (a few replications here; docs/calibration.md
has the full table from `fansim calibrate`)."""

from pathlib import Path

import pytest

from sim.experiments.calibration import TARGETS, calibrate, calibration_markdown

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    return calibrate(ROOT / "scenarios", replications=3, seed=2013)


def test_every_fact_within_tolerance(results) -> None:  # type: ignore[no-untyped-def]
    misses = [
        f"{r.target.measure_name} ({r.target.scenario}): {r.mean:{r.target.fmt}} not in "
        f"{r.target.low:{r.target.fmt}}..{r.target.high:{r.target.fmt}}"
        for r in results
        if not r.within
    ]
    assert not misses, misses


def test_table_lists_every_fact_with_its_interval(results) -> None:  # type: ignore[no-untyped-def]
    text = calibration_markdown(results, 3, 2013)
    for t in TARGETS:
        assert t.fact in text
    assert f"**{len(TARGETS)} of {len(TARGETS)} within tolerance.**" in text


def test_committed_table_covers_every_fact() -> None:
    committed = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    missing = [t.fact for t in TARGETS if t.fact not in committed]
    assert not missing, f"run `fansim calibrate` to refresh docs/calibration.md: {missing}"
