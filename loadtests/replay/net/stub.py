"""The customer-service API on loopback, inside the replay's process (gevent's WSGI server).

It lives beside the replay so it sees every fan's message when the platform delivers it (the
service window opens then) and timestamps each answer on the replay's own clock: no clock
alignment between processes. The rules are `loadtests.wechat.customer_service`. One worker
process only (the fans' windows would be split between processes).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

from gevent.pywsgi import WSGIServer

from loadtests.wechat.customer_service import OK, CustomerService

__all__ = ["PATH", "Stub"]

PATH = "/cgi-bin/message/custom/send"
_MAX_BODY = 1 << 20


class Stub:
    """`start()`, then `service.log`; `stop()` closes the port."""

    def __init__(self, port: int, service: CustomerService, origin: float) -> None:
        self.service = service
        self.origin = origin  # perf_counter time 0 of the replay's records
        self.server = WSGIServer(("127.0.0.1", port), self._app, log=None, error_log=None)

    def _app(self, environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
        at = time.perf_counter() - self.origin
        code, body = "404 Not Found", {"errcode": 404, "errmsg": "not found"}
        if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "POST":
            size = min(int(environ.get("CONTENT_LENGTH") or 0), _MAX_BODY)
            try:
                payload = json.loads(environ["wsgi.input"].read(size) or b"{}")
                fan, msgtype = str(payload["touser"]), str(payload.get("msgtype", ""))
            except (ValueError, KeyError, TypeError):
                code, body = "200 OK", {"errcode": 40003, "errmsg": "invalid touser or body"}
            else:
                errcode = self.service.send(fan, msgtype, at)
                code, body = "200 OK", {"errcode": errcode, "errmsg": "ok" if errcode == OK else
                                        "out of the service window or its count"}  # fmt: skip
        out = json.dumps(body).encode()
        start(code, [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
        return [out]

    def start(self) -> None:
        """Listen on 127.0.0.1:port (raises OSError if taken)."""
        self.server.start()

    def stop(self) -> None:
        """Close the port."""
        self.server.stop(timeout=1)
