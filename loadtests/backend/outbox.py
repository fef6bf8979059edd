"""Background work of each worker: answer deferred messages, deliver the outbox.

Messages stored under overload (`deferred`) get their keyword reply here, through the outbox, as
the customer-service API would carry it. The outbox goes to `--platform-url` as the API's JSON
(`touser`, `msgtype`, `text.content`); with no URL it is only stored. Rows are taken with a lease
inside a write transaction, so two workers never send the same row; a failed send is retried
with a growing delay, and a row whose sender died is retried when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from loadtests.backend import schema
from loadtests.backend.quietlog import QuietLog
from loadtests.backend.store import enqueue
from loadtests.backend.writer import GroupCommitWriter

__all__ = ["Background", "Due", "answer_deferred", "mark_delivered", "take_due"]

LEASE_SECONDS = 30.0
BATCH = 100
log = logging.getLogger("fansim.backend")


def answer_deferred(
    conn: sqlite3.Connection, reply_text: Callable[[str], str], now: float, limit: int = BATCH
) -> int:
    """Answer up to `limit` deferred messages through the outbox; returns how many."""
    rows = conn.execute(schema.ANSWER_DEFERRED, (now, limit)).fetchall()
    for message_id, fan, received_at, name in rows:
        enqueue(conn, message_id, fan, received_at, reply_text(name), now)
    return len(rows)


@dataclass(frozen=True, slots=True)
class Due:
    """One outbox row leased for sending."""

    id: int
    to_user: str
    content: str
    attempts: int


def take_due(conn: sqlite3.Connection, now: float, limit: int = BATCH) -> list[Due]:
    """Lease rows that are due (pending, or sending with an expired lease)."""
    rows = conn.execute(schema.TAKE_DUE, (now + LEASE_SECONDS, now, limit)).fetchall()
    return [Due(*r) for r in rows]


def mark_delivered(
    conn: sqlite3.Connection, sent: list[int], failed: list[Due], now: float
) -> None:
    """Record a sending round: sent rows done, failed rows back to pending with a backoff."""
    conn.executemany(schema.MARK_SENT, [(now, i) for i in sent])
    conn.executemany(
        schema.MARK_RETRY,
        [(now + min(60.0, 0.25 * 2.0**d.attempts), d.id) for d in failed],
    )


class Background:
    """The per-worker loop; `start()` in the lifespan startup, `stop()` at shutdown."""

    def __init__(
        self,
        writer: GroupCommitWriter,
        reply_text: Callable[[str], str],
        on_auto_answered: Callable[[int], None],
        platform_url: str | None,
        poll_seconds: float,
    ) -> None:
        self._writer = writer
        self._reply_text = reply_text
        self._on_auto_answered = on_auto_answered
        self._url = platform_url
        self._poll = poll_seconds
        self._task: asyncio.Task[None] | None = None
        self._log = QuietLog(log)

    def start(self) -> None:
        """Run the loop as a task of the current event loop."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Cancel the loop; leased rows are retried after their lease by a later start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            while True:
                try:
                    busy = await self._round(client)
                except (sqlite3.Error, httpx.HTTPError) as exc:
                    self._log.warn("round", f"background round failed: {exc}")
                    busy = False
                if not busy:
                    await asyncio.sleep(self._poll)

    async def _round(self, client: httpx.AsyncClient) -> bool:
        now = time.time()
        answered = await self._writer.submit(
            lambda conn: answer_deferred(conn, self._reply_text, now)
        )
        if answered:
            self._on_auto_answered(answered)
        if self._url is None:
            return answered > 0
        due = await self._writer.submit(lambda conn: take_due(conn, now))
        if due:
            oks = await asyncio.gather(*(self._send(client, d) for d in due))
            sent = [d.id for d, ok in zip(due, oks, strict=True) if ok]
            failed = [d for d, ok in zip(due, oks, strict=True) if not ok]
            done = time.time()
            await self._writer.submit(lambda conn: mark_delivered(conn, sent, failed, done))
        return answered > 0 or bool(due)

    async def _send(self, client: httpx.AsyncClient, due: Due) -> bool:
        assert self._url is not None
        body = {"touser": due.to_user, "msgtype": "text", "text": {"content": due.content}}
        try:
            response = await client.post(self._url, json=body)
        except httpx.HTTPError:
            return False
        return response.is_success
