"""Connection limits uvicorn lacks: a time to send headers, a header size, a connection cap.

uvicorn closes a keep-alive connection idle after a response (`--keep-alive-timeout`), but a
connection that never sends a request, or sends its headers a byte at a time, is held forever,
and a header of any size is buffered whole. Each held connection costs a file descriptor: with
a 1,024 open-files limit, 1,100 silent connections made every real callback fail at `accept`,
before the app saw it. So each worker's `ConnectionGuard`:

- closes a connection whose request headers have not all arrived `header_timeout` seconds
  after the connection opened or the request began (a sweep every second at most, so the
  request path reads a coarse clock instead of arming a timer per request);
- answers 431 and closes once more than `max_header_bytes` of request line and headers have
  arrived, before buffering more (memory stays flat whatever the client sends);
- keeps at most `max_connections` open: at the cap, a new connection first takes the place of
  the least recently active one that is not in the middle of a request (slowloris and idle
  floods are shed first, live keep-alive clients last); if every connection is busy, the new
  one is refused at once.

Every connection closed this way is counted by reason (`fansim_connections_closed_total`) and
logged, at most once per 10 s per reason with the count since (`quietlog`). The protocol is
uvicorn's httptools protocol with these hooks; the guard lives in the lifespan state, where
the app puts one wired to its metrics (the hello-world gets an uncounted one).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, NamedTuple, cast

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from loadtests.backend.quietlog import QuietLog

__all__ = ["GUARD", "ConnectionGuard", "GuardedProtocol", "Limits", "protocol_for"]

GUARD = "fansim.connections"
"""The guard's key in the lifespan state (uvicorn hands that dict to every connection)."""
_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 27\r\nconnection: close\r\n\r\nrequest headers over limit\n"
)
log = logging.getLogger("fansim.backend")


class Limits(NamedTuple):
    """A worker's connection limits (from the settings)."""

    header_timeout: float
    max_header_bytes: int
    max_connections: int


def protocol_for(config: Any) -> type[asyncio.Protocol]:
    """Uvicorn's `http=` for these settings (`header_timeout`, `max_header_bytes`, ...)."""
    limits = Limits(config.header_timeout, config.max_header_bytes, config.max_connections)
    return cast("type[asyncio.Protocol]", functools.partial(GuardedProtocol, limits=limits))


class ConnectionGuard:
    """One worker's open connections, least recently active first, and what it sheds."""

    def __init__(self, limits: Limits, count: Callable[[str], None] | None = None) -> None:
        self.limits = limits
        self.clock = 0.0
        """The loop's time at the last sweep: a coarse clock for the request path."""
        self._open: dict[GuardedProtocol, None] = {}
        self._count = count
        self._loop: asyncio.AbstractEventLoop | None = None
        self._every = min(1.0, limits.header_timeout / 4)
        self._log = QuietLog(log)

    @property
    def open(self) -> int:
        """Connections held now."""
        return len(self._open)

    def admit(self, conn: GuardedProtocol) -> bool:
        """Hold a new connection, making room at the cap; False: refuse it."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            self.clock = self._loop.time()
            self._loop.call_later(self._every, self._sweep)
        if len(self._open) >= self.limits.max_connections:
            victim = next((c for c in self._open if c.idle), None)
            if victim is None:
                self.shed("refused_at_cap")
                return False
            victim.close("evicted_idle")
        self._open[conn] = None
        return True

    def touch(self, conn: GuardedProtocol) -> None:
        """A request arrived on `conn`: it becomes the most recently active."""
        if self._open.pop(conn, 0) is None:
            self._open[conn] = None

    def leave(self, conn: GuardedProtocol) -> None:
        """`conn` has closed."""
        self._open.pop(conn, None)

    def shed(self, reason: str) -> None:
        """Count one connection closed for `reason`; log now and then."""
        if self._count is not None:
            self._count(reason)
        self._log.warn(reason, f"fansim backend: closed a connection ({reason})")

    def _sweep(self) -> None:
        assert self._loop is not None
        self.clock = now = self._loop.time()
        too_old = now - self.limits.header_timeout
        for conn in [c for c in self._open if c.waiting_since is not None]:
            if conn.waiting_since is not None and conn.waiting_since < too_old:
                conn.close("header_timeout")
        self._loop.call_later(self._every, self._sweep)


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the guard's hooks (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        limits: Limits,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        guard = app_state.get(GUARD)
        if not isinstance(guard, ConnectionGuard):
            guard = app_state[GUARD] = ConnectionGuard(limits)
        self.guard = guard
        self.waiting_since: float | None = None
        """When the headers being waited for were first due; None between requests."""
        self._header_bytes = 0

    @property
    def idle(self) -> bool:
        """Not in the middle of a request the app is handling (so it can be shed)."""
        return self.cycle is None or self.cycle.response_complete

    def close(self, reason: str) -> None:
        """Close the connection, counting why."""
        self.waiting_since = None
        self.guard.leave(self)
        self.guard.shed(reason)
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Admit it (or refuse it at the cap); its headers are due from now."""
        super().connection_made(transport)
        if not self.guard.admit(self):
            transport.close()
            return
        self.waiting_since = self.loop.time()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget it."""
        self.guard.leave(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse, then count what is still request line and headers against the limit."""
        super().data_received(data)
        if self.waiting_since is not None:  # still in the request line or headers
            self._header_bytes += len(data)
            if self._header_bytes > self.guard.limits.max_header_bytes:
                self.transport.write(_TOO_LARGE)
                self.close("header_too_large")

    def on_message_begin(self) -> None:
        """A request starts: its headers are due (a keep-alive connection's next request)."""
        super().on_message_begin()
        if self.waiting_since is None:
            self.waiting_since = self.guard.clock

    def on_headers_complete(self) -> None:
        """Headers in: nothing more is due; the connection is the most recently active."""
        self.waiting_since = None
        self._header_bytes = 0
        self.guard.touch(self)
        super().on_headers_complete()
