"""Exit codes a CI job can use, failure causes, stale connections and a saturated generator.

Each test replays a few seconds on loopback through `fansim loadtest` (Locust in its own
process) against a target of `targets.py`, stopped by the fixture.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from tests.loadtests.replay.test_runs import Target, replay, target_stats


def fansim(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`fansim ...` in a process of its own: exit code and output as a CI job sees them."""
    cmd = [str(Path(sys.executable).parent / "fansim"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def free_port() -> int:
    with socket.socket() as s:  # a port nobody listens on once closed
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_crossed_threshold_exits_1_and_names_it(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    host, out = target("fast"), tmp_path / "run"
    run = fansim("loadtest", str(flat_profile(2, {"keyword": 50.0})), "--host", host, "--out",
                 str(out), "--duration", "2", "--threshold", "dropped=0", "--threshold",
                 "fan_p99<1ms", "--threshold", "answered_within_5s>99%")  # fmt: skip
    assert run.returncode == 1, run.stderr[-2000:]
    assert "threshold crossed: fan_p99<1ms" in run.stdout
    assert "dropped=0" not in run.stdout.split("threshold crossed")[-1]  # it held
    rep = json.loads((out / "loadreport.json").read_text(encoding="utf-8"))
    assert [x.split(" (")[0] for x in rep["thresholds"]["crossed"]] == [
        "threshold crossed: fan_p99<1ms"
    ]
    # the same on the finished run, and a threshold that holds exits 0
    again = fansim("loadreport", str(out), "--threshold", "fan_p99<1ms")
    assert again.returncode == 1 and "threshold crossed: fan_p99<1ms" in again.stdout
    assert fansim("loadreport", str(out), "--threshold", "failed_share<0.1%").returncode == 0


def test_a_refused_host_exits_non_zero_with_connection_refused_counted(
    flat_profile, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    host = f"http://127.0.0.1:{free_port()}"
    args = ["--duration", "1", "--deadline", "0.5", "--deliveries", "2"]
    rep = replay(flat_profile(1, {"keyword": 5.0}), host, out, *args, code=1)
    assert rep["sent"] >= 1 and rep["failed"] == rep["sent"]
    assert rep["attribution"]["failure_causes"] == {"connection_refused": 2 * rep["sent"]}
    run = fansim("loadreport", str(out))
    assert run.returncode == 1 and "no message was answered" in run.stdout
    assert "connection_refused" in run.stdout


def test_bad_thresholds_exit_2_before_anything_starts(
    flat_profile, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    started = time.perf_counter()
    code = main(["loadtest", str(flat_profile(1, {"keyword": 1.0})), "--host",
                 "http://127.0.0.1:9", "--out", str(tmp_path / "run"), "--threshold",
                 "fan_p99 < soon", "--threshold", "speed>3"])  # fmt: skip
    assert code == 2 and time.perf_counter() - started < 1.0
    err = capsys.readouterr().err
    assert "fan_p99 < soon" in err and "unknown figure 'speed'" in err


def test_agents_against_a_back_end_without_the_agent_api_stop_with_a_clear_error(
    target: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host = target("fast")  # answers 200 "success" to every POST: not fansim's agent API
    code = main(["loadtest", "scenarios/mifan_festival_2013.toml", "--host", host, "--out",
                 str(tmp_path / "run"), "--agents", "--agents-token", "team-x",
                 "--duration", "1"])  # fmt: skip
    assert code == 2
    assert "needs fansim's agent API" in capsys.readouterr().err
    assert target_stats(host)["requests"] == 1  # the probe only: no message was sent


def test_idle_keep_alive_connections_the_server_closed_are_stale_not_server_failures(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    # 20 messages/s, the server closes a connection idle for 20 ms: most reuses meet a
    # connection it has closed
    host = target("idle-close", "--idle", "0.02")
    rep = replay(flat_profile(3, {"keyword": 20.0}), host, tmp_path / "run", "--duration", "3")
    split = rep["attribution"]
    assert rep["failed"] == 0 and split["failure_causes"] == {}
    assert split["stale_connections"] >= rep["sent"] // 2
    assert target_stats(host)["requests"] == rep["delivered_requests"] == rep["sent"]


def test_a_saturated_generator_is_marked_and_not_charged_to_the_server(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    # 30,000 arrivals/s offered for 2 s, about 10x what one process sends on this machine; the
    # server answers each after 50 ms and measures that itself
    host = target("delay", "--service", "0.05")
    rep = replay(flat_profile(2, {"keyword": 30_000.0}), host, tmp_path / "run", "--duration",
                 "2", "--pool", "4000")  # fmt: skip
    split, own = rep["attribution"], target_stats(host)
    assert split["generator_saturated"] and rep["dropped"] > rep["sent"]
    assert split["dropped_by_reason"].get("generator_behind", 0) > 0
    assert rep["capacity_per_instance"] is None
    assert rep["capacity_refused"].startswith("generator saturated")
    assert own["requests"] == rep["delivered_requests"]
    server_p99 = split["server_latency_ms"]["p99"] / 1000
    assert own["own_p50"] >= 0.05 and server_p99 <= 2 * own["own_p99"], (server_p99, own)


def test_answers_through_the_customer_service_api_are_what_fans_perceive(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    # a third-party-style server: `success` at once, every third message answered 2 s later
    # through the stub `fansim loadtest` plays on loopback
    port = free_port()
    stub = f"http://127.0.0.1:{port}/cgi-bin/message/custom/send"
    host = target("async-third", "--service", "2.0", "--stub", stub)
    rep = replay(flat_profile(3, {"keyword": 10.0}), host, tmp_path / "run", "--duration", "3",
                 "--stub-port", str(port), "--stub-wait", "3")  # fmt: skip
    answers, own = rep["fan_answers"], sorted(target_stats(host)["async_seconds"])
    assert answers["answered"] == answers["answered_asynchronously"] == len(own) > 3
    assert answers["unanswered_at_end"] == rep["offered"] - len(own)
    assert answers["api_refused_by_errcode"] == {}
    measured = answers["first_answer_answered_only_ms"]
    assert abs(measured["p50"] / 1000 - float(np.quantile(own, 0.5, method="higher"))) < 0.05
    assert abs(measured["p99"] / 1000 - float(np.quantile(own, 0.99, method="higher"))) < 0.05
    assert answers["first_answer_ms"]["p50"] == "inf"  # two thirds are never answered
    # the delivery itself was answered at once (`success`): the HTTP figures cannot see this
    assert rep["attribution"]["fan_latency_ms"]["p99"] < 1000
