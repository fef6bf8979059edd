"""Group commit: one thread owns the SQLite write connection and commits requests in batches.

Why: a request may be acknowledged only once the transaction holding its message has committed,
and a commit (with `synchronous=FULL` an fsync of the WAL) costs far more than an insert. The
writer takes every job waiting when it becomes free, runs them in one transaction and commits
once, so under load many requests share one commit and durability does not cost throughput;
when idle a job commits alone at once (no timer, no added latency). Results go back to the
event loop in one callback per batch.

Jobs are plain functions of the connection. If one raises, the batch is rolled back and its
jobs re-run one transaction each, so a bad job fails alone and nothing half-done is committed.
Across worker processes each has its own writer; SQLite's write lock (with a busy timeout)
orders their transactions, which is what makes agent claims exclusive.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["GroupCommitWriter"]

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
_Item = tuple[Job, "asyncio.Future[Any]"]
_Outcome = tuple[bool, Any]


class GroupCommitWriter:
    """Runs jobs on a private connection, many per transaction; `submit` awaits the commit."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], max_batch: int = 2048) -> None:
        self._connect = connect
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending = 0
        self.batches = 0

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet committed (the work waiting in this process)."""
        return self._pending

    def start(self) -> None:
        """Start the thread; call from the event loop that will await the results."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="sqlite-group-commit", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue a job; the future resolves after the transaction holding it has committed."""
        if self._loop is None:
            raise RuntimeError("writer not started")
        fut: asyncio.Future[T] = self._loop.create_future()
        self._pending += 1
        self._queue.put((job, fut))
        return fut

    def close(self) -> None:
        """Commit what is queued, then stop the thread (blocks until it has)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn = self._connect()
        try:
            stop = False
            while not stop:
                first = self._queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < self._max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        stop = True
                        break
                    batch.append(item)
                outcomes = self._commit(conn, [job for job, _ in batch])
                self.batches += 1
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._resolve, batch, outcomes)
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, jobs: list[Job]) -> list[_Outcome]:
        """All jobs in one transaction; on any failure, each in its own."""
        try:
            conn.execute("BEGIN IMMEDIATE")
            results = [job(conn) for job in jobs]
            conn.execute("COMMIT")
            return [(True, r) for r in results]
        except Exception as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if len(jobs) == 1:
                return [(False, exc)]
        return [self._commit(conn, [job])[0] for job in jobs]

    def _resolve(self, batch: list[_Item], outcomes: list[_Outcome]) -> None:
        self._pending -= len(batch)
        for (_, fut), (ok, value) in zip(batch, outcomes, strict=True):
            if fut.cancelled():
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)
