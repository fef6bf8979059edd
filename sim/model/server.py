"""The back-end server under WeChat's delivery rules, message by message and exact.

WeChat POSTs each fan message to the account's server and waits `deadline_seconds` (5) for the
reply; without one it drops the connection and delivers the same message (same MsgId) again,
`max_deliveries` (3) times in all, after which the fan sees 该公众号暂时无法提供服务. Here:

- the back end is `servers` = instances x workers identical workers in front of one FCFS queue
  with room for `queue_limit` waiting requests (a request finding it full is refused at once);
- a delivery gets no reply in time if it is refused or its response time (wait + service) is over
  the deadline; the platform then redelivers `deadline_seconds` after the previous delivery;
- the server does not know the platform gave up: a timed-out request is still processed, which
  is the work that retries multiply;
- with `dedup`, a worker recognises a MsgId it has already taken: it answers from the cache if
  the first copy is done, else replies "success" (stop retrying; the answer follows through the
  customer-service API), in `dedup_seconds`; without it, every copy is processed in full;
- with `background_workers` (asynchronous replies), every request is acknowledged with
  "success" after `ack_seconds` and the message's first acknowledged copy is queued for
  `background_workers` workers, whose answer goes out through the customer-service API: the
  deadline then only has to cover the acknowledgement, and the fan's real wait is the
  background queue's.

FCFS lets each request's start time be fixed when it arrives (a heap of worker free times), so
the engine needs no event list: retries are re-inserted in time order from a FIFO, since each is
exactly one deadline after an earlier delivery.

Monotonicity: without a waiting room (queue_limit 0) more workers never fail more messages on
the same random numbers (checked on 6,000 random cases). With a waiting room they can, rarely:
an extra worker lets a request in that then times out, and its wasted work delays others
(3 cases in 6,000; tests/model/test_server.py keeps one). Compare configurations over replications.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sim.scenario.schema import ServerSpec

__all__ = [
    "ANSWERED_AFTER_RETRY",
    "ANSWERED_IN_TIME",
    "FAILED",
    "REPLIES",
    "BackEnd",
    "Reply",
    "ServerRecords",
    "serve",
    "server_default",
]

ANSWERED_IN_TIME, ANSWERED_AFTER_RETRY, FAILED = 0, 1, 2
Reply = Literal["sync", "dedup", "async"]  # answer in the request; also cache MsgIds; ack only
REPLIES: tuple[Reply, ...] = ("sync", "dedup", "async")


def server_default(name: str) -> Any:
    """A `[server]` field's default: WeChat's rules are written once, in `ServerSpec`."""
    return ServerSpec.model_fields[name].default


@dataclass(frozen=True)
class BackEnd:
    """One instance and WeChat's rules: everything but how many instances and how they reply.

    Made from a scenario's `[server]` by `from_spec` (validated there, at load); built from
    loose values (the staffing planner's candidates) it checks the counts itself.
    """

    workers_per_instance: int
    queue_limit_per_instance: int = server_default("queue_limit_per_instance")
    deadline_seconds: float = server_default("deadline_seconds")
    max_deliveries: int = server_default("max_deliveries")
    dedup_seconds: float = server_default("dedup_seconds")
    ack_seconds: float = server_default("ack_seconds")
    background_workers_per_instance: int | None = None  # async; None: workers_per_instance

    def __post_init__(self) -> None:
        if self.workers_per_instance < 1:
            raise ValueError(f"workers_per_instance(={self.workers_per_instance}) must be >= 1")
        if not 1 <= self.max_deliveries <= 10:
            raise ValueError(f"max_deliveries(={self.max_deliveries}) must be in 1..10")
        background = self.background_workers_per_instance
        if background is not None and background < 1:
            raise ValueError(f"background_workers_per_instance(={background}) must be >= 1")

    @classmethod
    def from_spec(cls, spec: ServerSpec, workers: int | None = None) -> BackEnd:
        """The scenario's server settings; with `workers` per instance, a background pool as big."""
        if workers is not None:
            return cls(
                workers,
                spec.queue_limit_per_instance,
                spec.deadline_seconds,
                spec.max_deliveries,
                spec.dedup_seconds,
                spec.ack_seconds,
            )
        return cls(
            spec.workers_per_instance,
            spec.queue_limit_per_instance,
            spec.deadline_seconds,
            spec.max_deliveries,
            spec.dedup_seconds,
            spec.ack_seconds,
            spec.background_workers_per_instance,
        )

    @staticmethod
    def reply_of(spec: ServerSpec) -> Reply:
        """How a scenario's server replies (async acknowledges every copy, dedup or not)."""
        if spec.reply == "async":
            return "async"
        return "dedup" if spec.dedup else "sync"


@dataclass(frozen=True)
class ServerRecords:
    """Per message (input order) and per request (arrival order) results."""

    outcome: NDArray[np.int8]  # ANSWERED_IN_TIME | ANSWERED_AFTER_RETRY | FAILED
    deliveries: NDArray[np.int8]  # how many times the platform sent it
    answered_at: NDArray[np.float64]  # when the successful reply left (NaN if failed)
    request_time: NDArray[np.float64]  # arrival of each request at the back end
    request_message: NDArray[np.int64]
    request_delivery: NDArray[np.int8]  # 1 first, 2.. retries
    request_response: NDArray[np.float64]  # wait + service; NaN if refused
    request_refused: NDArray[np.bool_]
    deadline: float  # the platform's reply deadline these requests were held to

    @property
    def request_timed_out(self) -> NDArray[np.bool_]:
        """Requests accepted but answered after the deadline (the platform had given up)."""
        with np.errstate(invalid="ignore"):
            return ~self.request_refused & (self.request_response > self.deadline)


def serve(
    arrival: NDArray[np.float64],
    service: NDArray[np.float64],
    back_end: BackEnd,
    instances: int,
    reply: Reply = "sync",
    progress: Callable[[int, int], None] | None = None,
) -> ServerRecords:
    """Run sorted first deliveries `arrival` (s) through `instances` of `back_end`.

    `service` holds each message's service time (s), the same for every delivery of it (same
    content, same work); the caller draws it, so the same numbers serve every configuration
    (common random numbers). `progress(done, n)` hears every 65,536 first deliveries.
    """
    if instances < 1:
        raise ValueError(f"instances(={instances}) must be >= 1")
    # the hot loop below reads locals, not the value object's attributes
    servers = instances * back_end.workers_per_instance
    queue_limit = instances * back_end.queue_limit_per_instance
    deadline, max_deliveries = back_end.deadline_seconds, back_end.max_deliveries
    dedup, dedup_seconds, ack_seconds = (
        reply == "dedup",
        back_end.dedup_seconds,
        back_end.ack_seconds,
    )
    background_workers = None
    if reply == "async":
        per = back_end.background_workers_per_instance or back_end.workers_per_instance
        background_workers = instances * per
    n = len(arrival)
    if service.shape != (n,):
        raise ValueError(f"service must hold one time per message, shape ({n},)")
    asynchronous = background_workers is not None
    queued_behind = [False] * n  # async: the message is already in the background queue
    background: list[tuple[float, int]] = []
    free = [0.0] * servers  # heap of worker free times
    waiting: list[float] = []  # heap of start times of requests still waiting
    retries: deque[tuple[float, int, int]] = deque()
    inf = float("inf")
    outcome = [FAILED] * n
    deliveries = [0] * n
    answered_at = [float("nan")] * n
    first_done = [inf] * n  # when the first fully processed copy finishes (for dedup)
    r_time: list[float] = []
    r_msg: list[int] = []
    r_del: list[int] = []
    r_resp: list[float] = []
    r_ref: list[bool] = []
    svc = service.tolist()
    arr = arrival.tolist()
    heappush, heappop, heapreplace = heapq.heappush, heapq.heappop, heapq.heapreplace
    i = 0
    while i < n or retries:
        t_new = arr[i] if i < n else inf
        if retries and retries[0][0] <= t_new:
            t, m, d = retries.popleft()
        else:
            t, m, d = t_new, i, 1
            i += 1
            if progress is not None and not i & 0xFFFF:
                progress(i, n)
        deliveries[m] = d
        while waiting and waiting[0] <= t:
            heappop(waiting)
        r_time.append(t)
        r_msg.append(m)
        r_del.append(d)
        if len(waiting) >= queue_limit and free[0] > t:
            r_resp.append(np.nan)
            r_ref.append(True)
            ok = False
        else:
            # async: acknowledge only; sync: full work, or a cache check for a known MsgId
            full = not asynchronous and not (dedup and d > 1 and first_done[m] < inf)
            start = free[0] if free[0] > t else t
            if asynchronous:
                done = start + ack_seconds
                if not queued_behind[m]:
                    queued_behind[m] = True
                    background.append((done, m))
            else:
                done = start + (svc[m] if full else dedup_seconds)
            heapreplace(free, done)
            if start > t:
                heappush(waiting, start)
            r_resp.append(done - t)
            r_ref.append(False)
            if full and done < first_done[m]:
                first_done[m] = done
            ok = done - t <= deadline
            if ok and not asynchronous:  # a "success" to a repeat: the answer follows the first
                answered_at[m] = done if full else max(done, first_done[m])
        if ok:
            outcome[m] = ANSWERED_IN_TIME if d == 1 else ANSWERED_AFTER_RETRY
        elif d < max_deliveries:
            retries.append((t + deadline, m, d + 1))
    if background_workers is not None:
        _answer_in_background(background, svc, background_workers, outcome, answered_at)
    return ServerRecords(
        outcome=np.asarray(outcome, np.int8),
        deliveries=np.asarray(deliveries, np.int8),
        answered_at=np.asarray(answered_at, np.float64),
        request_time=np.asarray(r_time),
        request_message=np.asarray(r_msg, np.int64),
        request_delivery=np.asarray(r_del, np.int8),
        request_response=np.asarray(r_resp),
        request_refused=np.asarray(r_ref, bool),
        deadline=deadline,
    )


def _answer_in_background(
    queued: list[tuple[float, int]],
    service: list[float],
    workers: int,
    outcome: list[int],
    answered_at: list[float],
) -> None:
    """FCFS background workers answer through the customer-service API.

    A message the platform gave up on is still processed, but the fan already saw the error, so
    it is not counted as answered.
    """
    free = [0.0] * workers
    for enqueued, m in sorted(queued):
        start = free[0] if free[0] > enqueued else enqueued
        done = start + service[m]
        heapq.heapreplace(free, done)
        if outcome[m] != FAILED:
            answered_at[m] = done
