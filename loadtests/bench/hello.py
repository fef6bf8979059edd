"""The benchmark's ceiling: a hello-world ASGI app served exactly like the back end.

It reads the body and answers `success`, nothing else, through the same runner (uvicorn,
uvloop, httptools, the same worker count and settings), so the ratio of the back end's
throughput to this one's is the cost of the back end's own work on this machine today.
Run: `python -m loadtests.bench.hello --port 0 --workers N --db PATH` (the database is only
created, never written).
"""

from __future__ import annotations

import argparse
import sys

from loadtests.backend.asgi import TEXT, Receive, Response, Scope, Send, read_body, send_response
from loadtests.backend.config import BackendConfig
from loadtests.backend.heap import settle_heap
from loadtests.backend.runner import serve

__all__ = ["HelloApp", "create_app", "main"]


class HelloApp:
    """Answers every HTTP request 200 `success` after reading its body."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry; the lifespan settles the heap as the back end's does."""
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                settle_heap()
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await read_body(scope, receive, 65_536)
        await send_response(send, Response(200, b"success", TEXT, "hello"))


def create_app() -> HelloApp:
    """The uvicorn factory (same shape as the back end's)."""
    return HelloApp()


def main(argv: list[str] | None = None) -> int:
    """Serve the hello-world app until SIGINT/SIGTERM."""
    p = argparse.ArgumentParser(prog="python -m loadtests.bench.hello")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--db", required=True)
    args = p.parse_args(argv)
    config = BackendConfig(db=args.db, token="hello", port=args.port, workers=args.workers)
    return serve(config, app="loadtests.bench.hello:create_app")


if __name__ == "__main__":
    sys.exit(main())
