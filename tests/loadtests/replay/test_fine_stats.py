"""Fine buckets and cached percentiles give Locust's own answers."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from loadtests.replay.fine_stats import Percentiles, fine_bucket

PERCENTS = (0.0, 0.5, 0.66, 0.9, 0.99, 0.999, 0.9999, 1.0)


def calculate_response_time_percentile(times: dict[float, int], n: int, percent: float) -> float:
    """Locust's rule, spelt out: from the top bucket down until few enough requests are left."""
    left = n
    for key in sorted(times, reverse=True):
        left -= times[key]
        if left <= int(n * percent):
            return key
    return 0


def random_buckets(seed: int) -> dict[float, int]:
    rng = np.random.default_rng(seed)
    times: dict[float, int] = {}
    for v in rng.lognormal(0.0, 1.5, int(rng.integers(1, 5000))):
        b = fine_bucket(float(v))
        times[b] = times.get(b, 0) + 1
    return times


@pytest.mark.parametrize(
    ("value", "bucket"), [(0.0, 0.0), (0.34712, 0.347), (12.345, 12.3), (4634.0, 4630.0)]
)
def test_fine_bucket_keeps_three_significant_digits(value: float, bucket: float) -> None:
    assert fine_bucket(value) == bucket


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_equal_locusts_on_random_buckets(seed: int) -> None:
    times = random_buckets(seed)
    n = sum(times.values()) + seed % 3  # Locust may count more requests than it buckets
    fast = Percentiles()
    for p in PERCENTS:
        assert fast(times, n, p) == calculate_response_time_percentile(times, n, p)


def test_a_changed_statistic_is_sorted_again() -> None:
    fast = Percentiles()
    times = {1.0: 10, 2.0: 10}
    assert fast(times, 20, 0.99) == 2.0
    times[9.5] = 5  # a new bucket
    assert fast(times, 25, 0.99) == 9.5 == calculate_response_time_percentile(times, 25, 0.99)
    times[1.0] += 100  # more requests in an old bucket: the count changes
    assert fast(times, 125, 0.5) == 1.0 == calculate_response_time_percentile(times, 125, 0.5)
    assert fast({}, 0, 0.5) == 0


def test_the_cache_stays_bounded() -> None:
    fast = Percentiles(size=2)
    dicts = [{float(i): 1} for i in range(5)]
    for d in dicts:
        assert fast(d, 1, 0.5) == next(iter(d))
    assert [fast(d, 1, 0.5) for d in dicts] == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_percentiles_equal_the_installed_locusts() -> None:
    # Locust patches the standard library when imported: ask it in a process of its own
    code = (
        "import json, sys; from locust.stats import calculate_response_time_percentile as f; "
        "t = {float(k): v for k, v in json.loads(sys.argv[1]).items()}; "
        "print(json.dumps([f(t, sum(t.values()), p) for p in json.loads(sys.argv[2])]))"
    )
    times = random_buckets(7)
    args = [json.dumps(times), json.dumps(PERCENTS)]
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True, timeout=60).stdout  # fmt: skip
    fast = Percentiles()
    assert json.loads(out) == [fast(times, sum(times.values()), p) for p in PERCENTS]
