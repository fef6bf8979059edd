"""The few ASGI pieces the back end needs: read a bounded body, send a response.

A plain ASGI app rather than a framework: the back end is measured against a hello-world on
the same server, and routing five paths needs no more than a dict.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

from loadtests.wechat.protocol import ProtocolError

__all__ = [
    "JSON",
    "TEXT",
    "XML",
    "Receive",
    "Response",
    "Scope",
    "Send",
    "header",
    "json_response",
    "query",
    "read_body",
    "send_response",
]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

TEXT = b"text/plain; charset=utf-8"
XML = b"application/xml; charset=utf-8"
JSON = b"application/json"


class Response(NamedTuple):
    """A whole response; `outcome` labels it in the request counter (a tuple: one per request)."""

    status: int
    body: bytes
    content_type: bytes
    outcome: str


def json_response(status: int, payload: object, outcome: str) -> Response:
    """A JSON response."""
    return Response(status, json.dumps(payload, ensure_ascii=False).encode(), JSON, outcome)


def query(scope: Scope) -> dict[str, str]:
    """Query parameters (last one wins); WeChat's are plain, decode only when needed."""
    raw: bytes = scope["query_string"]
    out: dict[str, str] = {}
    if raw:
        for pair in raw.decode("latin-1").split("&"):
            key, _, value = pair.partition("=")
            out[key] = unquote_plus(value) if "%" in value or "+" in value else value
    return out


def header(scope: Scope, name: bytes) -> bytes | None:
    """First value of a (lower-case) request header."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body; 413 as soon as it is known to exceed `limit` bytes."""
    declared = header(scope, b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(413, f"body over {limit} bytes", "too_large")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ProtocolError(400, "client went away", "client_gone")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, f"body over {limit} bytes", "too_large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def send_response(send: Send, response: Response) -> None:
    """Send status, headers and body in two ASGI messages."""
    await send(
        {
            "type": "http.response.start",
            "status": response.status,
            "headers": [
                (b"content-type", response.content_type),
                (b"content-length", str(len(response.body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": response.body})
