"""Group commit: one thread owns the SQLite write connection and commits requests in batches.

Why: a request may be acknowledged only once the transaction holding its message has committed,
and a commit (with `synchronous=FULL` an fsync of the WAL) costs far more than an insert. The
writer takes every job waiting when it becomes free, runs them in one transaction and commits
once, so under load many requests share one commit and durability does not cost throughput;
when idle a job commits alone at once (no timer, no added latency). Results go back to the
event loop in one callback per batch.

Jobs submitted during one event-loop iteration reach the thread in one hand-over (waking a
thread is a context switch, which on a busy core cost more than the insert). Checkpoints run
in a thread of their own (`Checkpointer`), so no commit waits for the WAL to be copied back.

Jobs are plain functions of the connection (`submit`), or items for a batch function
(`submit_item`): all the items of one batch function in a transaction go to it in one call, so
the callbacks' inserts become a few multi-row statements instead of one statement, one Python
call and one GIL hand-off per message. If anything raises, the transaction is rolled back and
its jobs re-run one transaction each, so a bad job fails alone and nothing half-done is
committed.
`after_commit` sees the results of each committed transaction in the writer thread, before any
of its requests is answered: the app counts its metrics there, once per batch.

Storage failures (a full disk, an I/O error, a read-only or locked database) fail the whole
batch at once, since re-running its jobs one by one would fail the same way, and mark the
`commit` part of the worker's `Health` until a commit succeeds again. The thread never dies of
them: a connection that cannot be opened is retried with the next batch.
Across worker processes each has its own writer; SQLite's write lock (with a busy timeout)
orders their transactions, which is what makes agent claims exclusive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from loadtests.backend.health import Health

__all__ = ["BatchJob", "Checkpointer", "GroupCommitWriter", "backoff", "storage_failure"]

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
BatchJob = Callable[[sqlite3.Connection, list[Any]], list[Any]]
"""Runs many items in the open transaction; one result per item, in order."""
_Group = tuple[list[Any], list["asyncio.Future[Any]"]]
_Batch = dict[BatchJob, _Group]
"""Items and their futures by batch function, in the order the functions were first used."""
_Outcome = tuple[bool, Any]


def _run_jobs(conn: sqlite3.Connection, jobs: list[Job]) -> list[Any]:
    """The batch function of plain jobs: each on its own."""
    return [job(conn) for job in jobs]


log = logging.getLogger("fansim.backend")
_STORAGE = frozenset({5, 6, 8, 10, 11, 13, 14, 26})
"""SQLite's primary codes for BUSY, LOCKED, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB."""


def storage_failure(exc: BaseException) -> bool:
    """True if `exc` is the database or disk failing, not one job's data."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, OSError) or (code is not None and code & 0xFF in _STORAGE)


class GroupCommitWriter:
    """Runs jobs on a private connection, many per transaction; `submit` awaits the commit."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        max_batch: int = 4096,
        after_commit: Callable[[list[Any]], None] | None = None,
        health: Health | None = None,
    ) -> None:
        self._connect = connect
        self._after_commit = after_commit
        self._health = health or Health()
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Batch | None] = queue.SimpleQueue()
        self._gathered: _Batch = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending = 0

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
        return self.submit_item(_run_jobs, job)

    def submit_item(self, batch: BatchJob, item: Any) -> asyncio.Future[Any]:
        """Queue `item` for `batch`, which gets every item of its kind in the transaction."""
        if self._loop is None:
            raise RuntimeError("writer not started")
        fut: asyncio.Future[Any] = self._loop.create_future()
        self._pending += 1
        gathered = self._gathered
        if not gathered:
            self._loop.call_soon(self._hand_over)
        group = gathered.get(batch)
        if group is None:
            gathered[batch] = ([item], [fut])
        else:
            group[0].append(item)
            group[1].append(fut)
        return fut

    def _hand_over(self) -> None:
        """Pass the jobs of one loop iteration to the thread at once.

        One wake-up per iteration instead of per job: waking the thread is a context switch,
        and on a loaded core it cost more than the insert itself.
        """
        gathered, self._gathered = self._gathered, {}
        if gathered:  # empty when close() handed them over already
            self._queue.put(gathered)

    def close(self) -> None:
        """Commit what is queued, then stop the thread (blocks until it has)."""
        if self._thread is not None:
            if self._gathered:
                self._hand_over()
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            stop = False
            while not stop:
                batch = self._queue.get()
                if batch is None:
                    break
                size = sum(len(items) for items, _ in batch.values())
                while size < self._max_batch:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    size += _merge(batch, more)
                try:
                    if conn is None:
                        conn = self._connect()
                    outcomes = self._commit(conn, batch, size)
                except Exception as exc:  # cannot open the database: fail the batch, go on
                    self._health.fail("commit", f"cannot open the database: {exc}")
                    outcomes = [[(False, exc)] * len(items) for items, _ in batch.values()]
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._resolve, batch, outcomes, size)
        finally:
            if conn is not None:
                conn.close()

    def _commit(self, conn: sqlite3.Connection, batch: _Batch, size: int) -> list[list[_Outcome]]:
        """All `size` jobs in one transaction; on a job's failure, each in its own.

        The outcomes are one list per batch function, in the batch's order. A storage failure
        fails them all at once (see the module docstring).
        """
        try:
            conn.execute("BEGIN IMMEDIATE")
            results = [_run_batch(conn, fn, items) for fn, (items, _) in batch.items()]
            conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                # SQLite may have rolled back already, or the disk is gone
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            if storage_failure(exc):
                self._health.fail("commit", f"commits fail: {exc}")
                return [[(False, exc)] * len(items) for items, _ in batch.values()]
            if size == 1:
                return [[(False, exc)]]
        else:
            self._health.clear("commit")
            if self._after_commit is not None:
                try:
                    self._after_commit([r for group in results for r in group])
                except Exception:  # a counting bug must not stop the commits
                    log.exception("after_commit failed")
            return [[(True, r) for r in group] for group in results]
        return [
            [
                self._commit(conn, {fn: ([item], [fut])}, 1)[0][0]
                for item, fut in zip(*group, strict=True)
            ]
            for fn, group in batch.items()
        ]

    def _resolve(self, batch: _Batch, outcomes: list[list[_Outcome]], size: int) -> None:
        self._pending -= size
        for (_, futures), group in zip(batch.values(), outcomes, strict=True):
            for fut, (ok, value) in zip(futures, group, strict=True):
                if fut.cancelled():
                    continue
                if ok:
                    fut.set_result(value)
                else:
                    fut.set_exception(value)


