"""The back end's settings: one frozen value, checked once, handed to every worker process.

Worker processes are started by uvicorn with the `spawn` method and build the app from an
import string, so the settings travel to them as JSON in one environment variable.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from loadtests.wechat.safe_mode import aes_key_bytes
from sim.errors import OptionError, Problem

__all__ = ["CONFIG_ENV", "BackendConfig"]

CONFIG_ENV = "FANSIM_BACKEND_CONFIG"


@dataclass(frozen=True)
class BackendConfig:
    """Everything a worker needs; `check()` turns bad flags into an OptionError (exit 2)."""

    db: str
    token: str
    scenario: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    aes_key: str | None = None
    app_id: str | None = None
    platform_url: str | None = None
    max_pending: int = 1000
    synchronous: str = "full"
    max_body_bytes: int = 65_536
    outbox_poll_seconds: float = 0.1

    def check(self) -> None:
        """Every bad flag at once, each naming the flag, the value and the rule."""
        problems: list[Problem] = []
        if not self.token:
            problems.append(Problem("--token", "must not be empty", self.token, True))
        if not 0 <= self.port <= 65535:
            problems.append(Problem("--port", "must be 0-65535", self.port, True))
        if self.workers < 1:
            problems.append(Problem("--workers", "must be >= 1", self.workers, True))
        if self.max_pending < 0:
            problems.append(Problem("--max-pending", "must be >= 0", self.max_pending, True))
        if self.synchronous not in ("full", "normal"):
            problems.append(
                Problem("--synchronous", "must be full or normal", self.synchronous, True)
            )
        if self.aes_key is not None:
            if aes_key_bytes(self.aes_key) is None:
                problems.append(
                    Problem(
                        "--aes-key",
                        "must be WeChat's 43-character EncodingAESKey (base64 of 32 bytes)",
                        self.aes_key,
                        True,
                    )
                )
            if not self.app_id:
                problems.append(Problem("--app-id", "is required with --aes-key"))
        if self.platform_url is not None and not self.platform_url.startswith(
            ("http://", "https://")
        ):
            problems.append(
                Problem("--platform-url", "must be an http(s) URL", self.platform_url, True)
            )
        if not Path(self.db).parent.is_dir():
            problems.append(Problem("--db", "folder does not exist", self.db, True))
        if problems:
            raise OptionError(problems, "fansim backend")

    def to_env(self) -> str:
        """JSON for `CONFIG_ENV`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> BackendConfig:
        """The settings the runner put into the environment."""
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise RuntimeError(f"{CONFIG_ENV} is not set; start the back end with fansim backend")
        return cls(**json.loads(text))
