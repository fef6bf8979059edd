"""Drive a `BackendApp` in this process through ASGI calls: its lifespan, then requests.

Fast enough for property tests (no sockets, no server process); the app's own writer thread
and database are real.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import MutableMapping
from typing import Any

from loadtests.backend.app import BackendApp
from loadtests.backend.config import BackendConfig


class InProcess:
    """One app on a private event loop; `close()` runs its shutdown and restores the collector."""

    def __init__(self, config: BackendConfig) -> None:
        self._gc = gc.get_threshold()
        self.loop = asyncio.new_event_loop()
        self.app = BackendApp(config)
        self.state: dict[str, Any] = {}
        self._lifespan: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
        self._task = self.loop.create_task(
            self.app({"type": "lifespan", "state": self.state}, self._lifespan.get, self._sent)
        )
        self._lifespan.put_nowait({"type": "lifespan.startup"})
        self.loop.run_until_complete(asyncio.sleep(0.05))

    async def _sent(self, message: MutableMapping[str, Any]) -> None:
        if message["type"].startswith("lifespan.") and "failed" in message["type"]:
            raise RuntimeError(str(message))

    def request(
        self,
        method: str,
        path: str,
        query: bytes = b"",
        body: bytes = b"",
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> tuple[int, bytes]:
        """One HTTP request; the status and body the app sent."""
        return self.loop.run_until_complete(self._request(method, path, query, body, headers))

    async def _request(
        self,
        method: str,
        path: str,
        query: bytes,
        body: bytes,
        headers: list[tuple[bytes, bytes]] | None,
    ) -> tuple[int, bytes]:
        sent: list[MutableMapping[str, Any]] = []
        given = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> MutableMapping[str, Any]:
            return given.pop() if given else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "query_string": query,
            "headers": headers or [],
            "state": dict(self.state),
        }
        await self.app(scope, receive, send)
        return int(sent[0]["status"]), bytes(sent[1]["body"])

    def close(self) -> None:
        """Shut the app down (its writer commits and stops) and the loop."""
        self._lifespan.put_nowait({"type": "lifespan.shutdown"})
        self.loop.run_until_complete(self._task)
        self.loop.close()
        gc.unfreeze()
        gc.set_threshold(*self._gc)
