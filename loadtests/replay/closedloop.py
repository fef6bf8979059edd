"""Locust's own closed-loop user against the same endpoint, for comparison with the replay.

Each user sends a signed WeChat message and waits for the answer before the next one (at most
`--closed-rate` per second per user; 0: as fast as it can). This is what Locust measures by
default: under a stalling back end it sends less and reports better latencies than fans see
(coordinated omission). The benchmarks use it as the generator's ceiling on this machine.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, cast

from locust import FastHttpUser, constant, constant_throughput, events, task
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment

from loadtests.replay.platforms import Message, WeChat

__all__ = ["ClosedLoopUser"]


@events.init_command_line_parser.add_listener  # type: ignore[untyped-decorator]
def _options(parser: LocustArgumentParser) -> None:
    parser.add_argument("--closed-rate", type=float, default=0.0, help="per user; 0: no wait")
    parser.add_argument("--closed-token", default="fansim", help="WeChat callback token")


class ClosedLoopUser(FastHttpUser):
    """Send, wait for the reply, send again."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        o: Any = environment.parsed_options
        self.pace = constant_throughput(o.closed_rate) if o.closed_rate > 0 else constant(0)
        self.platform = WeChat(o.closed_token)
        self.ids = itertools.count(id(self) % 1_000_000 * 1_000_000)

    def wait_time(self) -> float:
        """Locust's own pacing (wait for the reply, then up to 1/rate)."""
        return float(self.pace(self))

    @task
    def send(self) -> None:
        """One signed text message."""
        m = Message(next(self.ids), "fan0000001", "hello", False, int(time.time()))
        out = self.platform.render(m, 1, int(time.time()))
        # bytes are sent as they are; Locust's annotation of `data` omits them
        body = cast(str, out.body)
        self.client.post(out.path, data=body, headers=out.headers, name="/wechat #1")
