"""Server sizing: the load report and profile inputs, and the fewest instances found."""

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from sim.dists import Empirical
from sim.errors import OptionError, ScenarioError
from sim.staffing.measurements import Profile, read_loadreport, read_profile
from sim.staffing.servers import (
    VARIANTS,
    BackEnd,
    SizingTarget,
    size_servers,
    surge_from_profile,
    try_instances,
)

FIXTURE = Path(__file__).parents[1] / "data" / "loadreport"


def _profile(seconds: int = 60, rate: float = 400.0) -> Profile:
    rates = np.full(seconds, rate)
    rates[:5] *= 4  # an opening spike
    return Profile("test", "", dt.datetime(2013, 4, 9, 14), np.arange(seconds, dtype=float), rates)


def test_the_fixture_report_reads() -> None:
    report = read_loadreport(FIXTURE)
    assert report.workers_per_instance == 16
    assert report.capacity_per_instance == 150.0
    assert len(report.service_time_seconds) == 400


def _write(tmp_path: Path, data: object) -> Path:
    (tmp_path / "loadreport.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def test_a_bad_report_lists_every_problem(tmp_path: Path) -> None:
    data = {
        "service_time_seconds": {"dist": "empirical", "values": [0.1, -2, "x"]},
        "capacity_per_instance": 0,
        "workers_per_instance": 2.5,
    }
    with pytest.raises(ScenarioError) as info:
        read_loadreport(_write(tmp_path, data))
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "service_time_seconds.values[1]",
        "service_time_seconds.values[2]",
        "capacity_per_instance",
        "workers_per_instance",
    ]
    assert "must be a number > 0 (got 0)" in str(info.value)


def test_a_report_that_refused_a_capacity_is_refused_with_its_reason(tmp_path: Path) -> None:
    data = {
        "service_time_seconds": {"dist": "empirical", "values": [0.01, 0.02]},
        "capacity_per_instance": None,
        "capacity_refused": "generator saturated (0-2 s): it dropped arrivals",
        "workers_per_instance": None,
    }
    with pytest.raises(ScenarioError) as info:
        read_loadreport(_write(tmp_path, data))
    text = str(info.value)
    assert "could not measure it (generator saturated (0-2 s)" in text
    assert "give --workers-per-instance" in text


def test_a_report_needs_the_three_keys(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="service_time_seconds: is required") as info:
        read_loadreport(_write(tmp_path, {"service_time_seconds": None}))
    assert len(info.value.problems) == 3
    with pytest.raises(ScenarioError, match=r'must be \{"dist": "empirical"'):
        read_loadreport(_write(tmp_path, {"service_time_seconds": {"dist": "fixed"}}))
    with pytest.raises(OptionError, match="--from-loadreport: must be a folder holding"):
        read_loadreport(tmp_path / "missing")
    (tmp_path / "loadreport.json").write_text("{", encoding="utf-8")
    with pytest.raises(ScenarioError, match="is not valid JSON"):
        read_loadreport(tmp_path)


def test_profile_csv_reads_and_rejects_bad_rows(tmp_path: Path) -> None:
    good = tmp_path / "p.csv"
    good.write_text(
        "scenario,seed,params_hash,second,t_seconds,rate_per_second\n"
        "s,1,abc,2013-04-09T14:00:00,0,2.5\ns,1,abc,2013-04-09T14:00:01,1,3\n"
        "s,1,abc,2013-04-09T16:00:00,0,1\n",
        encoding="utf-8",
    )
    p = read_profile(good)
    assert p.params_hash == "abc"
    assert p.offset_s.tolist() == [0.0, 1.0, 7200.0]
    bad = tmp_path / "b.csv"
    bad.write_text("scenario,second,rate_per_second\ns,noon,-1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        read_profile(bad)
    assert [q.path for q in info.value.problems] == ["line 2: second", "line 2: rate_per_second"]
    (tmp_path / "c.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="needs the columns"):
        read_profile(tmp_path / "c.csv")


def test_profile_arrivals_are_seeded_and_follow_the_rates() -> None:
    service = Empirical(read_loadreport(FIXTURE).service_time_seconds).sample
    a = surge_from_profile(_profile(), 7, 2, service)
    b = surge_from_profile(_profile(), 7, 2, service)
    assert np.array_equal(a.arrival_s[1], b.arrival_s[1])
    assert not np.array_equal(a.arrival_s[0], a.arrival_s[1])
    expected = float(_profile().rate.sum())
    assert abs(a.arrival_s[0].size - expected) < 5 * np.sqrt(expected)
    assert np.all(np.diff(a.arrival_s[0]) >= 0)


@pytest.mark.parametrize("variant", VARIANTS)
def test_sizing_finds_the_boundary(variant: str) -> None:
    service = Empirical(read_loadreport(FIXTURE).service_time_seconds).sample
    surge = surge_from_profile(_profile(), 3, 1, service)
    back_end = BackEnd(4, queue_limit_per_instance=20)
    target = SizingTarget(0.001, 2.0)
    s = size_servers(surge, back_end, variant, target)  # type: ignore[arg-type]
    assert s.at.passes(target)
    if s.instances > 1:
        assert s.below is not None and not s.below.passes(target)
        again = try_instances(surge, back_end, variant, s.instances - 1)  # type: ignore[arg-type]
        assert again == s.below
    if variant != "async":  # the steady 400 msgs/s alone needs 400 x mean service workers
        mean = float(np.mean(read_loadreport(FIXTURE).service_time_seconds))
        assert s.instances * 4 >= 400 * mean
