"""The group-commit writer in-process: batching, a failing job failing alone, close flushes."""

import asyncio
import sqlite3
import time
from pathlib import Path

import pytest

from loadtests.backend import store
from loadtests.backend.health import Health
from loadtests.backend.writer import (
    OVERGROWN,
    Checkpointer,
    GroupCommitWriter,
    _mode,
    backoff,
)


def connect(db: Path) -> sqlite3.Connection:
    return store.connect(str(db), "full", autocheckpoint=False)


def insert(value: int):  # type: ignore[no-untyped-def]
    def job(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (?)", (value,))
        if value == 13:
            raise ValueError("unlucky")
        return value

    return job


def test_concurrent_jobs_share_commits_and_a_failing_job_fails_alone(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    sqlite3.connect(db).execute("CREATE TABLE t (v INTEGER)").connection.close()

    seen: list[int] = []  # after_commit's view: results of committed transactions only
    counted_first: list[bool] = []

    def check_counted(fut: asyncio.Future[int]) -> None:
        if not fut.exception():
            counted_first.append(fut.result() in seen)

    async def scenario() -> list[object]:
        writer = GroupCommitWriter(lambda: connect(db), after_commit=seen.extend)
        writer.start()
        futures = [writer.submit(insert(v)) for v in range(100)]
        for fut in futures:
            fut.add_done_callback(check_counted)
        assert writer.pending == 100
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert writer.pending == 0
        late = writer.submit(insert(1000))
        writer.close()  # commits what is still queued
        await asyncio.sleep(0)  # let the last resolution callback run
        results.append(await late)
        return results

    results = asyncio.run(scenario())
    assert isinstance(results[13], ValueError)
    assert [r for i, r in enumerate(results) if i != 13] == [*range(13), *range(14, 100), 1000]
    stored = {v for (v,) in sqlite3.connect(db).execute("SELECT v FROM t")}
    assert stored == set(range(100)) - {13} | {1000}
    assert sorted(seen) == sorted(stored)  # the failed job's value is not reported
    assert counted_first == [True] * 99  # reported before the request was resolved


def test_submit_before_start_is_an_error(tmp_path: Path) -> None:
    writer = GroupCommitWriter(lambda: connect(tmp_path / "x.db"))
    with pytest.raises(RuntimeError, match="not started"):
        writer.submit(insert(1))


def test_checkpointer_empties_the_wal(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    conn = connect(db)
    conn.execute("CREATE TABLE t (v BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,) for _ in range(500)])
    wal = Path(f"{db}-wal")
    assert wal.stat().st_size > 1_000_000
    checkpointer = Checkpointer(lambda: store.connect(str(db)), every=0.01)
    checkpointer.start()
    checkpointer.close()
    conn.execute("INSERT INTO t VALUES (x'00')")  # the next write restarts the WAL
    frames = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames[1] <= 2  # only the last transaction's pages are in the WAL
    conn.close()


def test_items_of_one_kind_reach_their_batch_function_together(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    sqlite3.connect(db).execute("CREATE TABLE t (v INTEGER)").connection.close()
    calls: list[list[int]] = []

    def double(conn: sqlite3.Connection, items: list[int]) -> list[int]:
        calls.append(items)
        conn.executemany("INSERT INTO t VALUES (?)", [(v,) for v in items])
        return [2 * v for v in items]

    async def scenario() -> list[object]:
        writer = GroupCommitWriter(lambda: connect(db))
        writer.start()
        futures = [writer.submit_item(double, 1), writer.submit(insert(7))]
        futures += [writer.submit_item(double, v) for v in (2, 3)]
        results = await asyncio.gather(*futures)
        writer.close()
        return results

    assert asyncio.run(scenario()) == [2, 7, 4, 6]
    assert calls == [[1, 2, 3]]  # one call, in submission order, in one transaction
    assert sorted(v for (v,) in sqlite3.connect(db).execute("SELECT v FROM t")) == [1, 2, 3, 7]


def test_a_storage_failure_fails_the_batch_at_once_and_marks_health(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    sqlite3.connect(db).execute("CREATE TABLE t (v INTEGER)").connection.close()
    health = Health()
    runs: list[int] = []

    def job(value: int):  # type: ignore[no-untyped-def]
        def run(conn: sqlite3.Connection) -> int:
            runs.append(value)
            conn.execute("INSERT INTO t VALUES (?)", (value,))
            if value == 3:
                raise OSError(28, "No space left on device")
            return value

        return run

    async def scenario() -> list[object]:
        writer = GroupCommitWriter(lambda: connect(db), health=health)
        writer.start()
        failed = await asyncio.gather(
            *(writer.submit(job(v)) for v in range(5)), return_exceptions=True
        )
        assert health.failing("commit")
        ok = await writer.submit(job(7))
        writer.close()
        return [*failed, ok]

    results = asyncio.run(scenario())
    assert all(isinstance(r, OSError) for r in results[:5]) and results[5] == 7
    assert runs == [0, 1, 2, 3, 7], "not re-run one by one: the disk would fail them all"
    assert not health.failing("commit")  # the next commit cleared it
    assert [v for (v,) in sqlite3.connect(db).execute("SELECT v FROM t")] == [7]


def test_failing_checkpoints_are_retried_and_health_recovers(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    connect(db).close()
    health = Health()
    attempts: list[float] = []

    def flaky() -> sqlite3.Connection:
        attempts.append(time.monotonic())
        if len(attempts) <= 3:
            raise sqlite3.OperationalError("database or disk is full")
        return store.connect(str(db))

    checkpointer = Checkpointer(flaky, every=0.01, health=health, max_delay=0.05)
    checkpointer.start()
    deadline = time.monotonic() + 5
    while len(attempts) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    while health.failing("checkpoint") and time.monotonic() < deadline:
        time.sleep(0.01)
    checkpointer.close()
    assert len(attempts) == 4 and not health.failing("checkpoint")
    waits = [0.0]
    for _ in range(5):
        waits.append(backoff(waits[-1], 0.1, 1.0))
    assert waits == [0.0, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_the_wal_is_cut_back_to_its_limit_once_the_writer_is_idle(tmp_path: Path) -> None:
    """No commit follows the burst: the checkpointer makes the one that cuts the WAL back."""
    db = tmp_path / "l.db"
    limit = 256 * 1024
    conn = store.connect(str(db), autocheckpoint=False, wal_size_limit=limit)
    conn.execute("CREATE TABLE t (v BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,) for _ in range(60)])
    wal = Path(f"{db}-wal")
    # over its limit, not so far over that TRUNCATE (OVERGROWN x the limit) cuts it instead
    assert limit < wal.stat().st_size <= OVERGROWN * limit
    checkpointer = Checkpointer(lambda: store.connect(str(db), wal_size_limit=limit), every=0.01)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        while wal.stat().st_size > limit and time.monotonic() < deadline:
            time.sleep(0.01)
        assert wal.stat().st_size <= limit
        time.sleep(0.05)  # the file is cut inside that commit, before it is visible
        version = conn.execute("PRAGMA data_version").fetchone()
        time.sleep(0.2)  # then no more commits: the WAL is under its limit
        assert conn.execute("PRAGMA data_version").fetchone() == version
    finally:
        checkpointer.close()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (60,)
    conn.close()


MIB = 1 << 20


def test_the_wal_stays_bounded_under_a_burst_that_never_pauses(tmp_path: Path) -> None:
    """PASSIVE checkpoints never catch up with a writer that never stops: the WAL would grow
    until the disk is full; over OVERGROWN times its limit the checkpointer truncates it."""
    db = tmp_path / "b.db"
    limit = 64 * 1024
    conn = store.connect(str(db), "normal", autocheckpoint=False, wal_size_limit=limit)
    conn.execute("CREATE TABLE t (v BLOB)")
    wal = Path(f"{db}-wal")
    checkpointer = Checkpointer(lambda: store.connect(str(db), wal_size_limit=limit), every=0.01)
    checkpointer.start()
    written, largest = 0, 0
    try:
        while written < 4000:  # 16 MB of rows: not truncated, such a burst's WAL reached 50 MB
            conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,)] * 4)
            written += 4
            time.sleep(0.0005)  # a group commit's wait for the next requests
            largest = max(largest, wal.stat().st_size)
    finally:
        checkpointer.close()
    assert largest < 4 * MIB, (largest, written)  # measured: 0.8-1.2 MB
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (written,)
    conn.close()


def test_a_wal_without_a_size_limit_is_never_truncated(tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    conn = store.connect(str(db), autocheckpoint=False, wal_size_limit=-1)
    conn.execute("CREATE TABLE t (v BLOB)")
    conn.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,) for _ in range(100)])
    assert _mode(conn) == "PASSIVE"
    conn.execute("PRAGMA journal_size_limit=0")  # 0: cut back to nothing, no cap to exceed
    assert _mode(conn) == "PASSIVE"
    conn.execute("PRAGMA journal_size_limit=4096")
    assert _mode(conn) == "TRUNCATE"  # the same WAL, now far over 4 x its limit
    conn.close()
