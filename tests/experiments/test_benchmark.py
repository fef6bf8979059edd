"""Parallel efficiency of replications (`make bench`; deselected in `make test`).

100 replications of the flagship scenarios/xiaomi_2013q1.toml, serial and on 2 worker
processes; efficiency = serial wall time / (2 x parallel wall time), target >= 0.9. Ten
replications of the 10M-fan year (scenarios/scale_10m_2014.toml) on a Dask `LocalCluster` of
2 worker processes against serial, target >= 0.85. The figures go into benchmark.extra_info and
docs/benchmarks.md; nothing is asserted on time.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.experiments.executors import (
    DaskExecutor,
    ProcessExecutor,
    SerialExecutor,
    default_workers,
    run_ordered,
)
from sim.experiments.rows import run_row
from sim.experiments.specs import Variant, jobs_for
from sim.scenario.load import load_scenario

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).parents[2]
REPLICATIONS = 100
WORKERS = 2


def timed_row(job: Any) -> tuple[dict[str, Any], float]:
    """The row and the seconds it took inside its process (separates overhead from contention)."""
    t0 = time.perf_counter()
    row = run_row(job)
    return row, time.perf_counter() - t0


def against_serial(benchmark: Any, parallel: Callable[[], list[Any]], jobs: list[Any]) -> None:
    """Time `parallel` (the benchmark), then the same jobs serially; record the efficiency."""
    timed = benchmark.pedantic(parallel, rounds=1, iterations=1)
    t0 = time.perf_counter()
    with SerialExecutor() as ex:
        serial_timed = run_ordered(ex, timed_row, jobs)
    serial = time.perf_counter() - t0
    assert [r for r, _ in timed] == [r for r, _ in serial_timed]
    if benchmark.stats is not None:
        wall = benchmark.stats.stats.mean  # a cluster's start-up included: a user pays it too
        benchmark.extra_info["cores"] = default_workers()
        benchmark.extra_info["serial_seconds"] = round(serial, 2)
        benchmark.extra_info["parallel_seconds"] = round(wall, 2)
        benchmark.extra_info["parallel_efficiency"] = round(serial / (WORKERS * wall), 3)
        # busy share: time inside jobs / (workers x wall); below 1 only by scheduling overhead
        busy = sum(s for _, s in timed)
        benchmark.extra_info["busy_share"] = round(busy / (WORKERS * wall), 3)
        # a job's time on 2 workers over its time alone: > 1 when the cores are contended
        benchmark.extra_info["job_slowdown"] = round(busy / sum(s for _, s in serial_timed), 3)
        print(benchmark.name, dict(benchmark.extra_info))  # shown with -s (make bench)


def test_flagship_100_replications_on_2_workers(benchmark: Any) -> None:
    sc = load_scenario(ROOT / "scenarios" / "xiaomi_2013q1.toml")
    jobs = jobs_for([Variant("q1", sc, 2013)], range(REPLICATIONS))

    def parallel() -> list[Any]:
        with ProcessExecutor(WORKERS) as ex:
            return run_ordered(ex, timed_row, jobs)

    against_serial(benchmark, parallel, jobs)


SCALE_REPLICATIONS = 10


def test_scale_10m_10_replications_on_2_dask_workers(benchmark: Any) -> None:
    """Large runs farmed out to Dask: one year of 10M fans per task, 2 single-thread workers."""
    distributed = pytest.importorskip("distributed")
    sc = load_scenario(ROOT / "scenarios" / "scale_10m_2014.toml")
    jobs = jobs_for([Variant("scale", sc, 2014)], range(SCALE_REPLICATIONS))

    def on_dask() -> list[Any]:
        with (
            distributed.LocalCluster(
                n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            DaskExecutor(cluster.scheduler_address) as ex,
        ):
            return run_ordered(ex, timed_row, jobs)

    against_serial(benchmark, on_dask, jobs)
