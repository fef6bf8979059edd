"""`fansim loadtest --ramp` finds a back end's capacity: a loopback stub with 4 slots of 40 ms
serves at most 100 requests/s, and the load report says so within the stated tolerance (low
rates, so that the generator and the stub keep their times on a busy 2-core machine).

A 2 s step at ~100/s draws its count with ~7 % noise, and a window whose queue grows by ~8
messages misses the 95 % of answers a passing window needs; both make the verdict of a step
drawn near the stub's capacity (96-98/s measured at load average 6-8: slots held 40.8-41.8 ms,
not 40) a coin flip. The schedule is seeded, so the drawn counts are fixed: with `RAMP` and
`SEED` the second step of every climb is drawn at 65.5-75.5/s (at most 79 % of the capacity)
and the third at 115/s or more; the climbs end at 168.75/s (the generator keeps its times
there). With `80,1.12,2` and seed 0 the second step was drawn at 96.5/s in two climbs of
three, and one climb in four failed there (capacity 80, below the 85 asserted)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from loadtests.replay.profile import read_profile
from loadtests.replay.ramp import Ramp, RampGuard, parse_ramp
from loadtests.report.summary import ReportOptions, build_report
from sim.cli import main
from tests.loadtests.replay.conftest import write_profile

SLOTS, SERVICE = 4, 0.04
CAPACITY = SLOTS / SERVICE  # 100 requests/s
RAMP, SEED = "50,1.5,2", "9"  # 50 75 112.5 168.75/s; see the module's docstring


def test_the_ramp_finds_the_capacity_of_a_server_with_fixed_slots(
    flat_profile, target: Callable[..., str], tmp_path: Path
) -> None:
    host = target("slots", "--slots", str(SLOTS), "--service", str(SERVICE))
    out = tmp_path / "run"
    # four steps; the guard judges the last (168.75/s) left more than 5 % unanswered
    args = ["loadtest", str(flat_profile(10, {"keyword": 3.0, "order": 1.0})), "--host", host,
            "--out", str(out), "--ramp", RAMP, "--seed", SEED, "--duration", "8"]  # fmt: skip
    assert main(args) == 0
    rep = build_report(out, ReportOptions())
    figures = {k: rep[k] for k in ("capacity_by_climb_per_instance", "capacity_refused",
               "throughput_when_failing_per_instance", "dropped", "ramp")}  # fmt: skip
    assert rep["capacity_found"] and rep["capacity_window_seconds"] == 2.0, figures
    assert rep["ramp"]["stopped_at"] is not None and rep["ramp"]["stopped_at"] <= 8.5
    # the highest sustained step is within one step (x 1.5) below the capacity
    assert CAPACITY / 1.5 <= rep["capacity_per_instance"] <= CAPACITY, figures
    # a window it could not sustain was answered at its capacity
    assert rep["throughput_when_failing_per_instance"] == pytest.approx(CAPACITY, rel=0.08), figures
    assert rep["dropped"] == 0, figures


def test_three_climbs_give_the_capacity_with_an_interval(
    flat_profile, target: Callable[..., str], tmp_path: Path
) -> None:
    host = target("slots", "--slots", str(SLOTS), "--service", str(SERVICE))
    out = tmp_path / "run"
    # three climbs of 10 s: 50 75 112.5 168.75/s, then 2 s at rest
    profile = flat_profile(10, {"keyword": 3.0, "order": 1.0})
    args = ["loadtest", str(profile), "--host", host, "--out", str(out), "--ramp", f"{RAMP},3",
            "--seed", SEED, "--duration", "30"]  # fmt: skip
    assert main(args) == 0
    rep = build_report(out, ReportOptions())
    assert len(rep["capacity_by_climb_per_instance"]) == 3, rep["capacity_refused"]
    assert rep["capacity_found"] and CAPACITY / 1.5 <= rep["capacity_per_instance"] <= CAPACITY
    low, high = rep["capacity_interval_per_instance"]
    assert CAPACITY / 1.5 <= low <= rep["capacity_per_instance"] <= high <= CAPACITY
    # each climb is stopped once it falls behind (its last busy steps are far past capacity)
    stops = rep["ramp"]["stops"]
    assert rep["ramp"]["climbs"] == 3 and len(stops) == 3, stops
    assert [int(t // 10) for t in stops] == [0, 1, 2]


def test_a_ramp_keeps_the_class_mix_and_steps_geometrically(tmp_path: Path) -> None:
    base = read_profile(write_profile(tmp_path / "p.csv", 3, {"keyword": 3.0, "order": 1.0}))
    prof = Ramp(100.0, 2.0, 2).profile(base, 6)
    assert np.allclose(prof.total, [100, 100, 200, 200, 400, 400])
    assert np.allclose(prof.rates[:, 1] / prof.total, 0.25)
    assert parse_ramp("100,2,2") == Ramp(100.0, 2.0, 2)
    with pytest.raises(ValueError, match="whole STEP"):
        parse_ramp("100,2,1.5")
    with pytest.raises(ValueError, match="factor > 1"):
        Ramp(100.0, 1.0, 2)


def test_the_guard_stops_once_a_step_fell_behind() -> None:
    guard = RampGuard(2.0)
    for i in range(100):
        guard.sent(i / 100)  # step 0: 4 of 100 unanswered
        if i >= 4:
            guard.first_answered(i / 100, 2.0)
    for i in range(100):
        guard.sent(2 + i / 100)  # step 1: 5 unanswered
        if i >= 5:
            guard.first_answered(2 + i / 100, 2.4)
    assert not guard.behind(2.4)  # step 0 judged at 2.5 s, step 1 at 4.5 s
    assert not guard.behind(4.4)
    assert guard.behind(4.5) and guard.stopped_at == 4.5


def test_climbs_repeat_the_ramp_with_a_rest_between() -> None:
    assert Ramp(100.0, 2.0, 2, climbs=2).climb_seconds(13) == 6
    assert parse_ramp("100,2,2,3").climbs == 3
    with pytest.raises(ValueError, match="need at least 18 s"):
        Ramp(100.0, 2.0, 2, climbs=3).climb_seconds(17)
    with pytest.raises(ValueError, match="whole STEP and CLIMBS"):
        parse_ramp("100,2,2,1.5")


def test_a_climb_that_fell_behind_skips_to_the_next(tmp_path: Path) -> None:
    base = read_profile(write_profile(tmp_path / "p.csv", 3, {"keyword": 1.0}))
    prof = Ramp(100.0, 2.0, 2, climbs=2).profile(base, 13)
    assert np.allclose(prof.total, [100, 100, 200, 200, 0, 0] * 2 + [0])
    guard = RampGuard(2.0, 6.0, 2)
    for i in range(100):
        guard.sent(i / 100)  # step 0: nothing answered
    assert not guard.behind(2.5)  # the first climb stops, the second is still to come
    assert guard.skip(3.0) and not guard.skip(6.0) and guard.stopped_at is None
    for i in range(100):
        guard.sent(6 + i / 100)  # the second climb's first step: nothing answered either
    assert guard.behind(8.5) and guard.stopped_at == 8.5 and guard.stops == [2.5, 8.5]


def test_the_verdict_counts_answers_by_their_time_not_by_when_it_is_asked() -> None:
    """A climb's last step is followed by the rest, with no arrival to ask the guard then."""
    guard = RampGuard(2.0, 6.0, 2)
    for i in range(100):
        guard.sent(2 + i / 100)  # step 1, the first climb's last busy one
        guard.first_answered(2 + i / 100, 4.4 if i < 90 else 5.0)  # 10 of 100 after 4.5 s
    assert not guard.behind(5.9)  # first asked long after the queue drained, at 5.9 s
    assert guard.stops == [4.5] and guard.stopped_at is None
    assert not guard.skip(6.0)  # the second climb goes ahead
    for i in range(100):
        guard.sent(8 + i / 100)  # the second climb's last busy step: nobody asks after it
        guard.first_answered(8 + i / 100, 10.4 if i < 94 else 10.6)  # 6 late
    guard.settle()  # the replay ended: it is judged now, by the same rule
    assert guard.stops == [4.5, 10.5] and guard.stopped_at == 10.5
    guard.settle()
    assert guard.stops == [4.5, 10.5]  # judged once
