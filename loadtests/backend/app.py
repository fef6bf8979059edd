"""The ASGI app: WeChat callbacks at `/wechat`, the agent API, `/metrics` and `/healthz`.

A callback is answered 200 only after the transaction holding its message has committed (the
group-commit writer); a redelivery gets the reply stored with the first delivery. Above
`max_pending` jobs waiting for the writer in this process, auto-replied messages are stored as
deferred and answered `success`; their reply goes through the outbox (`reply = "async"` in the
model). Bad input never reaches the database and never takes a worker down: 400 (malformed or
forbidden XML), 403 (signature, stale timestamp, plaintext in `--encrypted-only` mode), 413
(size), each counted by reason; 500 only for a storage failure (not acknowledged, so WeChat
retries), which `/healthz` reports until it clears.

Built per worker by `create_app()` from the settings in the environment (see `config`).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import os
import time
from types import MappingProxyType

from loadtests.backend import store
from loadtests.backend.agents import AgentApi
from loadtests.backend.asgi import (
    TEXT,
    XML,
    Receive,
    Response,
    Scope,
    Send,
    header,
    query,
    read_body,
    send_response,
)
from loadtests.backend.config import BackendConfig
from loadtests.backend.connections import GUARD, ConnectionGuard, Limits
from loadtests.backend.health import Health
from loadtests.backend.heap import settle_heap
from loadtests.backend.metrics import CONTENT_TYPE, Metrics
from loadtests.backend.outbox import Background
from loadtests.backend.quietlog import QuietLog
from loadtests.backend.routing import Router, load_classes
from loadtests.backend.writer import Checkpointer, GroupCommitWriter
from loadtests.wechat.protocol import ProtocolError, check_signature, parse_message, text_reply
from loadtests.wechat.safe_mode import SafeMode

__all__ = ["BackendApp", "create_app"]

log = logging.getLogger("fansim.backend")
_OUTCOMES = MappingProxyType(
    {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found"}
    | {405: "bad_method", 413: "too_large", 500: "error"}
)


_ENDPOINTS = frozenset({"/wechat", "/metrics", "/healthz"})


class BackendApp:
    """One worker's app; the lifespan starts and stops its writer and background task."""

    def __init__(self, config: BackendConfig) -> None:
        self.config = config
        self.router = Router(load_classes(config.scenario))
        self.safe = (
            SafeMode(config.token, config.aes_key, config.app_id or "") if config.aes_key else None
        )
        self.metrics = Metrics(config.db)
        self.health = Health()
        self._log = QuietLog(log)
        self.writer = GroupCommitWriter(
            functools.partial(
                store.connect,
                config.db,
                config.synchronous,
                autocheckpoint=False,
                wal_size_limit=config.wal_size_limit,
            ),
            after_commit=self._count_committed,
            health=self.health,
        )
        self.checkpointer = Checkpointer(
            functools.partial(store.connect, config.db, wal_size_limit=config.wal_size_limit),
            health=self.health,
            folder=os.path.dirname(os.path.abspath(config.db)),
            min_free=config.wal_size_limit,
        )
        self.agents = AgentApi(self.writer, config, self.metrics)
        self._metrics_auth = (
            None if config.metrics_token is None else b"Bearer " + config.metrics_token.encode()
        )
        self.background = Background(
            self.writer,
            self.router.reply_text,
            self.metrics.answered_auto.inc,
            config.platform_url,
            config.outbox_poll_seconds,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry: HTTP requests here (one coroutine fewer per request), the lifespan below."""
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._lifespan(scope, receive, send)
            return
        start = time.perf_counter()
        path: str = scope["path"]
        try:
            if path == "/wechat":  # the hot path
                response = await self._wechat(scope["method"], scope, receive)
            else:
                response = await self._route(path, scope, receive)
        except ProtocolError as exc:
            response = Response(
                exc.status, exc.reason.encode(), TEXT, _OUTCOMES.get(exc.status, "error")
            )
            self.metrics.reject(exc.code)
        except Exception as exc:  # storage or any bug: answer 500, keep the worker alive
            kind = type(exc).__name__
            self._log.warn(kind, f"{scope['method']} {path} failed: {kind}: {exc}")
            response = Response(500, b"internal error", TEXT, "error")
        await send_response(send, response)
        if path in _ENDPOINTS:
            endpoint = path
        else:
            endpoint = "/agent" if path.startswith("/agent/") else "other"
        self.metrics.observe(response.outcome, endpoint, time.perf_counter() - start)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                store.initialize(self.config.db)
                if "state" in scope:  # the connections' guard, counted in /metrics
                    c = self.config
                    limits = Limits(c.header_timeout, c.max_header_bytes, c.max_connections)
                    scope["state"][GUARD] = ConnectionGuard(limits, self.metrics.connection_closed)
                self.metrics.batch_with(asyncio.get_running_loop().call_soon)
                self.writer.start()
                self.checkpointer.start()
                self.background.start()
                settle_heap()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.background.stop()
                self.writer.close()  # commits whatever is still queued
                self.checkpointer.close()
                self.metrics.flush()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, path: str, scope: Scope, receive: Receive) -> Response:
        method: str = scope["method"]
        if path.startswith("/agent/"):
            if method != "POST":
                raise ProtocolError(405, "agent calls are POST", "bad_method")
            return await self.agents.handle(path[len("/agent/") :], scope, receive)
        if path == "/healthz":
            ok, text = self.health.report()
            return Response(
                200 if ok else 503, text.encode(), TEXT, "healthz" if ok else "unhealthy"
            )
        if path == "/metrics":
            if self._metrics_auth is not None and not hmac.compare_digest(
                header(scope, b"authorization") or b"", self._metrics_auth
            ):
                raise ProtocolError(
                    401, "/metrics needs Authorization: Bearer <--metrics-token>", "unauthorized"
                )
            return Response(200, self.metrics.exposition(), CONTENT_TYPE.encode(), "metrics")
        raise ProtocolError(404, "not found", "not_found")

    async def _wechat(self, method: str, scope: Scope, receive: Receive) -> Response:
        q = query(scope)
        timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
        if not check_signature(self.config.token, timestamp, nonce, q.get("signature", "")):
            raise ProtocolError(403, "bad signature", "bad_signature")
        skew = self.config.max_clock_skew
        if skew is not None and not _fresh(timestamp, skew):
            raise ProtocolError(403, f"timestamp more than {skew:g} s off", "stale_timestamp")
        if method == "GET":
            return Response(200, q.get("echostr", "").encode(), TEXT, "verified")
        if method != "POST":
            raise ProtocolError(405, "callbacks are GET (verification) or POST", "bad_method")
        body = await read_body(scope, receive, self.config.max_body_bytes)
        aes = q.get("encrypt_type") == "aes"
        if not aes and self.config.encrypted_only:
            raise ProtocolError(
                403, "plaintext callbacks are refused (--encrypted-only)", "plaintext"
            )
        if aes:
            if self.safe is None:
                raise ProtocolError(
                    400, "encrypt_type=aes but safe mode is off (--aes-key)", "aes_off"
                )
            body = self.safe.unwrap(body, timestamp, nonce, q.get("msg_signature", ""))
        msg = parse_message(body)
        decision = self.router.decide(msg)
        defer = self.writer.pending >= self.config.max_pending
        accepted: store.Accepted = await self.writer.submit_item(
            store.accept_many, (msg, decision, time.time(), defer)
        )
        if accepted.new:
            outcome = "deferred" if accepted.status == "deferred" else "success"
        else:
            outcome = "duplicate"
        if accepted.reply is None or accepted.reply_time is None:
            return Response(200, b"success", TEXT, outcome)
        reply = text_reply(msg, accepted.reply, accepted.reply_time)
        if aes:
            assert self.safe is not None
            reply = self.safe.wrap(reply, timestamp, nonce)
        return Response(200, reply.encode(), XML, "reply" if accepted.new else outcome)

    def _count_committed(self, results: list[object]) -> None:
        """Message counters for one committed transaction (writer thread, before answering)."""
        stored = duplicates = auto = 0
        for result in results:
            if isinstance(result, store.Accepted):
                if result.new:
                    stored += 1
                    auto += result.status == "answered"
                else:
                    duplicates += 1
        if stored or duplicates:
            self.metrics.count_committed(stored, duplicates, auto)


def _fresh(timestamp: str, skew: float) -> bool:
    """True if the callback's timestamp is within `skew` seconds of this machine's clock."""
    return timestamp.isdigit() and abs(time.time() - int(timestamp)) <= skew


def create_app() -> BackendApp:
    """The uvicorn factory: the app for this worker, from the runner's settings."""
    return BackendApp(BackendConfig.from_env())
