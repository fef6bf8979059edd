"""WeChat's customer-service message API, the platform's side: who may be sent what, and when.

A back end answers a fan asynchronously by POSTing `{"touser": ..., "msgtype": ..., ...}` to
`/cgi-bin/message/custom/send`. The platform accepts it only inside the fan's service window
(48 hours after the fan's last message) and at most 5 times per window: after that it answers
errcode 45015 (out of the time limit) or 45047 (out of the count limit), and the fan sees
nothing. The replay plays this side on loopback (`loadtests.replay.net.stub`) so the report
can measure the answers a fan really receives. Pure: the clock is passed in (wall seconds; a
speed-up shortens the window with the rest of the scenario's time).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["OK", "OUT_OF_COUNT", "OUT_OF_TIME", "CustomerService", "Sent"]

OK, OUT_OF_TIME, OUT_OF_COUNT = 0, 45015, 45047
WINDOW_HOURS, PER_WINDOW = 48.0, 5


@dataclass(frozen=True)
class Sent:
    """One call of the API as the platform saw it."""

    at: float  # clock time
    fan: str
    msgtype: str
    errcode: int  # OK: delivered to the fan


@dataclass
class CustomerService:
    """The service windows of every fan, and the log of what back ends sent."""

    speedup: float = 1.0
    last_message: dict[str, float] = field(default_factory=dict)
    sent_since: dict[str, int] = field(default_factory=dict)
    log: list[Sent] = field(default_factory=list)

    def saw(self, fan: str, at: float) -> None:
        """A message from `fan` reached the platform: its window (re)opens."""
        self.last_message[fan] = at
        self.sent_since[fan] = 0

    def send(self, fan: str, msgtype: str, at: float) -> int:
        """A back end's call: the errcode the platform answers (OK: the fan gets it)."""
        last = self.last_message.get(fan)
        window = WINDOW_HOURS * 3600 / self.speedup
        if last is None or at - last > window:
            code = OUT_OF_TIME
        elif self.sent_since[fan] >= PER_WINDOW:
            code = OUT_OF_COUNT
        else:
            code = OK
            self.sent_since[fan] += 1
        self.log.append(Sent(at, fan, msgtype, code))
        return code
