"""Connection limits against a real server: idle floods, slow headers, huge headers, the cap."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.backend.connections import ConnectionGuard, Limits
from tests.loadtests.backend.test_contract import rss_kib
from tests.loadtests.server import Backend, post_many, start_backend

IDLE = 2000
HEADER_TIMEOUT = 2.0


@pytest.fixture(autouse=True)
def enough_files() -> Iterator[None]:
    """This process holds thousands of sockets: raise its soft open-files limit for the test."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = IDLE + 500
    if hard != resource.RLIM_INFINITY and hard < want:
        pytest.skip(f"open-files hard limit {hard} < {want}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def connect(server: Backend, first: bytes = b"") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    if first:
        sock.sendall(first)
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bool:
    """True if the server closes `sock` within `within` seconds."""
    sock.settimeout(within)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_2000_idle_connections_do_not_stop_real_callbacks_and_are_closed_in_time(
    tmp_path: Path,
) -> None:
    server = start_backend(tmp_path, "--header-timeout", str(HEADER_TIMEOUT))
    idle: list[socket.socket] = []
    try:
        opened = time.monotonic()
        for k in range(IDLE):  # silent ones, and ones stuck half-way through their headers
            idle.append(connect(server, b"POST /wechat HTTP/1.1\r\nHost: x\r\n" if k % 2 else b""))
        acked = post_many(server, list(range(1, 201)), threads=4)
        assert len(acked) == 200, "every real callback answered 200 beside the idle ones"
        deadline = opened + HEADER_TIMEOUT + 2.0  # the sweep runs every 0.5 s here
        still_open = [
            s for s in idle if not closed_by_server(s, max(0.01, deadline - time.monotonic()))
        ]
        assert still_open == []
        m = server.metrics()
        assert m['fansim_connections_closed_total{reason="header_timeout"}'] == IDLE
    finally:
        for s in idle:
            s.close()
        assert server.stop() == 0


def test_at_the_cap_idle_connections_make_room_and_busy_ones_refuse_the_excess(
    tmp_path: Path,
) -> None:
    server = start_backend(tmp_path, "--max-connections", "20")
    held: list[socket.socket] = []
    try:
        held = [connect(server) for _ in range(30)]  # the oldest 10 are shed for the newest
        assert sum(closed_by_server(s, 0.5) for s in held[:10]) == 10
        assert server.send_text("fan-cap", "hello", 1)[0] == 200  # takes an idle one's place
        for s in held:
            s.close()
        time.sleep(0.2)
        path = server.callback_path().encode()  # signed: the app waits for the body
        partial = b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc"
        held = [connect(server, partial) for _ in range(20)]  # 20 requests in the app
        time.sleep(0.2)
        late = connect(server)
        assert closed_by_server(late, 2.0), "refused at once"
        late.close()
        for s in held:
            s.close()
        time.sleep(0.2)
        m = server.metrics()
        assert m['fansim_connections_closed_total{reason="evicted_idle"}'] >= 10
        assert m['fansim_connections_closed_total{reason="refused_at_cap"}'] >= 1
        assert server.send_text("fan-cap", "hello", 2)[0] == 200
    finally:
        for s in held:
            s.close()
        assert server.stop() == 0


def send_huge_header(server: Backend, size: int) -> bytes:
    """A request with one `size`-byte header; what the server answered before closing."""
    sock = connect(server)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "

    def push() -> None:
        with contextlib.suppress(OSError):  # the server stops reading: expected
            sock.sendall(head + b"a" * size + b"\r\n\r\n")

    sender = threading.Thread(target=push)
    sender.start()
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    sender.join(timeout=10)
    sock.close()
    return answer


def test_a_1_mib_header_gets_431_and_memory_returns_to_its_level(tmp_path: Path) -> None:
    server = start_backend(tmp_path)
    try:
        assert send_huge_header(server, 1 << 20).startswith(b"HTTP/1.1 431 ")  # warm up
        rss = rss_kib(server.proc.pid)
        for _ in range(20):
            assert send_huge_header(server, 1 << 20).startswith(b"HTTP/1.1 431 ")
        grown = rss_kib(server.proc.pid) - rss
        assert grown < 4 * 1024, f"RSS grew by {grown} KiB after 20 MiB of headers"
        assert server.request("GET", "/healthz", headers={"X-Fine": "a" * 8000})[0] == 200
        m = server.metrics()
        assert m['fansim_connections_closed_total{reason="header_too_large"}'] == 21
    finally:
        assert server.stop() == 0


class FakeConnection:
    """What the guard reads of a connection: busy or idle, since when its headers are due."""

    def __init__(self, name: str, idle: bool = True) -> None:
        self.name = name
        self.idle = idle
        self.waiting_since: float | None = None
        self.closed: str | None = None
        self.guard: ConnectionGuard | None = None

    def close(self, reason: str) -> None:
        self.closed = reason
        assert self.guard is not None
        self.guard.leave(self)  # type: ignore[arg-type]
        self.guard.shed(reason)


def test_the_guard_evicts_the_least_recently_active_idle_connection() -> None:
    shed: list[str] = []

    def admit(guard: ConnectionGuard, conn: FakeConnection) -> bool:
        conn.guard = guard
        return guard.admit(conn)  # type: ignore[arg-type]

    async def scenario() -> list[FakeConnection]:
        guard = ConnectionGuard(Limits(10.0, 16_384, 3), shed.append)
        a, b, c = FakeConnection("a"), FakeConnection("b", idle=False), FakeConnection("c")
        assert admit(guard, a) and admit(guard, b) and admit(guard, c)
        guard.touch(a)  # type: ignore[arg-type]  # a request on a: now the most recent
        d = FakeConnection("d", idle=False)
        assert admit(guard, d)  # c, idle and least recent, makes room
        e = FakeConnection("e")
        assert admit(guard, e)  # then a
        e.idle = False
        assert not admit(guard, FakeConnection("f"))  # all busy: refused
        assert guard.open == 3
        return [a, b, c, d, e]

    closed = [c.closed for c in asyncio.run(scenario())]
    assert closed == ["evicted_idle", None, "evicted_idle", None, None]
    assert shed == ["evicted_idle", "evicted_idle", "refused_at_cap"]
