"""`fansim backend`: check the settings and the environment, run uvicorn, stop cleanly.

Everything that can stop a start is checked here, before any worker exists, and reported as
one line naming the option and the problem (exit 2): bad flags, a database that is a folder,
not SQLite, read-only or unreachable, an address that cannot be bound (a busy port), a
temporary folder that cannot be written. The runner binds the socket itself (so `--port 0`
works and the real port is printed), raises its open-files limit as far as it is allowed (idle
connections each hold a file), gives the workers a private `PROMETHEUS_MULTIPROC_DIR` named
after its process id (removed at the end; those of dead runners, left by a kill -9, are removed
at the next start) and passes the settings through the environment. SIGINT and SIGTERM stop
it: uvicorn stops accepting, lets in-flight requests finish (up to 10 s), each worker commits
what its writer still holds, and the runner prints one line. uvicorn re-raises the signal it
caught once it has shut down; the runner's own handlers absorb that, so the exit is 0 and
without a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import re
import resource
import shutil
import signal
import socket
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from loadtests.backend import store
from loadtests.backend.config import CONFIG_ENV, BackendConfig, StartupError
from loadtests.backend.connections import protocol_for
from loadtests.backend.routing import load_classes

__all__ = ["APP", "METRICS_PREFIX", "serve"]

APP = "loadtests.backend.app:create_app"
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
METRICS_PREFIX = "fansim-metrics-"
_OWNED = re.compile(rf"{METRICS_PREFIX}(\d+)-")
_SPARE_FILES = 64
"""Open files kept free beside the connections: the database, its WAL, logs, metrics files."""


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set variables for the workers, restore the old values afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def serve(config: BackendConfig, app: str = APP) -> int:
    """Run until SIGINT/SIGTERM; StartupError (settings, environment) or ScenarioError: exit 2."""
    config.check()
    load_classes(config.scenario)  # a bad scenario fails here, with dotted paths, not in a worker
    open_database(config.db)
    config = dataclasses.replace(config, max_connections=_connection_cap(config.max_connections))
    sock = bind(config.host, config.port)
    stopped: list[str] = []

    def note(signum: int, frame: FrameType | None) -> None:
        stopped.append(signal.Signals(signum).name)

    try:
        metrics_dir = metrics_folder()
        try:
            uv = uvicorn.Config(
                app,
                factory=True,
                workers=config.workers,
                loop="uvloop",
                http=protocol_for(config),
                lifespan="on",
                log_level="warning",
                access_log=False,
                server_header=False,
                timeout_keep_alive=config.keep_alive_timeout,
                timeout_graceful_shutdown=10,
            )
            with _environment({METRICS_ENV: metrics_dir, CONFIG_ENV: config.to_env()}):
                host, port = sock.getsockname()[:2]
                print(
                    f"fansim backend: listening on http://{host}:{port}/wechat "
                    f"({config.workers} worker{'s' if config.workers > 1 else ''}, "
                    f"db {config.db}); {config.agents_line()}",
                    flush=True,
                )
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, note)
                if config.workers == 1:
                    uvicorn.Server(uv).run(sockets=[sock])
                else:
                    Multiprocess(uv, sockets=[sock]).run()
        finally:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    finally:
        sock.close()
    why = f" ({stopped[0]})" if stopped else ""
    print(f"fansim backend: stopped{why}", flush=True)
    return 0


def open_database(db: str) -> None:
    """Create the tables and prove a write transaction can start; StartupError if not."""
    try:
        store.initialize(db)
    except (sqlite3.Error, OSError) as exc:
        why = f"cannot be used as the database: {exc}"
        with contextlib.suppress(OSError):
            st = os.statvfs(os.path.dirname(os.path.abspath(db)))
            why += f" ({st.f_bavail * st.f_frsize:,} bytes free on its filesystem)"
        raise StartupError.one("--db", why, db) from None


def bind(host: str, port: int) -> socket.socket:
    """The listening socket (inherited by the workers); StartupError naming the flag."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        flag = "--port" if exc.errno in (errno.EADDRINUSE, errno.EACCES) else "--host"
        why = exc.strerror or str(exc)
        raise StartupError.one(flag, f"cannot listen on {host}:{port}: {why}") from None
    sock.set_inheritable(True)
    return sock


def metrics_folder() -> str:
    """A fresh folder for the workers' metrics files, after removing those of dead runners."""
    try:
        root = Path(tempfile.gettempdir())
        for folder in root.glob(f"{METRICS_PREFIX}*"):
            owner = _OWNED.match(folder.name)
            if owner is not None and not _alive(int(owner.group(1))):
                shutil.rmtree(folder, ignore_errors=True)
        return tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
    except OSError as exc:
        raise StartupError.one(
            "TMPDIR", f"cannot hold the metrics folder: {exc}", str(root)
        ) from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _connection_cap(wanted: int) -> int:
    """Raise the open-files limit towards `wanted` connections; the cap that then fits.

    Each connection holds a file descriptor: past the limit `accept` fails before the server
    sees the connection, and real callbacks fail with nothing logged. So the soft limit goes
    up to what is needed (at most the hard limit) and the cap stays below it.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = wanted + _SPARE_FILES
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            soft = new
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - _SPARE_FILES))
