"""The benchmark's load generator against a real server: open loop, LIFO pool, latency."""

from pathlib import Path

from loadtests.bench.loadgen import build_requests, closed_loop, open_loop
from tests.loadtests.server import TOKEN, start_backend


def test_an_open_loop_sends_on_schedule_and_uses_only_the_connections_it_needs(
    tmp_path: Path,
) -> None:
    server = start_backend(tmp_path, workers=1, hello=True, db=tmp_path / "h.db")
    try:
        requests = build_requests("127.0.0.1", server.port, TOKEN, 400, 1)
        result = open_loop("127.0.0.1", server.port, requests, 200.0, 64, 1.0)
        assert (result.ok, result.errors) == (200, 0)
        assert 0.95 < result.duration < 1.5
        # One request every 5 ms against a sub-millisecond server: the connection freed last
        # is free again, so a LIFO pool needs a handful; a FIFO queue would rotate all 64.
        assert result.connections_used <= 8
        closed = closed_loop("127.0.0.1", server.port, requests[200:], 16, 0.5)
        assert closed.connections_used == 16 and closed.errors == 0
        assert closed.ok == len(closed.latencies) > 0
    finally:
        server.stop()
