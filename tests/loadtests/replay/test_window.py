"""Any window of any campaign: profiles on an absolute clock, `--window`, and clear refusals."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from loadtests.replay.profile import read_profile
from sim.cli import main
from sim.errors import ScenarioError
from tests.loadtests.replay.conftest import write_profile
from tests.loadtests.replay.test_runs import Target, replay


def test_a_multi_day_profile_reads_as_one_timeline_with_silent_gaps(tmp_path: Path) -> None:
    day1 = write_profile(tmp_path / "a.csv", 3, {"keyword": 2.0}, "2013-03-05T20:00:00")
    day2 = write_profile(tmp_path / "b.csv", 2, {"keyword": 5.0}, "2013-03-06T20:00:00")
    both = tmp_path / "both.csv"  # t_seconds restarts at 0 on the second day, as fansim writes
    both.write_text(day1.read_text() + "".join(day2.read_text().splitlines(True)[1:]))
    p = read_profile(both)
    assert p.first_second == "2013-03-05T20:00:00" and p.seconds == 86_400 + 2
    assert p.total[:3].tolist() == [2.0] * 3 and p.total[86_400:].tolist() == [5.0] * 2
    assert p.total.sum() == pytest.approx(16.0)  # the night between is silent


def test_rows_going_back_in_time_are_refused(tmp_path: Path) -> None:
    path = write_profile(tmp_path / "p.csv", 3, {"keyword": 1.0})
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("14:00:02", "13:00:00")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScenarioError, match=r"profile\[2\]\.second: must be whole seconds after"):
        read_profile(path)


def test_a_window_of_the_second_day_of_a_3_day_campaign_replays(
    target: Target, tmp_path: Path
) -> None:
    profile = tmp_path / "xiaomi.csv"
    assert main(["profile", "scenarios/xiaomi_2013q1.toml", "--out", str(profile)]) == 0
    # the window, not the timing, is checked: a CPU-starved generator sends late, not dropping
    rep = replay(profile, target("fast"), tmp_path / "run", "--window",
                 "2013-03-06T20:00:00..2013-03-06T20:00:04", "--tolerance", "1")  # fmt: skip
    assert rep["plan"]["start"] == 86_400 and rep["plan"]["duration"] == 4.0
    assert rep["offered"] > 10 and rep["failed"] == rep["dropped"] == 0
    assert abs(rep["offered"] - rep["expected"]) <= 4 * np.sqrt(rep["expected"])


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--window", "14:00..13:00"], "--window: must be START..END"),
        (["--window", "2013-04-10T14:00..2013-04-10T14:01"], "--window: must be START..END"),
        (["--window", "soon..later"], "--window: must be START..END"),
        (["--window", "14:00..14:01", "--duration", "5"], "--window: replaces --duration"),
        (["--start", "99"], "--start: must be before the profile's end"),
        (["--host", "https://127.0.0.1:9"], "--host: must be an http:// URL"),
        (["--ramp", "80,1.1,2,3", "--duration", "12"], "--duration: must be >= 18 s for 3 climbs"),
        (["--ramp", "80,1.1,2,1.5"], "must be START,FACTOR,STEP[,CLIMBS]"),
    ],
)
def test_a_bad_window_exits_2_within_a_second(
    extra: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = write_profile(tmp_path / "p.csv", 60, {"keyword": 1.0})  # 14:00:00-14:01:00
    started = time.perf_counter()
    code = main(["loadtest", str(profile), "--host", "http://127.0.0.1:9", "--out",
                 str(tmp_path / "run"), *extra])  # fmt: skip
    assert code == 2 and time.perf_counter() - started < 1.0
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_a_broken_profile_exits_2_within_a_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("scenario,seed,params_hash,second,rate_per_second,rate_x\ns,1,h,noon,1,1\n")
    started = time.perf_counter()
    code = main(["loadtest", str(bad), "--host", "http://127.0.0.1:9", "--out",
                 str(tmp_path / "run")])  # fmt: skip
    assert code == 2 and time.perf_counter() - started < 1.0
    assert "profile[0].second: must be an ISO time" in capsys.readouterr().err
