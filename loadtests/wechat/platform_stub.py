"""A stand-in for WeChat's customer-service message API: records what the outbox sends.

Runs in a thread of the test (or load test) process on 127.0.0.1; `received` holds the JSON
bodies in arrival order. It accepts everything; `fail_next` makes the next calls answer 503 to
exercise the outbox's retries.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["PlatformStub"]


class PlatformStub:
    """`with PlatformStub() as stub:` ... `stub.url`, `stub.received`."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with stub._lock:
                    failing = stub.fail_next > 0
                    if failing:
                        stub.fail_next -= 1
                    else:
                        stub.received.append(json.loads(body))
                status, reply = (503, b"busy") if failing else (200, b'{"errcode":0}')
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read `received`, not a log."""

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to point `--platform-url`."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/cgi-bin/message/custom/send"

    def __enter__(self) -> PlatformStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
