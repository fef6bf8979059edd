"""The back end's settings: one frozen value, checked once, handed to every worker process.

Worker processes are started by uvicorn with the `spawn` method and build the app from an
import string, so the settings travel to them as JSON in one environment variable.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from loadtests.wechat.safe_mode import aes_key_bytes
from sim.errors import OptionError, Problem

__all__ = ["CONFIG_ENV", "BackendConfig", "StartupError"]

CONFIG_ENV = "FANSIM_BACKEND_CONFIG"
SOURCE = "fansim backend"
_TOKEN = re.compile(r"[!-~]{3,128}")
_TOKEN_RULE = "must be 3-128 visible ASCII characters, no spaces"
_AGENT = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class StartupError(OptionError):
    """A setting or the environment stops the server from starting: one line per problem.

    Each line names the option (or environment variable) and the problem, so an operator
    reading a process manager's log sees the fix at once; the CLI exits 2.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems, SOURCE)
        self.message = "\n".join(f"{SOURCE}: {p}" for p in self.problems)

    @classmethod
    def one(cls, option: str, problem: str, value: object = None) -> StartupError:
        """The error of one problem, with the value shown when given."""
        return cls([Problem(option, problem, value, value is not None)])


@dataclass(frozen=True)
class BackendConfig:
    """Everything a worker needs; `check()` turns bad flags into a StartupError (exit 2)."""

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
    header_timeout: float = 10.0
    keep_alive_timeout: int = 5
    max_connections: int = 4096
    max_header_bytes: int = 16_384
    wal_size_limit: int = 16 * 1024 * 1024
    agent_tokens: tuple[str, ...] = ()
    agents_token: str | None = None
    max_clock_skew: float | None = None
    encrypted_only: bool = False
    metrics_token: str | None = None

    def check(self) -> None:
        """Every bad flag at once, each naming the flag, the value and the rule."""
        problems: list[Problem] = []

        def bad(flag: str, rule: str, value: object) -> None:
            problems.append(Problem(flag, rule, value, True))

        if not _TOKEN.fullmatch(self.token):
            bad("--token", _TOKEN_RULE, self.token)
        if not 0 <= self.port <= 65535:
            bad("--port", "must be 0-65535", self.port)
        if self.workers < 1:
            bad("--workers", "must be >= 1", self.workers)
        if self.max_pending < 0:
            bad("--max-pending", "must be >= 0", self.max_pending)
        if self.synchronous not in ("full", "normal"):
            bad("--synchronous", "must be full or normal", self.synchronous)
        for flag, value, low in (
            ("--header-timeout", self.header_timeout, 0.1),
            ("--keep-alive-timeout", self.keep_alive_timeout, 1),
            ("--max-connections", self.max_connections, 1),
            ("--max-header-bytes", self.max_header_bytes, 1024),
            ("--wal-size-limit", self.wal_size_limit, 65_536),
        ):
            if not value >= low:
                bad(flag, f"must be >= {low}", value)
        if self.max_clock_skew is not None and not self.max_clock_skew > 0:
            bad("--max-clock-skew", "must be > 0 seconds", self.max_clock_skew)
        self._check_safe_mode(problems)
        self._check_credentials(problems)
        if self.platform_url is not None and not self.platform_url.startswith(
            ("http://", "https://")
        ):
            bad("--platform-url", "must be an http(s) URL", self.platform_url)
        path = Path(self.db)
        if path.is_dir():
            bad("--db", "is a folder, not a database file", self.db)
        elif not path.parent.is_dir():
            bad("--db", "folder does not exist", self.db)
        if problems:
            raise StartupError(problems)

    def _check_safe_mode(self, problems: list[Problem]) -> None:
        if self.aes_key is not None:
            if aes_key_bytes(self.aes_key) is None:
                rule = "must be WeChat's 43-character EncodingAESKey (base64 of 32 bytes)"
                problems.append(Problem("--aes-key", rule, self.aes_key, True))
            if not self.app_id:
                problems.append(Problem("--app-id", "is required with --aes-key"))
        elif self.encrypted_only:
            problems.append(Problem("--encrypted-only", "needs --aes-key and --app-id"))

    def _check_credentials(self, problems: list[Problem]) -> None:
        tokens = {self.token: "--token"}
        named: list[tuple[str, str | None]] = [
            ("--agents-token", self.agents_token),
            ("--metrics-token", self.metrics_token),
        ]
        for entry in self.agent_tokens:
            name, _, secret = entry.partition("=")
            if not _AGENT.fullmatch(name):
                rule = "must be NAME=TOKEN, NAME of letters, digits, '_', '.', '-'"
                problems.append(Problem("--agent-token", rule, name, True))
            named.append(("--agent-token", secret))
        for flag, token in named:
            if token is None:
                continue
            if not _TOKEN.fullmatch(token):
                problems.append(Problem(flag, _TOKEN_RULE, token, True))
            elif token in tokens:
                rule = f"must differ from {tokens[token]}'s (one credential, one use)"
                problems.append(Problem(flag, rule))
            tokens[token] = flag

    def agent_credentials(self) -> dict[str, str]:
        """Per-agent tokens: token -> the agent's name, bound to it."""
        return {t: n for n, _, t in (e.partition("=") for e in self.agent_tokens)}

    def agents_line(self) -> str:
        """Which agent credentials are in force, for the start-up line.

        No secrets, and no colon: the line's last colon precedes the port.
        """
        names = sorted(self.agent_credentials().values())
        parts = []
        if names:
            parts.append(f"per-agent tokens for {', '.join(names)} (--agent-token)")
        if self.agents_token is not None:
            parts.append("a team token (--agents-token)")
        if not parts:
            return "agent API off, no --agents-token or --agent-token given"
        return f"agent API on with {' and '.join(parts)}"

    def to_env(self) -> str:
        """JSON for `CONFIG_ENV`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> BackendConfig:
        """The settings the runner put into the environment."""
        text = os.environ.get(CONFIG_ENV)
        if not text:
            raise RuntimeError(f"{CONFIG_ENV} is not set; start the back end with fansim backend")
        values = json.loads(text)
        values["agent_tokens"] = tuple(values["agent_tokens"])
        return cls(**values)
