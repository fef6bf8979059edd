"""`/metrics`: counters that sum across worker processes, gauges read from the database.

Counters and the latency histogram use prometheus_client's multiprocess mode: each process
writes its values to memory-mapped files in `PROMETHEUS_MULTIPROC_DIR` (a private folder the
runner creates and removes) and a scrape, in whichever worker it lands, adds them all up. The
queue depth and outbox gauges are read from the database at scrape time, so they are right
whichever process answers. Counters count since the server started; the database counts
everything it ever stored.
"""

from __future__ import annotations

import os
import sqlite3
from bisect import bisect_left
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from loadtests.backend import schema

__all__ = ["CONTENT_TYPE", "Metrics", "observe_many"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _DatabaseGauges(Collector):
    """Queue depth by state and outbox rows by status, counted in the database."""

    def __init__(self, db: str) -> None:
        self._db = db

    def collect(self) -> Iterator[Metric]:
        conn = sqlite3.connect(f"file:{self._db}?mode=ro", uri=True, timeout=5.0)
        try:
            queue = GaugeMetricFamily(
                "fansim_queue_depth",
                "Messages waiting for an agent, claimed by one, or deferred under overload",
                labels=["state"],
            )
            for state in ("waiting", "claimed", "deferred"):
                (n,) = conn.execute(schema.COUNT_BY_STATUS, (state,)).fetchone()
                queue.add_metric([state], n)
            outbox = GaugeMetricFamily(
                "fansim_outbox_messages", "Outbox rows by status", labels=["status"]
            )
            for status, n in conn.execute(schema.OUTBOX_BY_STATUS):
                outbox.add_metric([status], n)
        finally:
            conn.close()
        yield queue
        yield outbox


class Metrics:
    """The back end's instruments; one instance per worker process."""

    def __init__(self, db: str) -> None:
        # In multiprocess mode values live in the shared files, not in a registry.
        own = None if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else CollectorRegistry()
        self._own = own
        self._gauges = _DatabaseGauges(db)
        self.requests = Counter(
            "fansim_requests",
            "HTTP requests by outcome",
            ["outcome"],
            registry=own,
        )
        self.stored = Counter("fansim_messages_stored", "Distinct messages committed", registry=own)
        self.duplicates = Counter(
            "fansim_duplicates_suppressed", "Redeliveries recognised and not stored", registry=own
        )
        self.acknowledged = Counter(
            "fansim_messages_acknowledged",
            "Callbacks answered 200 after their message was committed",
            registry=own,
        )
        self.answered = Counter(
            "fansim_messages_answered",
            "Messages answered, by auto-reply or agents",
            ["by"],
            registry=own,
        )
        self.rejected = Counter(
            "fansim_rejected",
            "Requests refused before the database, by reason",
            ["reason"],
            registry=own,
        )
        self.connections_closed = Counter(
            "fansim_connections_closed",
            "Connections the server closed or refused itself, by reason",
            ["reason"],
            registry=own,
        )
        self.latency = Histogram(
            "fansim_request_seconds",
            "Time from request start to response, all endpoints",
            ["endpoint"],
            buckets=_LATENCY_BUCKETS,
            registry=own,
        )

        # Labelled children resolved once: `labels()` costs more than the increment itself.
        self.answered_auto = self.answered.labels("auto")
        self.answered_agent = self.answered.labels("agent")
        self._by_outcome: dict[str, Counter] = {}
        self._by_endpoint: dict[str, Histogram] = {}
        self._by_reason: dict[str, Counter] = {}
        self._seen: list[tuple[str, str, float]] = []
        self._schedule: Callable[[Callable[[], None]], object] | None = None

    def batch_with(self, schedule: Callable[[Callable[[], None]], object]) -> None:
        """Write request observations once per `schedule` call (the event loop's `call_soon`).

        Why: in multiprocess mode every increment takes a lock and writes the shared file; per
        request that was a counter and a histogram (~2 us). Batched, a loop iteration's
        requests (the answers of one group commit come in one) cost one increment per
        outcome, bucket and sum. A scrape flushes its own process first; other workers' last
        iteration (under a millisecond) may be missing from it.
        """
        self._schedule = schedule

    def count_committed(self, stored: int, duplicates: int, answered_auto: int) -> None:
        """Count the callbacks of one committed transaction (each is then answered 200).

        Called once per group commit from the writer thread, before the requests are
        answered, so a scrape never sees fewer than were acknowledged: 4 increments per batch
        instead of 3 per message (each costs a lock and a write to the shared file).
        """
        self.acknowledged.inc(stored + duplicates)
        if stored:
            self.stored.inc(stored)
        if duplicates:
            self.duplicates.inc(duplicates)
        if answered_auto:
            self.answered_auto.inc(answered_auto)

    def reject(self, reason: str) -> None:
        """Count one refused request by its reason (a rare path: written at once)."""
        counter = self._by_reason.get(reason)
        if counter is None:
            counter = self._by_reason[reason] = self.rejected.labels(reason)
        counter.inc()

    def connection_closed(self, reason: str) -> None:
        """Count one connection shed by the guard (a rare path: written at once)."""
        self.connections_closed.labels(reason).inc()

    def observe(self, outcome: str, endpoint: str, seconds: float) -> None:
        """Count one request and its latency (at once, or at the batch's flush)."""
        self._seen.append((outcome, endpoint, seconds))
        if self._schedule is None:
            self.flush()
        elif len(self._seen) == 1:
            self._schedule(self.flush)

    def flush(self) -> None:
        """Write the observations made since the last flush."""
        seen, self._seen = self._seen, []
        outcomes: dict[str, int] = {}
        latencies: dict[str, list[float]] = {}
        for outcome, endpoint, seconds in seen:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            latencies.setdefault(endpoint, []).append(seconds)
        for outcome, n in outcomes.items():
            counter = self._by_outcome.get(outcome)
            if counter is None:
                counter = self._by_outcome[outcome] = self.requests.labels(outcome)
            counter.inc(n)
        for endpoint, values in latencies.items():
            histogram = self._by_endpoint.get(endpoint)
            if histogram is None:
                histogram = self._by_endpoint[endpoint] = self.latency.labels(endpoint)
            observe_many(histogram, values)

    def exposition(self) -> bytes:
        """The text format, summed over all worker processes."""
        self.flush()
        if self._own is None:
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated
        else:
            registry = self._own
        text = generate_latest(registry)
        gauges = CollectorRegistry()
        gauges.register(self._gauges)
        return text + generate_latest(gauges)


def observe_many(histogram: Histogram, values: list[float]) -> None:
    """`histogram.observe(v)` for each value, with one write per bucket and one for the sum.

    prometheus_client has no batch observe; this adds to the child's bucket and sum values the
    way its `observe` does (a value lands in the first bucket whose bound is >= it).
    `tests/loadtests/test_metrics.py` compares the result with `observe`'s, so a change in
    the library's internals fails a test rather than the figures.
    """
    bounds = histogram._upper_bounds  # private: no public batch API, see above
    counts: dict[int, int] = {}
    for v in values:
        i = bisect_left(bounds, v)
        counts[i] = counts.get(i, 0) + 1
    histogram._sum.inc(sum(values))
    for i, n in counts.items():
        histogram._buckets[i].inc(n)
