"""How the replay POSTs a delivery: geventhttpclient's HTTPClient, reported to Locust as usual.

`FastHttpUser.client` (Locust's `FastHttpSession`) wraps geventhttpclient's `HTTPClient` in a
browser-like user agent: a cookie jar, redirects, URL re-parsing, header copies, compatibility
request and response objects. A WeChat callback needs none of it, and measured on this machine
(one process, a loopback target) that wrapping doubled the CPU of a request: 143 us against 65
us through `HTTPClient` itself. The replay sends each delivery through the same library
directly, on one keep-alive pool per process, and fires Locust's request event itself with
what Locust would report (type, name, response time from send to the last byte, response
length, the failure), so Locust's statistics, CSV, web UI and event listeners see every
delivery as before. The closed-loop baseline (`closedloop.py`) keeps Locust's own client.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import gevent
from geventhttpclient import HTTPClient
from geventhttpclient._parser import HTTPParseError
from geventhttpclient.response import HTTPConnectionClosed
from locust.exception import CatchResponseError

__all__ = ["Poster", "Sent"]

# what a broken, refused, reset, timed-out or garbled exchange raises (gevent.Timeout is not
# an Exception); anything else is a bug and propagates
_TRANSPORT = (OSError, gevent.Timeout, HTTPConnectionClosed, HTTPParseError)


class Sent(NamedTuple):
    """One delivery's exchange."""

    status: int  # HTTP status; 0 when nothing usable came (timeout, refused, reset, garbled)
    body: bytes
    sent: float  # clock time the request left
    seconds: float  # until the last byte of the response, or until the error


class Poster:
    """POSTs to one host through a keep-alive pool of at most `concurrency` connections."""

    def __init__(self, host: str, concurrency: int, timeout: float, request_event: Any) -> None:
        self.client = HTTPClient.from_url(
            host,
            concurrency=concurrency,
            connection_timeout=timeout,
            network_timeout=timeout,
            insecure=True,  # as FastHttpUser: a load test does not verify certificates
        )
        self.prefix = urlsplit(host).path.rstrip("/")  # a base path in --host, as Locust joins
        self.url = host.rstrip("/")
        self.fire = request_event.fire

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> Sent:
        """Send one POST and read the whole response; transport errors give status 0."""
        started = time.perf_counter()
        try:
            response = self.client.request("POST", self.prefix + path, body, headers)
            try:
                content = response.read()
                status = response.status_code
            finally:
                response.release()
        except _TRANSPORT:
            status, content = 0, b""
        return Sent(status, content, started, time.perf_counter() - started)

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
