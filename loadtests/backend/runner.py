"""`fansim backend`: check the settings, prepare the database, run uvicorn, stop cleanly.

The runner binds the socket itself (so `--port 0` works and the real port is printed), gives
the workers a private `PROMETHEUS_MULTIPROC_DIR` it removes at the end, and passes the settings
through the environment. SIGINT and SIGTERM stop it: uvicorn stops accepting, lets in-flight
requests finish (up to 10 s), each worker commits what its writer still holds, and the runner
prints one line. uvicorn re-raises the signal it caught once it has shut down; the runner's own
handlers absorb that, so the exit is 0 and without a traceback.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from loadtests.backend import store
from loadtests.backend.config import CONFIG_ENV, BackendConfig
from loadtests.backend.routing import load_classes

__all__ = ["APP", "serve"]

APP = "loadtests.backend.app:create_app"
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"


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
    """Run until SIGINT/SIGTERM; OptionError (bad settings) or ScenarioError: exit 2."""
    config.check()
    load_classes(config.scenario)  # a bad scenario fails here, with dotted paths, not in a worker
    store.initialize(config.db)
    stopped: list[str] = []

    def note(signum: int, frame: FrameType | None) -> None:
        stopped.append(signal.Signals(signum).name)

    with tempfile.TemporaryDirectory(prefix="fansim-metrics-") as metrics_dir:
        uv = uvicorn.Config(
            app,
            factory=True,
            host=config.host,
            port=config.port,
            workers=config.workers,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=10,
        )
        with _environment({METRICS_ENV: metrics_dir, CONFIG_ENV: config.to_env()}):
            sock = uv.bind_socket()
            host, port = sock.getsockname()[:2]
            print(
                f"fansim backend: listening on http://{host}:{port}/wechat "
                f"({config.workers} worker{'s' if config.workers > 1 else ''}, "
                f"db {config.db})",
                flush=True,
            )
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, note)
            try:
                if config.workers == 1:
                    uvicorn.Server(uv).run(sockets=[sock])
                else:
                    Multiprocess(uv, sockets=[sock]).run()
            finally:
                sock.close()
    why = f" ({stopped[0]})" if stopped else ""
    print(f"fansim backend: stopped{why}", flush=True)
    return 0
