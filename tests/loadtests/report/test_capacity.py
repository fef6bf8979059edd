"""Capacity from the server's own latency: one figure per climb, their median and range, and a
refusal when the climbs disagree (synthetic runs: every message answered in 8 ms, or none)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from loadtests.replay.platforms import Message
from loadtests.replay.records import Recorder, read_run
from loadtests.report.capacity import capacity
from loadtests.wechat.delivery import FAILED, IN_TIME, Attempt, Delivered


def ramp(factor: float, climb: float) -> dict[str, Any]:
    return {"start": 100.0, "factor": factor, "step": 2, "climbs": 2, "climb_seconds": climb}


def run(tmp_path: Path, spec: dict[str, Any], hung: set[int], latency: float = 0.008) -> Path:
    """The ramp's nominal rates, evenly spaced; windows in `hung` time out, the rest take 8 ms."""
    rec, i = Recorder(0), 0
    steps = int(spec["climb_seconds"] // spec["step"])
    for w in range(2 * steps):
        k = w % steps
        rate = 0.0 if k == steps - 1 else spec["start"] * spec["factor"] ** k
        n = round(rate * spec["step"])
        for at in w * spec["step"] + np.arange(n) / max(rate, 1.0):
            i += 1
            m = Message(i, f"fan{i}", "hi", False, 0)
            if w in hung:
                result = Delivered((Attempt(1, at, 5.0, 0, False, at, "timeout"),), FAILED)
            else:
                result = Delivered((Attempt(1, at, latency, 200, True, at),), IN_TIME)
            rec.delivered(m, "k", float(at), result)
    rec.write(tmp_path, {"plan": {}})
    return tmp_path


def test_two_climbs_give_their_median_and_range(tmp_path: Path) -> None:
    spec = ramp(2.0, 6)  # per climb: 100/s, 200/s, rest; the second climb fails at 200/s
    cap = capacity(read_run(run(tmp_path, spec, hung={4})), 5.0, 2.0, 1, spec)
    assert cap["capacity_by_climb_per_instance"] == [200.0, 100.0]
    assert cap["capacity_per_instance"] == 150.0
    assert cap["capacity_interval_per_instance"] == [100.0, 200.0]
    assert cap["capacity_interval_source"] == "range of 2 climbs"
    # the first climb never failed: its figure is only a lower bound
    assert not cap["capacity_found"] and cap["capacity_refused"] is None


def test_a_slow_back_end_that_keeps_up_passes_every_window(tmp_path: Path) -> None:
    """Answers 0.3 s after each message: a window's last 0.3 s are answered after it ends."""
    spec = ramp(2.0, 6)
    cap = capacity(read_run(run(tmp_path, spec, hung=set(), latency=0.3)), 5.0, 2.0, 1, spec)
    assert cap["capacity_by_climb_per_instance"] == [200.0, 200.0]
    assert cap["capacity_refused"] is None and not cap["capacity_found"]  # a lower bound


def test_climbs_more_than_two_steps_apart_are_refused(tmp_path: Path) -> None:
    spec = ramp(1.1, 10)  # 100, 110, 121, 133.1/s, rest; the second climb fails at 110/s
    cap = capacity(read_run(run(tmp_path, spec, hung={6, 7, 8})), 5.0, 2.0, 1, spec)
    assert cap["capacity_by_climb_per_instance"] == pytest.approx([133.1, 100.0])
    assert cap["capacity_per_instance"] is None
    assert cap["capacity_refused"].startswith("the climbs disagree (133.1, 100/s per instance")


def test_the_conditions_say_how_it_was_measured(tmp_path: Path) -> None:
    spec = ramp(2.0, 6)
    cap = capacity(read_run(run(tmp_path, spec, hung={1, 4})), 5.0, 2.0, 2, spec)
    assert cap["capacity_per_instance"] == 50.0 and cap["capacity_found"]
    cond = cap["capacity_conditions"]
    assert cond["window_seconds"] == 2.0 and cond["generator_processes"] == 1
    assert cond["server_latency_growth_per_window"][0] == pytest.approx(0.0, abs=1e-6)
    assert "server latency (written -> response)" in cond["rule"]
