"""A small open-loop load generator for the benchmark: signed XML callbacks at a fixed rate.

Open loop means the send times are fixed in advance (request i is due at start + i / rate) and
latency is measured from that intended time, not from when a connection happened to be free:
a server that stalls is charged for every request that should have been sent during the stall
(no coordinated omission). The closed-loop mode (each connection sends again as soon as it has
an answer) finds the maximum throughput the open-loop rate is then set from.

Requests are built before the clock starts; the client is asyncio on uvloop with a minimal
HTTP/1.1 parser, so it costs as little CPU as possible next to the server it measures. Its
garbage collector is off while the clock runs: a full collection in a big process (pytest's)
paused it for tens of milliseconds, and an open loop charges such a pause to the server.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import uvloop

from loadtests.wechat.callbacks import callback_query, text_xml

__all__ = ["LoadResult", "build_requests", "closed_loop", "open_loop"]


def build_requests(
    host: str, port: int, token: str, count: int, first_id: int, path: str = "/wechat"
) -> list[bytes]:
    """`count` signed text callbacks with distinct MsgIds, as raw HTTP/1.1 requests."""
    target = f"{path}?{callback_query(token, '1365480000', 'bench')}"
    out = []
    for i in range(first_id, first_id + count):
        body = text_xml(f"fan{i % 100_000}", "小米3什么时候发布", i, 1365480000)
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        out.append(head.encode() + body)
    return out


@dataclass(frozen=True)
class LoadResult:
    """What one run measured; latencies in seconds, sorted."""

    mode: str
    offered_per_second: float | None
    duration: float
    ok: int
    errors: int
    latencies: tuple[float, ...]
    connections_used: int = 0
    """Connections that carried at least one request."""

    @property
    def throughput(self) -> float:
        """Answers with status 200 per second."""
        return self.ok / self.duration

    def quantile(self, q: float) -> float:
        """Latency quantile (nearest rank)."""
        if not self.latencies:
            return float("nan")
        return self.latencies[min(len(self.latencies) - 1, int(q * len(self.latencies)))]


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time; parses just enough HTTP/1.1."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self.transport: asyncio.Transport | None = None
        self.sent = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self._buffer[:end]).lower()
        at = head.find(b"content-length:")
        length = int(head[at + 15 : head.find(b"\r\n", at) if b"\r\n" in head[at:] else None])
        if len(self._buffer) < end + 4 + length:
            return
        status = int(head[9:12])
        del self._buffer[: end + 4 + length]
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(status)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError("connection lost"))

    async def request(self, raw: bytes) -> int:
        assert self.transport is not None
        self._waiter = asyncio.get_running_loop().create_future()
        self.sent += 1
        self.transport.write(raw)
        return await self._waiter


async def _connect(host: str, port: int, n: int) -> list[_Connection]:
    loop = asyncio.get_running_loop()
    conns = []
    for _ in range(n):
        _, proto = await loop.create_connection(_Connection, host, port)
        conns.append(proto)
    return conns


async def _closed(
    host: str, port: int, requests: list[bytes], conns: int, seconds: float
) -> LoadResult:
    pool = await _connect(host, port, conns)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    stop_at = start + seconds
    cursor = iter(requests)

    async def run(conn: _Connection) -> None:
        nonlocal errors
        for raw in cursor:
            if time.perf_counter() >= stop_at:
                return
            sent = time.perf_counter()
            status = await conn.request(raw)
            if status == 200:
                latencies.append(time.perf_counter() - sent)
            else:
                errors += 1

    await asyncio.gather(*(run(c) for c in pool))
    duration = time.perf_counter() - start
    for c in pool:
        assert c.transport is not None
        c.transport.close()
    return LoadResult(
        "closed", None, duration, len(latencies), errors, tuple(sorted(latencies)), _used(pool)
    )


async def _open(
    host: str,
    port: int,
    requests: list[bytes],
    rate: float,
    conns: int,
    seconds: float,
) -> LoadResult:
    pool = await _connect(host, port, conns)
    count = min(len(requests), int(rate * seconds))
    loop = asyncio.get_running_loop()
    # A due request goes to the connection freed last (a LIFO pool, as HTTP client pools
    # keep them), so only as many connections are busy as the load needs; with none free it
    # waits in `backlog` and is charged the wait, as it is measured from its intended time.
    idle: list[asyncio.Future[tuple[float, bytes] | None]] = []
    backlog: collections.deque[tuple[float, bytes] | None] = collections.deque()
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter() + 0.05

    def hand(item: tuple[float, bytes] | None) -> None:
        if idle:
            idle.pop().set_result(item)
        else:
            backlog.append(item)

    async def dispatch() -> None:
        """Release each request at its intended time (all that are due at each wake-up)."""
        i = 0
        while i < count:
            now = time.perf_counter()
            while i < count and start + i / rate <= now:
                hand((start + i / rate, requests[i]))
                i += 1
            if i < count:
                await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        for _ in pool:
            hand(None)

    async def run(conn: _Connection) -> None:
        nonlocal errors
        while True:
            if backlog:
                item = backlog.popleft()
            else:
                waiter: asyncio.Future[tuple[float, bytes] | None] = loop.create_future()
                idle.append(waiter)
                item = await waiter
            if item is None:
                return
            intended, raw = item
            status = await conn.request(raw)
            if status == 200:
                latencies.append(time.perf_counter() - intended)
            else:
                errors += 1

    await asyncio.gather(dispatch(), *(run(c) for c in pool))
    duration = time.perf_counter() - start
    for c in pool:
        assert c.transport is not None
        c.transport.close()
    return LoadResult(
        "open", rate, duration, len(latencies), errors, tuple(sorted(latencies)), _used(pool)
    )


def _used(pool: list[_Connection]) -> int:
    return sum(1 for c in pool if c.sent)


def closed_loop(
    host: str, port: int, requests: list[bytes], connections: int = 64, seconds: float = 5.0
) -> LoadResult:
    """Maximum throughput: every connection sends again as soon as it is answered."""
    return _uncollected(lambda: uvloop.run(_closed(host, port, requests, connections, seconds)))


def open_loop(
    host: str,
    port: int,
    requests: list[bytes],
    rate: float,
    connections: int = 256,
    seconds: float = 5.0,
) -> LoadResult:
    """Fixed-rate schedule; latency from each request's intended send time."""
    return _uncollected(lambda: uvloop.run(_open(host, port, requests, rate, connections, seconds)))


def _uncollected(run: Callable[[], LoadResult]) -> LoadResult:
    """`run()` with the garbage collector off (collected first, then restored)."""
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        return run()
    finally:
        if enabled:
            gc.enable()
