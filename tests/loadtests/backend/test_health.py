"""A full disk: nothing acknowledged is lost, /healthz says why, recovery without a restart.

A real filesystem fills up: a small tmpfs (needs root and mount; skipped otherwise). The
in-process checks below it cover the health states without one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.backend.health import Health
from tests.loadtests.server import Backend, post_many, start_backend, wait_for

WAL_LIMIT = 1 << 20


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(disk)]
    if os.geteuid() != 0 or subprocess.run(mount, capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    """Write a file until the filesystem is full; the file."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for chunk in (1 << 20, 4096, 512):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def health(server: Backend) -> tuple[int, str]:
    status, body = server.request("GET", "/healthz")
    return status, body.decode()


def stored_ids(server: Backend) -> set[int]:
    return {int(k[2:]) for (k,) in server.query("SELECT dedup_key FROM messages")}


def test_disk_full_loses_nothing_acknowledged_and_recovers_without_a_restart(
    tmp_path: Path, small_disk: Path
) -> None:
    db = small_disk / "backend.sqlite3"
    args = ("--wal-size-limit", str(WAL_LIMIT), "--synchronous", "normal")
    server = start_backend(tmp_path, *args, db=db)
    acked: set[int] = set()
    try:
        post_many(server, list(range(1, 2001)), acked=acked)
        assert len(acked) == 2000 and health(server) == (200, "ok")
        filler = fill(small_disk)
        # Nothing refuses on the free-space poll: a commit succeeds while it fits in WAL pages
        # already on the disk, so how many callbacks are acknowledged (and must survive) before
        # refusals start depends on the machine's load (none alone here, 2,495 of 4,000 in one
        # CI run). Batches go on until one is refused, at most 3.
        refused: set[int] = set()
        for first in (2001, 6001, 10001):
            batch = list(range(first, first + 4000))
            post_many(server, batch, acked=acked, refused=refused)
            assert set(batch) <= acked | refused, "a callback got no answer, or not 200 or 5xx"
            if refused:
                break
        assert refused, "no callback was refused (5xx) while the disk was full"
        status, why = health(server)
        assert status == 503 and "disk: " in why, why
        filler.unlink()  # space returns; no restart
        wait_for(lambda: health(server) == (200, "ok"), timeout=40)
        assert len(post_many(server, list(range(20001, 40001)))) == 20_000
        acked |= set(range(20001, 40001))
        wal = Path(f"{db}-wal")  # checkpointed and cut back once idle, with no commit after
        wait_for(lambda: wal.stat().st_size <= WAL_LIMIT, timeout=10)
        assert stored_ids(server) >= acked
        assert server.query("PRAGMA integrity_check") == [("ok",)]
        m = server.metrics()
        assert m["fansim_messages_acknowledged_total"] == len(acked)
    finally:
        assert server.stop() == 0
    # A restart on a full disk: one line and exit 2, or a degraded start that says why.
    fill(small_disk)
    cmd = [sys.executable, "-m", "sim", "backend", "--db", str(db), "--token", "tok"]
    cmd += ["--port", "0", *args]
    env = dict(os.environ, TMPDIR=str(tmp_path))
    pipe = subprocess.PIPE
    proc = subprocess.Popen(
        cmd, stdout=pipe, stderr=pipe, text=True, env=env, start_new_session=True
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        if not first:
            assert proc.wait(timeout=20) == 2
            assert proc.stderr is not None
            lines = proc.stderr.read().splitlines()
            assert len(lines) == 1 and lines[0].startswith("fansim backend: --db: "), lines
            assert "(0 bytes free on its filesystem)" in lines[0]
        else:
            port = int(first.rsplit(":", 1)[1].split("/", 1)[0])
            degraded = Backend(proc, port, db, tmp_path, first)  # type: ignore[arg-type]
            wait_for(lambda: _answers(degraded), timeout=20)
            status, why = health(degraded)
            assert status == 503 and "disk: " in why
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)


def _answers(server: Backend) -> bool:
    with contextlib.suppress(OSError):
        server.request("GET", "/healthz")
        return True
    return False


def test_health_lists_each_failing_part_until_it_clears() -> None:
    h = Health()
    assert h.report() == (True, "ok")
    h.fail("disk", "12 bytes free")
    h.fail("commit", "database or disk is full")
    assert h.failing("commit")
    assert h.report() == (False, "commit: database or disk is full\ndisk: 12 bytes free\n")
    h.clear("commit")
    h.clear("commit")  # clearing a part that is fine is a no-op
    h.clear("disk")
    assert h.report() == (True, "ok") and not h.failing("commit")
