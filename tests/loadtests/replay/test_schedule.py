from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from loadtests.replay.profile import read_profile
from loadtests.replay.schedule import ReplayPlan, arrival_schedule
from tests.loadtests.replay.conftest import write_profile


@pytest.fixture
def profile(tmp_path: Path):
    return read_profile(write_profile(tmp_path / "p.csv", 120, {"keyword": 30.0, "order": 10.0}))


def test_same_seed_same_arrivals_other_seed_other(profile) -> None:
    a = arrival_schedule(profile, ReplayPlan(seed=7))
    b = arrival_schedule(profile, ReplayPlan(seed=7))
    c = arrival_schedule(profile, ReplayPlan(seed=8))
    assert np.array_equal(a.intended, b.intended) and np.array_equal(a.cls, b.cls)
    assert a.size != c.size or not np.array_equal(a.intended, c.intended)


def test_counts_match_the_rates_within_poisson_noise(profile) -> None:
    arr = arrival_schedule(profile, ReplayPlan(scale=2.0, seed=1))
    assert arr.expected == pytest.approx(2 * 40 * 120)
    assert abs(arr.size - arr.expected) < 4 * np.sqrt(arr.expected)
    share_order = (arr.cls == arr.classes.index("order")).mean()
    assert share_order == pytest.approx(0.25, abs=0.03)
    assert np.all(np.diff(arr.intended) >= 0)


def test_speedup_compresses_time_and_duration_cuts_it(profile) -> None:
    arr = arrival_schedule(profile, ReplayPlan(speedup=10.0, duration=6.0, start=30, seed=2))
    assert arr.intended.max() < 6.0
    # 6 wall s at 10x = profile seconds 30..90: 60 s x 40/s
    assert arr.expected == pytest.approx(2400)
    assert abs(arr.size - 2400) < 4 * np.sqrt(2400)


def test_workers_split_the_schedule_and_add_up(profile) -> None:
    plan = ReplayPlan(workers=3, seed=5, msg_base=1000)
    parts = [arrival_schedule(profile, plan, i) for i in range(3)]
    ids = np.concatenate([p.msg_id for p in parts])
    assert np.unique(ids).size == ids.size and ids.min() >= 1000
    total = sum(p.size for p in parts)
    assert sum(p.expected for p in parts) == pytest.approx(4800)
    assert abs(total - 4800) < 4 * np.sqrt(4800)
    assert not np.array_equal(parts[0].intended[:50], parts[1].intended[:50])


def test_worker_index_and_plan_are_checked(profile) -> None:
    with pytest.raises(ValueError, match=r"worker\(=2\) must be in 0..1"):
        arrival_schedule(profile, ReplayPlan(workers=2), 2)
    with pytest.raises(ValueError, match=r"speedup\(=0\) must be > 0"):
        ReplayPlan(speedup=0)
    with pytest.raises(ValueError, match="past the profile"):
        arrival_schedule(profile, ReplayPlan(start=500))


def test_rows_are_the_arrays_as_plain_values_in_order(profile) -> None:
    a = arrival_schedule(profile, ReplayPlan(seed=4, msg_base=100, subscribe_share=0.5))
    rows = list(a.rows(chunk=7))
    assert len(rows) == a.size > 7
    assert [r[0] for r in rows] == a.intended.tolist()
    assert [r[1] for r in rows] == [a.classes[k] for k in a.cls]
    assert [r[2:] for r in rows] == list(zip(a.msg_id.tolist(), a.fan.tolist(),
                                             a.subscribe.tolist(), strict=True))  # fmt: skip
    assert all(type(r[2]) is int and type(r[4]) is bool for r in rows)
