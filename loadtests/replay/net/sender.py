"""How the replay POSTs a delivery: its own keep-alive sockets, three clock readings, one cause.

A delivery is timed as the platform would time it, so the report can tell the generator from the
server (`loadtests.wechat.delivery`): `started` when the greenlet began, `written` when the
request's last byte was handed to the kernel, `ended` when the response's last byte came (or the
error). Generator delay is intended -> started, server latency written -> ended.

Why not geventhttpclient's `HTTPClient` (which `FastHttpUser` wraps): it resolves the host on
every new connection through gevent's threaded resolver (10 threads, no deadline: a 5-15 s stall
for "127.0.0.1" at thousands of connections per second, charged to the server), it waits for a
slot of its pool without a bound, and it does not resend a POST that met a keep-alive connection
the server had closed while idle (RFC 9110 forbids an automatic retry; the platform, which sees
no answer at all, simply delivers on a fresh connection). Here an IP literal is connected to
directly and a name is resolved once, before the run; every wait is under the deadline; and a
reused connection that turns out closed (readable while idle, or reset/closed before any byte of
a response) is replaced by a fresh one and counted as stale, not as the server's failure. The
response is parsed with geventhttpclient's parser. Locust's request event is fired per delivery
as Locust's own client fires it, so its statistics and listeners see every delivery.
"""

from __future__ import annotations

import ipaddress
import select
import socket
import time
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import gevent
from gevent import socket as gsocket
from geventhttpclient._parser import HTTPParseError
from geventhttpclient.response import HTTPConnectionClosed, HTTPSocketResponse
from locust.exception import CatchResponseError

__all__ = ["CAUSES", "Poster", "Sent", "address_of"]

REFUSED, TIMEOUT, CLOSED, RESET, BAD_HTTP, ERROR = (
    "connection_refused", "timeout", "connection_closed", "connection_reset", "invalid_http",
    "connection_error",
)  # fmt: skip
CAUSES = (REFUSED, TIMEOUT, CLOSED, RESET, BAD_HTTP, ERROR)
"""Transport causes of a failed delivery (HTTP statuses and bodies are the caller's to name)."""


class Sent(NamedTuple):
    """One delivery's exchange."""

    status: int  # HTTP status; 0 when nothing usable came (timeout, refused, reset, garbled)
    body: bytes
    started: float  # clock time the sender began
    written: float  # clock time the request was written (= started if it never was)
    ended: float  # clock time of the response's last byte, or of the error
    cause: str  # "" or one of CAUSES
    stale: int  # stale keep-alive connections replaced first

    @property
    def seconds(self) -> float:
        """Server latency: written -> ended."""
        return self.ended - self.written


def address_of(host: str) -> tuple[str, int]:
    """(IP, port) of a base URL: an IP literal as it is, a name resolved once, now."""
    parts = urlsplit(host)
    name = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme != "http":
        raise ValueError(f"--host: only http:// is supported (got {host!r})")
    try:
        ipaddress.ip_address(name)
        return name, port
    except ValueError:
        info = socket.getaddrinfo(name, port, socket.AF_INET, socket.SOCK_STREAM)
        return str(info[0][4][0]), port


def _cause(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED
    if isinstance(exc, gevent.Timeout | TimeoutError):
        return TIMEOUT
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return RESET
    if isinstance(exc, HTTPConnectionClosed):
        return CLOSED
    if isinstance(exc, HTTPParseError):
        return BAD_HTTP
    return ERROR


def _idle_closed(sock: gsocket.socket) -> bool:
    """An idle keep-alive socket that is readable has been closed (or sent junk): unusable."""
    try:
        return sock.fileno() < 0 or bool(select.select([sock], [], [], 0.0)[0])
    except (OSError, ValueError):
        return True


class _StaleError(Exception):
    """A reused connection failed before any byte of a response: replace it."""


class Poster:
    """POSTs to one host over keep-alive sockets (at most one per delivery in flight)."""

    def __init__(
        self, host: str, timeout: float, request_event: Any, clock: Any = time.perf_counter
    ) -> None:
        parts = urlsplit(host)
        self.address = address_of(host)
        self.netloc = parts.netloc
        self.prefix = parts.path.rstrip("/")  # a base path in --host, as Locust joins it
        self.url = host.rstrip("/")
        self.timeout = timeout
        self.fire = request_event.fire
        self.clock = clock
        self.idle: list[gsocket.socket] = []  # last in, first out: the warmest connection

    def _socket(self) -> tuple[gsocket.socket, bool, int]:
        """(socket, whether reused, stale idle sockets discarded on the way)."""
        stale = 0
        while self.idle:
            sock = self.idle.pop()
            if not _idle_closed(sock):
                return sock, True, stale
            sock.close()
            stale += 1
        sock = gsocket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.address)
        except BaseException:
            sock.close()
            raise
        return sock, False, stale

    def _request(self, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"POST {self.prefix}{path} HTTP/1.1", f"Host: {self.netloc}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Sent:
        """Send one POST and read the whole response; transport errors give status 0."""
        clock, data = self.clock, self._request(path, body, headers)
        started = clock()
        written, stale = started, 0
        while True:
            sock: gsocket.socket | None = None
            try:
                sock, reused, discarded = self._socket()
                stale += discarded
                written = clock()
                try:
                    sock.sendall(data)
                    written = clock()
                    with gevent.Timeout(self.timeout):
                        response = HTTPSocketResponse(sock, method="POST")
                        content = response.read()
                except (HTTPConnectionClosed, ConnectionResetError, BrokenPipeError) as exc:
                    if reused:
                        raise _StaleError from exc
                    raise
                ended = clock()
                if response.should_close():
                    sock.close()
                else:
                    self.idle.append(sock)
                return Sent(response.status_code, content, started, written, ended, "", stale)
            except _StaleError:
                if sock is not None:
                    sock.close()
                stale += 1
                continue
            except (OSError, gevent.Timeout, HTTPParseError) as exc:
                if sock is not None:
                    sock.close()
                return Sent(0, b"", started, written, clock(), _cause(exc), stale)

    def close(self) -> None:
        """Close the idle connections."""
        while self.idle:
            self.idle.pop().close()

    def report(self, name: str, sent: Sent, path: str, failure: str | None) -> None:
        """Locust's request event for one delivery, as Locust's own client fires it."""
        self.fire(
            request_type="POST",
            name=name,
            response_time=sent.seconds * 1000,
            response_length=len(sent.body),
            exception=None if failure is None else CatchResponseError(failure),
            context={},
            response=None,
            url=self.url + path,
            start_time=time.time() - sent.seconds,
        )
