"""The calibrated scenarios reproduce the field facts (a few replications here; docs/calibration.md
has the full table from `fansim calibrate`)."""

import pickle
from pathlib import Path

import pytest

from sim.experiments.calibration import (
    TARGETS,
    Measure,
    Target,
    TargetResult,
    calibrate,
    calibration_markdown,
)
from sim.model.engine import ModelResult, RunSpec, run_one
from sim.results.summary import summarize
from sim.scenario.load import load_scenario

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def results():  # type: ignore[no-untyped-def]
    return calibrate(ROOT / "scenarios", replications=3, seed=2013)


def test_every_fact_within_tolerance(results) -> None:  # type: ignore[no-untyped-def]
    misses = [
        f"{r.target.measure_name} ({r.target.scenario}): {r.mean:{r.target.fmt}} not in "
        f"{r.target.low:{r.target.fmt}}..{r.target.high:{r.target.fmt}}"
        for r in results
        if not r.within and r.target.status != "open"
    ]
    assert not misses, misses


def test_table_lists_every_fact_with_its_interval(results) -> None:  # type: ignore[no-untyped-def]
    text = calibration_markdown(results, 3, 2013)
    for t in TARGETS:
        assert t.fact in text
        assert t.note in text  # what the status does not say is said
    passed = sum(r.within for r in results)
    assert f"**{passed} of {len(TARGETS)} within tolerance.**" in text
    assert passed >= sum(t.status != "open" for t in TARGETS)


def test_committed_table_covers_every_fact() -> None:
    committed = (ROOT / "docs" / "calibration.md").read_text(encoding="utf-8")
    missing = [t.fact for t in TARGETS if t.fact not in committed or t.note not in committed]
    assert not missing, f"run `fansim calibrate` to refresh docs/calibration.md: {missing}"


# --- calibrate() with targets of one's own, and with worker processes ------------------------

DAY = "xiaomi_service_2013.toml"


def received(r: ModelResult) -> float:  # module level: picklable for worker processes
    return float(r.received.sum())


def answered_share(r: ModelResult) -> float:
    s = summarize(r)
    return float(s["messages_answered"] / s["messages_to_humans"])


CUSTOM = (
    Target("a day's messages", "test", DAY, "messages received", received, 0, 1e9),
    Target("most are answered", "test", DAY, "answered share", answered_share, 0.5, 1.0, ".3f"),
)


def direct(measure: Measure, replication: int) -> float:
    return measure(run_one(RunSpec(load_scenario(ROOT / "scenarios" / DAY), 11, replication)))


@pytest.fixture(scope="module")
def serial() -> list[TargetResult]:
    calls: list[tuple[int, int]] = []
    out = calibrate(
        ROOT / "scenarios", 3, 11, progress=lambda d, t: calls.append((d, t)), targets=CUSTOM
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]  # both targets share each of the 3 runs
    return out


def test_custom_targets_are_measured_on_their_scenario(serial: list[TargetResult]) -> None:
    assert [r.target for r in serial] == list(CUSTOM)
    for r in serial:
        assert r.values == tuple(direct(r.target.measure, k) for k in range(3))
    assert serial[0].mean > 1000 and serial[0].within


def test_custom_target_may_be_a_lambda_and_name_an_absolute_path() -> None:
    path = str(ROOT / "scenarios" / DAY)
    target = Target("fans", "test", path, "fans", lambda r: float(r.fans[0]), 0, 1e9)
    (result,) = calibrate(Path("/nonexistent"), 1, 11, targets=[target])
    assert result.values == (direct(target.measure, 0),)


def test_workers_report_progress_per_run_and_give_the_serial_values(
    serial: list[TargetResult],
) -> None:
    calls: list[tuple[int, int]] = []
    pooled = calibrate(
        ROOT / "scenarios",
        3,
        11,
        workers=2,
        progress=lambda d, t: calls.append((d, t)),
        targets=CUSTOM,
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert [r.values for r in pooled] == [r.values for r in serial]


def test_workers_need_picklable_measures() -> None:
    target = Target("fans", "test", DAY, "fans", lambda r: 0.0, 0, 1)
    with pytest.raises(ValueError, match="'fans': its measure cannot be sent to a worker"):
        calibrate(ROOT / "scenarios", 1, 11, workers=2, targets=[target])


def test_builtin_targets_pickle() -> None:
    assert pickle.loads(pickle.dumps(TARGETS)) == TARGETS
