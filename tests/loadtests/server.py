"""Start `fansim backend` as a real process on 127.0.0.1 and talk to it like the platform."""

from __future__ import annotations

import http.client
import json
import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.wechat.callbacks import callback_query, text_xml

TOKEN = "fansim-test-token"
AGENTS_TOKEN = "fansim-test-agents"  # pass ("--agents-token", AGENTS_TOKEN) to use the agent API
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
START_TIMEOUT = 20.0


@dataclass
class Backend:
    """A running server: its process, port and database."""

    proc: subprocess.Popen[str]
    port: int
    db: Path
    tmp: Path
    first_line: str
    output: str = field(default="")

    def conn(self, timeout: float = 10.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def callback_path(self, timestamp: str = "1365480000", nonce: str = "n0", **extra: str) -> str:
        return "/wechat?" + callback_query(TOKEN, timestamp, nonce, **extra)

    def send_text(self, fan: str, content: str, msg_id: int | str) -> tuple[int, bytes]:
        body = text_xml(fan, content, msg_id, 1365480000)
        return self.request("POST", self.callback_path(), body)

    def agent(self, action: str, **payload: Any) -> tuple[int, Any]:
        status, body = self.request(
            "POST",
            f"/agent/{action}",
            json.dumps(payload).encode(),
            {"Authorization": f"Bearer {AGENTS_TOKEN}", "Content-Type": "application/json"},
        )
        return status, (json.loads(body) if body else None)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def metrics(self) -> dict[str, float]:
        status, body = self.request("GET", "/metrics")
        assert status == 200
        values: dict[str, float] = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def signal_group(self, sig: int) -> None:
        os.killpg(self.proc.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal the whole group, wait; SIGKILL if it does not stop in time."""
        if self.proc.poll() is None:
            self.signal_group(sig)
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            out, _ = self.proc.communicate(timeout=10)
        self.output = self.first_line + (out or "")
        return self.proc.returncode


def start_backend(
    tmp: Path,
    *args: str,
    workers: int = 1,
    db: Path | None = None,
    hello: bool = False,
    cpus: str | None = None,
    healthy: bool = True,
) -> Backend:
    """`fansim backend --port 0` in its own process group; returns once /healthz answers 200.

    `hello` starts the hello-world baseline instead; `cpus` pins the server (taskset list);
    `healthy=False` returns at /healthz's first answer, whatever it is (a degraded start).
    """
    db = db or tmp / "backend.sqlite3"
    env = dict(os.environ, TMPDIR=str(tmp))  # the metrics folder lands here, even after kill -9
    pin = ["taskset", "-c", cpus] if cpus else []
    if hello:
        cmd = [*pin, sys.executable, "-m", "loadtests.bench.hello", "--db", str(db)]
    else:
        cmd = [*pin, sys.executable, "-m", "sim", "backend", "--db", str(db), "--token", TOKEN]
    cmd += ["--port", "0", "--workers", str(workers), *args]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + START_TIMEOUT
    line = _first_line(proc, deadline)
    port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
    backend = Backend(proc, port, db, tmp, line)
    while True:
        try:
            if backend.request("GET", "/healthz")[0] == 200 or not healthy:
                return backend
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            backend.stop(signal.SIGKILL)
            raise RuntimeError(f"backend did not become healthy: {backend.output}")
        time.sleep(0.05)


def _first_line(proc: subprocess.Popen[str], deadline: float) -> str:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        while time.monotonic() < deadline:
            if sel.select(timeout=0.1):
                line = proc.stdout.readline()
                if "listening on" in line:
                    return line
                if not line:
                    break
    finally:
        sel.close()
    proc.kill()
    out = proc.communicate(timeout=10)[0]
    raise RuntimeError(f"backend did not start: {out}")


def post_many(
    backend: Backend,
    msg_ids: list[int],
    content: str = "小米3",
    threads: int = 8,
    acked: set[int] | None = None,
    refused: set[int] | None = None,
) -> set[int]:
    """POST one text message per id over keep-alive connections; the ids answered 200.

    Adds to `acked` as answers arrive (another thread may watch it), to `refused` the ids
    answered 5xx, and stops quietly when the server goes away (the kill -9 test).
    """
    acked = set() if acked is None else acked
    refused = set() if refused is None else refused
    lock = threading.Lock()
    path = backend.callback_path()

    def worker(ids: list[int]) -> None:
        conn = backend.conn(timeout=10)
        try:
            for msg_id in ids:
                conn.request("POST", path, body=text_xml(f"fan{msg_id % 97}", content, msg_id, 1))
                response = conn.getresponse()
                response.read()
                with lock:
                    if response.status == 200:
                        acked.add(msg_id)
                    elif response.status >= 500:
                        refused.add(msg_id)
        except (OSError, http.client.HTTPException):
            return
        finally:
            conn.close()

    pool = [threading.Thread(target=worker, args=(msg_ids[i::threads],)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=60)
    return acked


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition the server reaches in the background (outbox delivery), bounded."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def stream_in_background(
    backend: Backend, messages: int, until_acked: int
) -> tuple[threading.Thread, set[int]]:
    """Start posting `messages` messages in a thread; return once `until_acked` got a 200."""
    acked: set[int] = set()
    ids = list(range(1, messages + 1))
    stream = threading.Thread(target=post_many, args=(backend, ids), kwargs={"acked": acked})
    stream.start()
    wait_for(lambda: len(acked) >= until_acked or not stream.is_alive(), timeout=30)
    return stream, acked
