"""Speed targets, checked by measurement (`make bench`), never by timed asserts.

Targets (issue 2), on the 2-core reference machine:
- human queue on M/M/c (9/min, 1/min, 10 agents): >= 200,000 messages/s, exact;
- one simulated day of scenarios/xiaomi_service_2013.toml: < 1 s.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.config import load_scenario
from sim.metrics import hourly_rows, summarize
from sim.model import RunSpec, run_one
from sim.queue import HumanQueue
from sim.roster import StaffSchedule
from tests.reference_queue import reference_starts

pytestmark = pytest.mark.benchmark

N = 200_000


def mmc_inputs(n: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1 / 9.0, n))
    return arrival, np.zeros(n, np.int64), rng.exponential(1.0, n), np.full(n, np.inf)


def run_engine(inputs: tuple[np.ndarray, ...]) -> np.ndarray:
    q = HumanQueue(StaffSchedule((0.0,), (10,)))
    q.offer(*inputs)
    q.advance(np.inf)
    return q.records().start


def test_engine_is_exact_on_the_benchmark_queue() -> None:
    """Same waits as one-SimPy-process-per-message fed the same random numbers."""
    inputs = mmc_inputs(20_000)
    assert np.allclose(run_engine(inputs), reference_starts(10, *inputs), rtol=0, atol=1e-9)


def test_human_queue_throughput(benchmark: Any) -> None:
    inputs = mmc_inputs(N)
    start = benchmark(run_engine, inputs)
    assert not np.isnan(start).any()
    if benchmark.stats is not None:
        mean = benchmark.stats.stats.mean
        benchmark.extra_info["messages_per_second"] = round(N / mean)


def test_xiaomi_service_day(benchmark: Any) -> None:
    scenario = load_scenario(Path(__file__).parents[1] / "scenarios" / "xiaomi_service_2013.toml")

    def one_day() -> dict[str, Any]:
        result = run_one(RunSpec(scenario, 1))
        hourly_rows(result)
        return summarize(result)

    summary = benchmark(one_day)
    assert summary["messages_received"] > 0
