"""Agents against the reference back end: they follow the roster, hold messages for the class's
handle time, and the load report's first-response and resolution times come from the database
beside the model's for the same window."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from loadtests.report.summary import ReportOptions, build_report
from sim.cli import main
from tests.loadtests.replay.conftest import write_profile
from tests.loadtests.server import AGENTS_TOKEN, TOKEN, Backend, start_backend

SERVICE = "scenarios/xiaomi_service_2013.toml"  # 2013-04-10: 4 agents to 15:00, then 7
SPEEDUP = 60.0  # one wall second is one scenario minute
WALL = 12.0


@pytest.fixture
def stub_port() -> int:
    """A port for the customer-service stub `fansim loadtest --stub-port` plays."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def backend(tmp_path: Path, stub_port: int) -> Iterator[Backend]:
    url = f"http://127.0.0.1:{stub_port}/cgi-bin/message/custom/send"
    server = start_backend(tmp_path, SERVICE, "--platform-url", url, "--agents-token", AGENTS_TOKEN)
    yield server
    server.stop()


def test_agents_follow_the_roster_and_the_report_measures_their_times(
    backend: Backend, stub_port: int, tmp_path: Path
) -> None:
    # 14:54 -> 15:06: 3.5 orders a minute against 4 agents of 1.8 min (2.2 a minute): a backlog
    # builds until 15:00, when 7 agents (3.9 a minute) work it off
    profile = write_profile(tmp_path / "p.csv", 720, {"keyword": 0.5, "order": 3.5 / 60},
                            "2013-04-10T14:54:00")  # fmt: skip
    out = tmp_path / "run"
    args = ["loadtest", str(profile), "--host", f"http://127.0.0.1:{backend.port}",
            "--out", str(out), "--token", TOKEN, "--scenario", SERVICE, "--speedup",
            str(SPEEDUP), "--duration", str(WALL), "--seed", "4", "--agents",
            "--agents-token", AGENTS_TOKEN,
            "--agent-scale", "1", "--agent-poll", "0.02",
            "--stub-port", str(stub_port)]  # fmt: skip
    assert main(args) == 0
    rep = build_report(out, ReportOptions(backend_db=backend.db))
    agents, real, model = rep["agents"], rep["agents"]["measured"], rep["agents"]["model"]
    assert agents["on_duty"] == {"times_wall_seconds": [0.0, 6.0], "agents": [4, 7]}
    orders = backend.query("SELECT count(*) FROM messages WHERE class = 'order'")[0][0]
    assert real["routed"] == model["routed"] == orders > 15
    assert real["answered"] == real["claimed"] >= 0.6 * real["routed"]  # the rest: still queued
    unix0 = json.loads((out / "worker-0.json").read_text())["unix_start"]
    before = backend.query(
        "SELECT count(DISTINCT agent) FROM agent_log WHERE action = 'claim' AND at < ?",
        unix0 + 5.9,
    )[0][0]
    after = backend.query(
        "SELECT count(DISTINCT agent) FROM agent_log WHERE action = 'claim' AND at > ?",
        unix0 + 6.1,
    )[0][0]
    assert before == 4 and after == 7
    hold = np.array(backend.query(
        "SELECT answered_at - first_claimed_at FROM messages WHERE answered_by = 'agent'"
    ), float).ravel() * SPEEDUP / 60  # fmt: skip
    assert hold.mean() == pytest.approx(1.8, rel=0.4)  # the class's mean handle time, minutes
    # the model's queue served with the agents' own holds gives the measured waits, up to the
    # polling (0.02 wall s = 0.02 min) and each claim's round trip through the back end
    waits = real["first_response_minutes"]
    replayed = agents["model_with_measured_holds"]["first_response_minutes"]
    assert replayed["mean"] > 0.3  # the window really queues
    assert abs(waits["mean"] - replayed["mean"]) <= 0.1 + 0.1 * replayed["mean"]
    assert abs(waits["p90"] - replayed["p90"]) <= 0.2 + 0.15 * replayed["p90"]
    low, high = model["first_response_minutes"]["mean_range_5_95"]
    assert 0 < low < high  # the prediction: handle-time draws of the class distribution
    # the agents' answers went out through the back end's outbox to the stub: what fans got
    answers = rep["fan_answers"]
    sent = backend.query("SELECT count(*) FROM outbox WHERE status = 'sent'")[0][0]
    assert answers["answered_asynchronously"] == answers["api_calls"] == sent
    assert sent >= real["answered"] > 0
