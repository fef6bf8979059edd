"""Benchmark: arrivals per second one replay process keeps on schedule, beside Locust's own
closed-loop maximum against the same loopback target in the same run (`make bench`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from loadtests.report import ReportOptions, build_report
from sim.cli import main
from tests.loadtests.replay.conftest import write_profile
from tests.loadtests.replay.test_runs import closed_loop_max

RATES = (500, 1000, 1500, 2000, 2500, 3000)


def on_schedule(host: str, folder: Path, rate: int) -> tuple[bool, float]:
    profile = write_profile(folder / f"p{rate}.csv", 6, {"keyword": float(rate)})
    out = folder / f"r{rate}"
    args = ["loadtest", str(profile), "--host", host, "--out", str(out), "--duration", "5"]
    assert main(args) == 0
    rep = build_report(out, ReportOptions())
    p99 = rep["lateness_ms"]["p99"]
    return rep["dropped"] == 0 and p99 < 20.0, p99


@pytest.mark.benchmark(group="replay")
def test_open_rate_on_schedule_vs_closed_loop_max(benchmark, target, tmp_path: Path) -> None:
    host = target("fast")

    def search() -> int:
        best = 0
        for rate in RATES:
            ok, p99 = on_schedule(host, tmp_path, rate)
            benchmark.extra_info[f"lateness_p99_ms_at_{rate}"] = p99
            if not ok:
                break
            best = rate
        return best

    best = benchmark.pedantic(search, rounds=1, iterations=1)
    closed = closed_loop_max(host, tmp_path / "closed", 8)
    benchmark.extra_info |= {
        "cores": os.cpu_count(),
        "open_arrivals_per_second_on_schedule": best,
        "closed_loop_requests_per_second": closed,
        "ratio": best / closed,
    }
    assert best > 0
