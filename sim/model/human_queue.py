"""The human queue: agents answering routed messages, exactly, one message at a time.

Why not one SimPy process per message: that runs at ~30k messages/s, too slow for a season of
traffic. This engine keeps the same semantics with a heap of busy-until times and one FIFO per
priority, and advances in bulk to a horizon the SimPy clock gives it:

- non-preemptive priorities (0 first), FIFO within a priority;
- patience: a message not picked up by its deadline is abandoned at the deadline. Abandonment is
  resolved lazily when an agent looks at the queue, which gives the same waits and outcomes as
  scheduling an event per deadline, without the events;
- staff follows a `StaffSchedule`. Shift-end rule: an agent whose shift ends while handling a
  message finishes it (overtime is counted as present time), then leaves; idle agents leave at
  once. New shifts start by taking waiting work, highest priority first.
- ties at one instant: roster changes first (an agent whose shift ended at t does not start new
  work at t; one whose shift starts at t does), then completions (the freed agent takes the
  queue's head), then arrivals (an arrival at t finds agents freed at t); a deadline equal to
  the pick-up time counts as given up.

Times are minutes. `offer` appends messages in arrival order; `advance(until)` runs every event up
to `until`; state (queue, busy agents) carries over, so backlog crosses days. `compact()` moves
the messages whose outcome can no longer change (arrived and not waiting) from Python lists (fast
to index in the loop) into numpy chunks (compact in memory), in any order: the messages still
waiting stay in the lists, ahead of those yet to arrive, in their order (so FIFOs and "oldest
first" keep comparing indices). The engine hands each hand-over to its `ServiceTally`
(`settled_chunk`, with the `frontier`) and `forget`s chunks it no longer reads, so a run holds
the messages in flight, not the year's, and a message that waits for days holds only itself.
Kept chunks give `outcomes` and `records` (a waiting message's place there gets its outcome when
it settles).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model.roster import StaffSchedule
from sim.model.tally import Settled

__all__ = ["HumanQueue", "QueueRecords"]

INF = float("inf")
COMPACT_AT_LEAST = 50_000  # smaller finished prefixes stay in the lists (chunks stay few)
_FIELDS: tuple[tuple[str, type], ...] = (
    ("arrival", np.float64),
    ("priority", np.int8),
    ("handle", np.float64),
    ("deadline", np.float64),
    ("start", np.float64),
    ("tag", np.int32),
)
_SETTLED = ("arrival", "handle", "deadline", "start", "tag")  # the fields `Settled` reads
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class QueueRecords:
    """Per-message arrays (arrival order) and the log of agents present over time."""

    arrival: NDArray[np.float64]
    priority: NDArray[np.int64]
    handle: NDArray[np.float64]
    deadline: NDArray[np.float64]
    start: NDArray[np.float64]  # NaN: not picked up (abandoned or still queued)
    tag: NDArray[np.int64]  # caller's label, e.g. the message class index
    present_times: NDArray[np.float64]  # agents present = present_agents[k] from present_times[k]
    present_agents: NDArray[np.int64]
    horizon: float


class HumanQueue:
    """Exact multi-agent priority queue with abandonment and a changing roster."""

    def __init__(
        self,
        schedule: StaffSchedule,
        priorities: int = 10,
        compact_at_least: int = COMPACT_AT_LEAST,
    ) -> None:
        self._compact_at_least = compact_at_least
        self._times = schedule.times
        self._levels = schedule.agents
        self._next_change = 0
        self._target = 0
        self._idle = 0
        self._busy_until: list[float] = []
        self._queues: list[deque[int]] = [deque() for _ in range(priorities)]
        self._arrival: list[float] = []
        self._priority: list[int] = []
        self._handle: list[float] = []
        self._deadline: list[float] = []
        self._start: list[float] = []
        self._tag: list[int] = []
        self._base = 0  # global index of the first message in the lists after the carried
        self._first = 0  # global index of the first message kept in the chunks
        self._done: dict[str, list[NDArray[np.generic]]] = {name: [] for name, _ in _FIELDS}
        # global indices (increasing) of the waiting messages heading the lists
        self._carried = np.zeros(0, np.int64)
        self._handover = _nothing()
        self._last_arrival = 0.0
        self._next_arrival = 0
        self._now = 0.0
        self._present_log: list[tuple[float, int]] = [(0.0, 0)]

    @property
    def now(self) -> float:
        """Time up to which every event has been processed."""
        return self._now

    def offer(
        self,
        arrival: NDArray[np.float64],
        priority: NDArray[np.int64],
        handle: NDArray[np.float64],
        deadline: NDArray[np.float64],
        tag: NDArray[np.int64] | None = None,
    ) -> None:
        """Append messages sorted by arrival, none earlier than the last one already offered."""
        n = len(arrival)
        if n == 0:
            return
        if arrival[0] < max(self._last_arrival, self._now) or np.any(np.diff(arrival) < 0):
            raise ValueError("arrivals must be sorted and not earlier than those already offered")
        if int(priority.min()) < 0 or int(priority.max()) >= len(self._queues):
            raise ValueError(f"priority must be in 0..{len(self._queues) - 1}")
        self._arrival += arrival.tolist()
        self._priority += priority.tolist()
        self._handle += handle.tolist()
        self._deadline += deadline.tolist()
        self._start += [np.nan] * n
        self._tag += (tag if tag is not None else np.zeros(n, np.int64)).tolist()
        self._last_arrival = float(arrival[-1])

    def advance(self, until: float) -> None:
        """Process every arrival, completion and roster change at times <= `until`."""
        arr, pri, hnd, dl, start = (
            self._arrival,
            self._priority,
            self._handle,
            self._deadline,
            self._start,
        )
        busy, queues, log = self._busy_until, self._queues, self._present_log
        times, levels = self._times, self._levels
        heappush, heappop = heapq.heappush, heapq.heappop
        i, n = self._next_arrival, len(arr)
        idle, target, k = self._idle, self._target, self._next_change
        t_change = times[k] if k < len(times) else INF
        t_arr = arr[i] if i < n else INF
        while True:
            t_done = busy[0] if busy else INF
            # ties at one instant: roster change, then completions, then arrivals
            if t_change <= t_done and t_change <= t_arr:
                if t_change > until or t_change == INF:  # past the horizon, or nothing left
                    break
                target = levels[k]
                present = idle + len(busy)
                if target < present:
                    idle -= min(idle, present - target)
                elif target > present:
                    idle += target - present
                    idle = self._dispatch(t_change, idle)
                log.append((t_change, idle + len(busy)))
                k += 1
                t_change = times[k] if k < len(times) else INF
            elif t_done <= t_arr:
                if t_done > until:
                    break
                heappop(busy)
                # (the dispatch below repeats `_dispatch` inline: it runs once per message)
                if idle + len(busy) >= target:  # over roster: this agent's shift has ended
                    log.append((t_done, idle + len(busy)))
                    continue
                for q in queues:
                    while q:
                        j = q.popleft()
                        if dl[j] > t_done:
                            start[j] = t_done
                            heappush(busy, t_done + hnd[j])
                            break
                    else:
                        continue
                    break
                else:
                    idle += 1
            else:
                if t_arr > until:
                    break
                if idle:
                    idle -= 1
                    start[i] = t_arr
                    heappush(busy, t_arr + hnd[i])
                else:
                    queues[pri[i]].append(i)
                i += 1
                t_arr = arr[i] if i < n else INF
        self._next_arrival, self._idle, self._target, self._next_change = i, idle, target, k
        self._now = max(self._now, until)

    def _dispatch(self, t: float, idle: int) -> int:
        """Give waiting work to idle agents at time `t`; returns agents still idle."""
        for q in self._queues:
            while q and idle:
                j = q.popleft()
                if self._deadline[j] > t:
                    self._start[j] = t
                    heapq.heappush(self._busy_until, t + self._handle[j])
                    idle -= 1
        return idle

    @property
    def offered(self) -> int:
        """Messages offered so far; message indices run from 0 to this."""
        return self._base + len(self._arrival) - len(self._carried)

    def _fields(self) -> tuple[tuple[str, type], ...]:
        """Per-message fields: each a list while live, numpy chunks once compacted."""
        return _FIELDS

    def compact(self) -> int:
        """Hand over the settled messages (arrived, no longer waiting), whatever their order.

        Messages still waiting stay in the lists, ahead of those yet to arrive, and their
        arrivals go to the tally the first time (`Settled.waiting`); so one message that waits
        for days holds itself, not every later message. Expired messages are dropped from the
        waiting lines first (abandoned at their deadline, as an agent would find them). Returns
        how many messages were handed over. Call between `advance` calls, e.g. at midnight.
        Work per waiting message is numpy's (a large backlog is checked every midnight), and
        fields are converted one at a time, each list freed before the next (the peak).
        """
        k, c = self._next_arrival, len(self._carried)
        lines = [np.fromiter(q, np.int64, len(q)) for q in self._queues]
        if any(line.size for line in lines):
            deadline = np.asarray(self._deadline[:k], np.float64)
            lines = [line[deadline[line] > self._now] for line in lines]
            del deadline
        n_waiting = sum(line.size for line in lines)
        if k - n_waiting < max(self._compact_at_least, 1):
            return 0
        waiting = np.sort(np.concatenate(lines))  # positions in the lists; each line is sorted
        settled = np.ones(k, np.bool_)
        settled[waiting] = False
        whole = c == 0 and not n_waiting  # the usual case: the new chunk is the hand-over
        fresh = waiting[waiting >= c]
        written = np.flatnonzero(settled[:c])  # carried messages that settled since
        at = self._chunk_positions(self._carried[written])
        part: dict[str, NDArray[np.generic]] = {}
        came: NDArray[np.generic] = np.zeros(0, np.float64)
        for name, dtype in self._fields():
            live: list[float] | list[int] = getattr(self, f"_{name}")
            arr: NDArray[np.generic] = np.asarray(live[:k], dtype)
            live[:k] = arr[waiting].tolist()  # in place; those yet to arrive stay after them
            self._write_back(name, at, arr[written])
            if k > c:  # the newly arrived, in arrival order; the waiting ones' outcomes come later
                self._done[name].append(arr[c:])
            if name in _SETTLED:
                part[name] = arr if whole else arr[settled]
            if name == "arrival":
                came = arr[fresh]
        n = k - n_waiting
        self._handover = self._settled(
            part, np.arange(n) < written.size, came.astype(np.float64, copy=False)
        )
        self._queues = [deque(np.searchsorted(waiting, line).tolist()) for line in lines]
        self._carried = np.concatenate(
            [self._carried[waiting[: waiting.size - fresh.size]], self._base + fresh - c]
        )
        self._base += k - c
        self._next_arrival = n_waiting
        return n

    def _chunk_positions(self, messages: I64) -> tuple[I64, I64]:
        """(chunk, offset) of the given messages (global indices); forgotten ones: chunk -1."""
        lengths = np.cumsum([len(chunk) for chunk in self._done["arrival"]], dtype=np.int64)
        g = messages - self._first
        chunk = np.searchsorted(lengths, g, side="right")
        offset = g - np.concatenate([[0], lengths])[chunk]
        return np.where(g < 0, -1, chunk), offset

    def _write_back(self, name: str, at: tuple[I64, I64], values: NDArray[np.generic]) -> None:
        """Carried messages that settled: their outcome into the chunks kept (for records)."""
        chunk, offset = at
        for i in np.unique(chunk[chunk >= 0]).tolist():
            mine = chunk == i
            self._done[name][i][offset[mine]] = values[mine]

    @property
    def frontier(self) -> float:
        """Every event before this time has been handed over (arrivals of waiting ones too)."""
        return self._now

    def _settled(
        self, part: dict[str, NDArray[np.generic]], carried: NDArray[np.bool_], waiting: F64
    ) -> Settled:
        return Settled(
            arrival=part["arrival"].astype(np.float64, copy=False),
            handle=part["handle"].astype(np.float64, copy=False),
            deadline=part["deadline"].astype(np.float64, copy=False),
            start=part["start"].astype(np.float64, copy=False),
            tag=part["tag"].astype(np.int64),
            carried=carried,
            waiting=waiting,
        )

    def settled_chunk(self) -> Settled:
        """The messages the last `compact` handed over (once, right after it; then let go)."""
        handover, self._handover = self._handover, _nothing()
        return handover

    def rest(self) -> Settled:
        """The messages still in the lists (at the end of a run: waiting, or not yet settled)."""
        n, c = len(self._arrival), len(self._carried)
        dtypes = dict(self._fields())
        return self._settled(
            {name: np.asarray(getattr(self, f"_{name}"), dtypes[name]) for name in _SETTLED},
            carried=np.arange(n) < c,
            waiting=np.zeros(0, np.float64),
        )

    def forget(self, before: int) -> None:
        """Drop compacted chunks wholly before message `before` (global index)."""
        while self._done["arrival"] and self._first + len(self._done["arrival"][0]) <= before:
            self._first += len(self._done["arrival"][0])
            for chunks in self._done.values():
                del chunks[0]

    def _gather(self, name: str, lo: int, hi: int) -> NDArray[np.generic]:
        """Field `name` of messages lo..hi-1 (global indices), from chunks and lists."""
        if lo < self._first:
            raise ValueError(f"messages before {self._first} were forgotten (asked from {lo})")
        dtype = dict(self._fields())[name]
        parts: list[NDArray[np.generic]] = []
        pos = self._first
        for chunk in self._done[name]:
            end = pos + len(chunk)
            if end > lo and pos < hi:
                parts.append(chunk[max(lo, pos) - pos : min(hi, end) - pos])
            pos = end
        live = getattr(self, f"_{name}")
        c = len(self._carried)
        if hi > self._base:
            tail = live[c + max(lo, self._base) - self._base : c + hi - self._base]
            parts.append(np.asarray(tail, dtype))
        out = np.concatenate(parts) if parts else np.empty(0, dtype)
        a, b = np.searchsorted(self._carried, [lo, hi]).tolist()  # waiting: chunks hold them
        out[self._carried[a:b] - lo] = np.asarray(live[a:b], dtype)  # as they arrived
        return out

    def outcomes(
        self, lo: int, hi: int, target: float, below: int | None = None
    ) -> tuple[int, int, int, int]:
        """Outcomes of messages lo..hi-1 (global indices) as of `now`.

        Returns (count, picked up within `target`, picked up later, not picked up); with
        `below`, of those messages only whose tag is below it (e.g. one channel's classes).
        """
        arrival = self._gather("arrival", lo, hi)
        start = self._gather("start", lo, hi)
        count = hi - lo
        if below is not None:
            mine = self._gather("tag", lo, hi).astype(np.int64) < below
            arrival, start = arrival[mine], start[mine]
            count = int(np.count_nonzero(mine))
        answered = ~np.isnan(start)
        within = int(np.count_nonzero(start[answered] - arrival[answered] <= target))
        n_answered = int(np.count_nonzero(answered))
        return count, within, n_answered - within, count - n_answered

    def present(self) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """The agents-present log: `agents[k]` present from `times[k]`."""
        log = self._present_log
        return (
            np.asarray([t for t, _ in log], np.float64),
            np.asarray([a for _, a in log], np.int64),
        )

    def records(self) -> QueueRecords:
        """Snapshot of every offered message and the present-agents log so far."""
        n = self.offered
        times, agents = self.present()

        def floats(name: str) -> NDArray[np.float64]:
            return self._gather(name, 0, n).astype(np.float64, copy=False)

        def ints(name: str) -> NDArray[np.int64]:
            return self._gather(name, 0, n).astype(np.int64)

        return QueueRecords(
            arrival=floats("arrival"),
            priority=ints("priority"),
            handle=floats("handle"),
            deadline=floats("deadline"),
            start=floats("start"),
            tag=ints("tag"),
            present_times=times,
            present_agents=agents,
            horizon=self._now,
        )


def _nothing() -> Settled:
    none = np.zeros(0, np.float64)
    return Settled(none, none, none, none, np.zeros(0, np.int64))
