"""Replays on loopback through `fansim loadtest` (Locust in its own process), each bounded."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from loadtests.replay.records import read_run
from loadtests.report.summary import ReportOptions, build_report
from sim.cli import main

Target = Callable[..., str]


def replay(profile: Path, host: str, out: Path, *extra: str, code: int = 0) -> dict:
    """Run `fansim loadtest`, check its exit code, return the report."""
    assert main(["loadtest", str(profile), "--host", host, "--out", str(out), *extra]) == code
    return build_report(out, ReportOptions())


def target_stats(host: str) -> dict:
    with urllib.request.urlopen(host + "/stats", timeout=5) as r:
        return json.loads(r.read())


def test_sim_cli_does_not_import_locust_or_gevent() -> None:
    code = "import sys, sim.cli; bad = {'locust', 'gevent'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_sent_matches_offered_against_a_fast_target(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    host = target("fast")
    rep = replay(flat_profile(6, {"keyword": 300.0, "order": 100.0}), host, tmp_path / "run",
                 "--duration", "6")  # fmt: skip
    expected, sent = rep["expected"], rep["sent"]
    assert expected == 2400.0
    assert abs(rep["sent"] - expected) <= 0.02 * expected + 3 * np.sqrt(expected)
    assert rep["dropped"] == 0 and rep["failed"] == 0
    assert target_stats(host)["requests"] == rep["delivered_requests"] == rep["sent"]
    assert target_stats(host)["bad_signatures"] == 0
    assert rep["service_time_seconds"]["dist"] == "empirical"
    assert rep["lateness_ms"]["p99"] < 50  # the generator kept its schedule at 400/s
    assert not rep["attribution"]["generator_saturated"] and rep["dropped"] == 0
    with open(tmp_path / "run" / "locust_stats.csv", encoding="utf-8") as fh:
        counts = {(r["Type"], r["Name"]): int(r["Request Count"]) for r in csv.DictReader(fh)}
    # Locust's statistics hold the deliveries only: its Aggregated row is the real traffic
    assert counts == {("POST", "/wechat #1"): sent, ("", "Aggregated"): sent}
    with open(tmp_path / "run" / "replay_stats-0.csv", encoding="utf-8") as fh:
        ours = {(r["figure"], r["key"]): float(r["value"]) for r in csv.DictReader(fh)}
    assert ours[("outcome", "in_time")] == ours[("deliveries", "")] == sent


def closed_loop(host: str, out: Path, seconds: int, users: int, rate: float) -> dict[str, str]:
    """Locust's default statistics for closed-loop users against the same target."""
    spec = Path(__file__).parents[3] / "loadtests" / "replay" / "closedloop.py"
    cmd = [sys.executable, "-m", "locust", "-f", str(spec), "--headless", "-u", str(users),
           "-r", str(users), "--run-time", f"{seconds}s", "--host", host, "--closed-rate",
           str(rate), "--csv", str(out), "--only-summary"]  # fmt: skip
    subprocess.run(cmd, check=False, timeout=seconds + 30, capture_output=True)
    with open(f"{out}_stats.csv", encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["Name"] == "/wechat #1")


def closed_loop_p99(host: str, out: Path, seconds: int) -> tuple[float, int]:
    """4 users at up to 50 requests/s each: Locust's p99 and request count."""
    row = closed_loop(host, out, seconds, 4, 50.0)
    return float(row["99%"]), int(row["Request Count"])


def closed_loop_max(host: str, out: Path, seconds: int) -> float:
    """Requests/s of 32 users that never wait: the generator's closed-loop ceiling here."""
    return float(closed_loop(host, out, seconds, 32, 0.0)["Requests/s"])


def test_a_stalling_target_shows_in_latency_from_intended_not_in_closed_loop(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    profile = flat_profile(11, {"keyword": 200.0})
    open_host, closed_host = target("stall"), target("stall")
    with ThreadPoolExecutor(2) as pool:
        closed = pool.submit(closed_loop_p99, closed_host, tmp_path / "closed", 11)
        rep = replay(profile, open_host, tmp_path / "open", "--duration", "11")
        closed_p99, closed_requests = closed.result()
    assert rep["latency_from_intended_ms"]["p99"] >= 400
    assert closed_requests > 1000  # 4 users at up to 50/s for 11 s: the baseline really ran
    assert closed_p99 < 100  # Locust's own p99: the stall hides in the users' waiting
    assert rep["failed"] == 0


def test_a_target_slower_than_the_deadline_gets_three_deliveries_then_failure(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    # the deadline is a parameter of the same rules: 1 s here (and a target 1.5 s slow) keeps
    # the test at ~3 s of redeliveries instead of 15
    deadline = 1.0
    host = target("slow", "--service", "1.5")
    # nothing answered: exit 1 without any threshold
    rep = replay(flat_profile(1, {"keyword": 4.0}), host, tmp_path / "run", "--duration", "1",
                 "--deadline", str(deadline), code=1)  # fmt: skip
    r = read_run(tmp_path / "run")
    assert rep["sent"] >= 1 and rep["failed"] == rep["sent"]
    assert rep["retry_amplification"] == 3.0
    by_msgid = target_stats(host)["by_msgid"]
    assert sorted(by_msgid) == sorted(str(m) for m in r.msg_id)
    assert set(by_msgid.values()) == {3}
    gaps = np.diff(r.d_sent.reshape(-1, 3), axis=1)
    assert np.all(np.abs(gaps - deadline) < 0.2)  # redelivered one deadline after the previous
    assert np.all(r.d_response >= deadline - 0.01) and np.all(r.d_response < deadline + 0.2)
    assert rep["attribution"]["failure_causes"] == {"timeout": 3 * rep["sent"]}
    assert rep["capacity_per_instance"] is None and rep["capacity_refused"]


def test_two_worker_processes_offer_what_one_offers(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    profile = flat_profile(6, {"keyword": 250.0})
    host = target("fast")
    with ThreadPoolExecutor(2) as pool:
        one = pool.submit(replay, profile, host, tmp_path / "one", "--duration", "6", "--seed", "3")
        two = pool.submit(replay, profile, host, tmp_path / "two", "--duration", "6", "--seed", "3",
                          "--processes", "2")  # fmt: skip
        a, b = one.result(), two.result()
    assert b["workers"] == 2 and a["expected"] == b["expected"] == 1500.0
    assert abs(a["offered"] - b["offered"]) <= 3 * np.sqrt(a["offered"] + b["offered"])
    assert abs(b["offered"] - 1500) <= 3 * np.sqrt(1500)
    ids = read_run(tmp_path / "two").msg_id
    assert np.unique(ids).size == ids.size
