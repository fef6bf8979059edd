"""WeChat's delivery rules for one message, in real time: deadline, redeliveries, outcome.

The platform waits `deadline` seconds for a valid reply; without one (timeout, connection
error, 5xx, a body that is not a reply) it delivers the same message again `deadline` seconds
after the previous delivery, `max_deliveries` times in all; then the message failed and
the fan saw 该公众号暂时无法提供服务. A reply that arrives after the deadline does not count: the
platform had already dropped the connection. The speed-up of a replay compresses arrivals,
never this deadline. WeChat's values (5 s, 3 deliveries) are written once, as the defaults of
the scenario's `[server]` (`sim.scenario.schema.ServerSpec`): callers pass them.

The loop takes its I/O, clock and sleep as arguments, so it runs under gevent in the locustfile
and under a fake clock in the tests, and `sim.model.server` follows the same rules (redelivery
one deadline after the previous delivery) so model and measurement are comparable. Times are
taken where the platform would take them: a delivery counts from the moment its request was
written (`Reply.written`), so time a client spends before writing (connecting, waiting for a
slot) is the generator's, never the back end's, and the next delivery leaves one deadline after
the previous one was written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

__all__ = [
    "AFTER_RETRY",
    "DROPPED",
    "FAILED",
    "IN_TIME",
    "OUTCOMES",
    "Attempt",
    "Delivered",
    "Reply",
    "deliver",
]

IN_TIME, AFTER_RETRY, FAILED, DROPPED = "in_time", "after_retry", "failed", "dropped"
OUTCOMES = (IN_TIME, AFTER_RETRY, FAILED, DROPPED)


class Reply(NamedTuple):
    """What a sender saw of one delivery."""

    status: int  # HTTP status; 0 when nothing usable came (timeout, connection error)
    valid: bool  # the body answers the message
    written: float | None = None  # clock time the request was written (None: when send began)
    cause: str = ""  # why it failed ("" when answered): see `loadtests.replay.net.sender`
    stale: int = 0  # idle keep-alive connections the server had closed, replaced first
    replied: bool = False  # the reply carried a message to the fan (not just `success`)


class Attempt(NamedTuple):
    """One delivery: when it began and left, how long until the response, what came.

    Named tuples here and in `Delivered`: one of each per message, thousands per second.
    """

    delivery: int  # 1 first, 2.. redeliveries
    sent: float  # clock time the request was written
    response: float  # seconds from written until the response's last byte or the error
    status: int  # HTTP status; 0 when nothing usable came (timeout, connection error)
    answered: bool  # a valid reply within the deadline
    started: float | None = None  # clock time the sender began (None: = sent)
    cause: str = ""  # why it did not answer ("" when it did)
    stale: int = 0  # stale keep-alive connections replaced before it was written
    replied: bool = False  # answered with a message to the fan (a passive reply)


class Delivered(NamedTuple):
    """What happened to one message."""

    attempts: tuple[Attempt, ...]
    outcome: str  # IN_TIME | AFTER_RETRY | FAILED

    @property
    def answered_at(self) -> float | None:
        """Clock time the answering reply came back, if any."""
        last = self.attempts[-1]
        return last.sent + last.response if last.answered else None


Send = Callable[[int], Reply]
"""Sends delivery d and says what came back."""

LATE = "late_reply"  # a valid reply after the deadline: the platform had given up


def deliver(
    send: Send,
    clock: Callable[[], float],
    sleep: Callable[[float], object],
    deadline: float,
    max_deliveries: int,
) -> Delivered:
    """Deliver one message until a valid reply within the deadline or `max_deliveries` tries.

    `send` must give up by itself at the deadline (a client timeout); a slower answer is
    treated as no answer here anyway.
    """
    if deadline <= 0 or max_deliveries < 1:
        raise ValueError(
            f"deadline(={deadline}) must be > 0, max_deliveries(={max_deliveries}) >= 1"
        )
    attempts: list[Attempt] = []
    for d in range(1, max_deliveries + 1):
        started = clock()
        reply = send(d)
        sent = started if reply.written is None else reply.written
        response = clock() - sent
        ok = reply.valid and response <= deadline
        cause = "" if ok else (LATE if reply.valid else reply.cause)
        attempts.append(
            Attempt(d, sent, response, reply.status, ok, started, cause, reply.stale,
                    ok and reply.replied)
        )  # fmt: skip
        if ok:
            return Delivered(tuple(attempts), IN_TIME if d == 1 else AFTER_RETRY)
        if d < max_deliveries:
            sleep(max(0.0, sent + deadline - clock()))
    return Delivered(tuple(attempts), FAILED)
