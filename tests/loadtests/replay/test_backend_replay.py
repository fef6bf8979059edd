"""The replay against the reference back end (`fansim backend`): nothing acknowledged is lost,
redeliveries are suppressed as duplicates, and the load report's counts are the database's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.report.summary import ReportOptions, build_report
from sim.cli import main
from tests.loadtests.server import TOKEN, Backend, start_backend


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[Backend]:
    server = start_backend(tmp_path, "scenarios/xiaomi_service_2013.toml")
    yield server
    server.stop()


def test_counts_equal_the_database_and_a_replayed_run_is_all_duplicates(
    backend: Backend, flat_profile, tmp_path: Path
) -> None:
    profile = flat_profile(4, {"keyword": 100.0, "order": 40.0})
    host = f"http://127.0.0.1:{backend.port}"
    reports = []
    for run in ("first", "again"):  # the same schedule and MsgIds twice
        args = ["loadtest", str(profile), "--host", host, "--out", str(tmp_path / run),
                "--token", TOKEN, "--scenario", "scenarios/xiaomi_service_2013.toml",
                "--duration", "4", "--seed", "9", "--tolerance", "2",
                "--locust", "--replay-msg-base 770000"]  # fmt: skip
        # counts, not timing, are checked here: a generator starved of CPU by other work sends
        # late (up to 2 s) rather than dropping, so both runs send the same messages
        assert main(args) == 0
        reports.append(build_report(tmp_path / run, ReportOptions(backend_db=backend.db)))
    first, again = reports
    assert first["sent"] > 400 and first["dropped"] == 0 and first["failed"] == 0
    db_rows = backend.query("SELECT count(*), sum(deliveries) FROM messages")[0]
    assert first["backend"]["lost"] == 0 and again["backend"]["lost"] == 0
    assert first["backend"]["acknowledged"] == first["sent"]
    assert db_rows[0] == first["backend"]["stored"] == first["sent"] == again["sent"]
    assert db_rows[1] == first["delivered_requests"] + again["delivered_requests"]
    assert again["backend"]["duplicates_suppressed"] == again["sent"]
    # 140 messages/s never reach its capacity: the workers figure is labelled a lower bound
    assert not first["capacity_found"]
    assert first["workers_per_instance_source"] == "littles_law_lower_bound"
    routed = backend.query("SELECT count(*) FROM messages WHERE class = 'order'")[0][0]
    assert routed > 0  # 订单 in the text reached the human-routed class
    # the --metrics-url path: this back end's counters since it started (both runs)
    args = ["loadreport", str(tmp_path / "again"), "--metrics-url", f"{host}/metrics"]
    assert main(args) == 0
    counts = json.loads((tmp_path / "again" / "loadreport.json").read_text())["backend"]
    assert counts["source"] == f"{host}/metrics"
    assert counts["stored"] == db_rows[0]
    assert counts["duplicates_suppressed"] == db_rows[1] - db_rows[0]
    assert counts["acknowledged_by_backend"] == db_rows[1]  # every delivery answered 200
