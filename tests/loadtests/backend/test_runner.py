"""Start-up faults: each is one line naming the option and the problem, exit 2, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.backend.runner import METRICS_PREFIX, metrics_folder


def start(argv: list[str], env: dict[str, str] | None = None) -> str:
    """`fansim backend ...` as a process that must fail at start (bounded); its one line."""
    cmd = [sys.executable, "-m", "sim", "backend", "--token", "tok", "--port", "0", *argv]
    done = subprocess.run(
        cmd, capture_output=True, text=True, timeout=60, env=dict(os.environ, **(env or {}))
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and not done.stdout, done.stderr
    return lines[0]


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder holding a database that cannot be written: a read-only mount as root."""
    folder = tmp_path / "ro"
    folder.mkdir()
    seed = folder / "db.sqlite3"
    if os.geteuid() != 0:
        seed.write_bytes(b"")
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        import sqlite3

        sqlite3.connect(seed).execute("CREATE TABLE t (x)").connection.close()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_db_that_is_a_folder(tmp_path: Path) -> None:
    line = start(["--db", str(tmp_path)])
    assert line == f"fansim backend: --db: is a folder, not a database file (got '{tmp_path}')"


def test_db_that_is_not_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("these are not the tables you are looking for\n" * 100)
    line = start(["--db", str(db)])
    assert line.startswith("fansim backend: --db: cannot be used as the database: ")
    assert "file is not a database" in line


def test_db_that_is_read_only(read_only_folder: Path) -> None:
    line = start(["--db", str(read_only_folder / "db.sqlite3")])
    assert line.startswith("fansim backend: --db: cannot be used as the database: ")
    assert "readonly" in line or "unable to open" in line


def test_db_in_a_missing_folder(tmp_path: Path) -> None:
    line = start(["--db", str(tmp_path / "no" / "db.sqlite3")])
    assert line.startswith("fansim backend: --db: folder does not exist")


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        argv = ["--db", str(tmp_path / "db.sqlite3"), "--port", str(port)]
        line = start(argv)
    assert line == (
        f"fansim backend: --port: cannot listen on 127.0.0.1:{port}: Address already in use"
    )


def test_host_that_is_not_here(tmp_path: Path) -> None:
    line = start(["--db", str(tmp_path / "db.sqlite3"), "--host", "192.0.2.1"])
    assert line.startswith("fansim backend: --host: cannot listen on 192.0.2.1:0: ")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--token", "a b"], "--token: must be 3-128 visible ASCII characters, no spaces"),
        (["--aes-key", "!" * 43, "--app-id", "wx1"], "--aes-key: must be WeChat's 43-character"),
        (["--agents-token", "tok"], "--agents-token: must differ from --token's"),
    ],
)
def test_bad_credentials(argv: list[str], expected: str, tmp_path: Path) -> None:
    line = start(["--db", str(tmp_path / "db.sqlite3"), *argv])
    assert line.startswith(f"fansim backend: {expected}")


def test_metrics_folders_of_dead_runners_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    dead = tmp_path / f"{METRICS_PREFIX}{int(gone.stdout)}-abc"
    live = tmp_path / f"{METRICS_PREFIX}{os.getppid()}-xyz"  # pytest's parent is alive
    other = tmp_path / f"{METRICS_PREFIX}somebody-else"  # not ours to judge
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "counter_1.db").write_bytes(b"x")
    mine = Path(metrics_folder())
    assert not dead.exists()
    assert live.exists() and other.exists()
    assert mine.name.startswith(f"{METRICS_PREFIX}{os.getpid()}-")
