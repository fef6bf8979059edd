"""Request metrics written in batches give the figures per-request writes give."""

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from loadtests.backend import store
from loadtests.backend.metrics import Metrics, observe_many

# On a bound, just past one, past the last finite bound, and zero.
LATENCIES = [0.0, 0.0004, 0.001, 0.0011, 0.02, 0.02, 0.3, 4.99, 5.0, 7.5, 120.0]


def exposition(batched: bool) -> list[str]:
    registry = CollectorRegistry()
    h = Histogram("t_seconds", "t", ["endpoint"], buckets=(0.001, 0.02, 5.0), registry=registry)
    child = h.labels("/wechat")
    if batched:
        observe_many(child, LATENCIES)
    else:
        for v in LATENCIES:
            child.observe(v)
    lines = generate_latest(registry).decode().splitlines()
    return [line for line in lines if "_created" not in line]  # creation times differ


def test_batched_histogram_equals_one_observe_per_value() -> None:
    assert exposition(batched=True) == exposition(batched=False)


def test_observations_wait_for_the_flush_and_a_scrape_flushes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    store.initialize(str(tmp_path / "m.db"))
    m = Metrics(str(tmp_path / "m.db"))
    scheduled: list[object] = []
    m.batch_with(scheduled.append)
    for v in LATENCIES:
        m.observe("reply", "/wechat", v)
    m.observe("forbidden", "/wechat", 0.0)
    assert scheduled == [m.flush]  # one flush per batch, however many requests
    assert [s.value for s in m.requests.collect()[0].samples] == []  # nothing written yet
    text = m.exposition().decode()
    assert 'fansim_requests_total{outcome="reply"} 11.0' in text
    assert 'fansim_requests_total{outcome="forbidden"} 1.0' in text
    assert 'fansim_request_seconds_count{endpoint="/wechat"} 12.0' in text
    assert 'fansim_request_seconds_bucket{endpoint="/wechat",le="0.001"} 4.0' in text