def _merge(into: _Batch, more: _Batch) -> int:
    """Add `more`'s items to `into`; how many were added."""
    added = 0
    for fn, (items, futures) in more.items():
        group = into.get(fn)
        if group is None:
            into[fn] = (items, futures)
        else:
            group[0].extend(items)
            group[1].extend(futures)
        added += len(items)
    return added


def _run_batch(conn: sqlite3.Connection, fn: BatchJob, items: list[Any]) -> list[Any]:
    """`fn` on all its items; it must give one result per item."""
    out = fn(conn, items)
    if len(out) != len(items):
        raise RuntimeError(f"{fn.__name__} gave {len(out)} results for {len(items)} items")
    return out


def backoff(delay: float, every: float, max_delay: float) -> float:
    """The wait after a failure that followed a wait of `delay`: doubling from `every`."""
    return min(max_delay, max(delay, every) * 2)


class Checkpointer:
    """Copies the WAL into the database every `every` seconds from its own thread.

    PASSIVE checkpoints never block the writer, so commits do not wait for the database file's
    writes and syncs; the WAL restarts from its beginning with the first commit after a
    checkpoint has caught up, and is cut back to its size limit then (see `store.connect`).
    Under a burst the checkpoints lag, the WAL grows past the limit, and the commit that would
    cut it back may never come once the burst ends; so when a round finds the WAL caught up,
    unchanged since the last round (no commit in between: the writer is idle) and over its
    connection's `journal_size_limit`, it makes that commit itself (a one-page write). Under a
    burst that never pauses, PASSIVE checkpoints never catch up with the writer, the log never
    restarts and the WAL grows until the disk is full (a 24 MiB disk filled with a 1 MiB limit
    in 3 of 4 runs of the disk-full test); so a round that finds the WAL over `OVERGROWN` times
    its limit checkpoints with TRUNCATE instead: it waits (at most `TRUNCATE_WAIT_MS`) for the
    writer's transaction, holds the next one back while it copies and syncs, and empties the
    file; a TRUNCATE that finds it busy reports so and the next round tries again.
    Often and small: a checkpoint's sync of the database file delays the WAL syncs queued
    behind it on the disk; at 20k messages/s, checkpoints every 0.5 s held commits up for
    10-20 ms each time (the open loop's tail showed them), every 0.1 s for a few ms.

    A failing checkpoint (a full disk) is retried with a doubling delay up to `max_delay` and
    marks the `checkpoint` part of `health` until one succeeds; the thread never gives up, so
    checkpoints resume by themselves when space returns. Each round also checks the free space
    of the database's filesystem: under `min_free` bytes (room for one WAL at its size limit)
    the `disk` part is marked, before commits start failing.
    """

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        every: float = 0.1,
        health: Health | None = None,
        folder: str | None = None,
        min_free: int = 0,
        max_delay: float = 5.0,
    ) -> None:
        self._connect = connect
        self._every = every
        self._health = health or Health()
        self._folder = folder
        self._min_free = min_free
        self._max_delay = max_delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._last: tuple[int, int, int] | None = None
        """The last round's checkpoint result (busy, frames in the WAL, frames copied back)."""

    def start(self) -> None:
        """Start checkpointing."""
        self._thread.start()

    def close(self) -> None:
        """Run a last checkpoint and stop."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        delay = 0.0  # the first round at once: a restart on a full disk shows in /healthz
        try:
            while not self._stop.wait(delay):
                conn, ok = self._round(conn)
                delay = self._every if ok else backoff(delay, self._every, self._max_delay)
            self._round(conn)
        finally:
            if conn is not None:
                conn.close()

    def _round(self, conn: sqlite3.Connection | None) -> tuple[sqlite3.Connection | None, bool]:
        """One checkpoint and space check; the connection to keep and whether it worked."""
        self._check_space()
        try:
            if conn is None:
                conn = self._connect()
            done = _checkpoint(conn)
        except sqlite3.Error as exc:
            self._last = None
            self._health.fail("checkpoint", f"checkpoints fail: {exc}")
            return conn, False
        self._health.clear("checkpoint")
        last, self._last = self._last, done
        if self._health.failing("commit") or (last == self._last and _over_limit(conn, done)):
            self._commit_one_page(conn)
        return conn, True

    def _commit_one_page(self, conn: sqlite3.Connection) -> None:
        """Commit a one-page write (the header's unused user_version, rewritten as it is).

        While commits fail, this probes whether they work again; when the WAL is caught up,
        the commit restarts it, which cuts the file back to the connection's size limit.
        """
        try:
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
        except sqlite3.Error:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            return
        self._health.clear("commit")
        self._last = None

    def _check_space(self) -> None:
        if self._folder is None:
            return
        try:
            st = os.statvfs(self._folder)
        except OSError as exc:
            self._health.fail("disk", f"cannot read free space: {exc}")
            return
        free = st.f_bavail * st.f_frsize
        if free < self._min_free:
            self._health.fail(
                "disk",
                f"{free:,} bytes free under {self._folder}, less than one WAL"
                f" (--wal-size-limit {self._min_free:,})",
            )
        else:
            self._health.clear("disk")


OVERGROWN = 4
"""A WAL this many times its size limit is checkpointed with TRUNCATE, not PASSIVE."""


TRUNCATE_WAIT_MS = 50
"""How long a TRUNCATE checkpoint waits for the writer and readers before it reports busy: it
holds commits back while it waits, so briefly; a busy one is retried the next round."""


def _mode(conn: sqlite3.Connection) -> str:
    """TRUNCATE for a WAL over `OVERGROWN` times its size limit, else (or with none) PASSIVE."""
    limit = _wal_limit(conn)
    return "TRUNCATE" if limit > 0 and _wal_size(conn) > OVERGROWN * limit else "PASSIVE"


def _checkpoint(conn: sqlite3.Connection) -> tuple[int, int, int]:
    """One checkpoint in `_mode`'s mode: (busy, frames in the WAL, frames copied back)."""
    mode = _mode(conn)
    if mode == "PASSIVE":
        return _triple(conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
    (wait,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout={TRUNCATE_WAIT_MS}")
    try:
        return _triple(conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())
    finally:
        conn.execute(f"PRAGMA busy_timeout={int(wait)}")


def _triple(row: tuple[int, int, int]) -> tuple[int, int, int]:
    busy, frames, copied = row
    return int(busy), int(frames), int(copied)


def _wal_limit(conn: sqlite3.Connection) -> int:
    """The connection's `journal_size_limit` in bytes (negative: none)."""
    (limit,) = conn.execute("PRAGMA journal_size_limit").fetchone()
    return int(limit)


def _wal_size(conn: sqlite3.Connection) -> int:
    """The WAL file's size in bytes (0 if there is none)."""
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    try:
        return os.stat(f"{path}-wal").st_size
    except OSError:
        return 0


def _over_limit(conn: sqlite3.Connection, done: tuple[int, int, int]) -> bool:
    """True if every frame of the WAL is in the database and its file is over the size limit."""
    _, frames, copied = done
    if frames <= 0 or frames != copied:
        return False
    limit = _wal_limit(conn)
    return limit >= 0 and _wal_size(conn) > limit
