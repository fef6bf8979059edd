"""A straightforward SimPy model (one process per message) to check the fast engine against.

Fed the same arrivals, handle times and deadlines it must give the same start times. Roster
changes are modelled the plain SimPy way: a pool sized for the largest roster, where off-duty
capacity is held by "blocker" requests at a priority above every message. A blocker waiting for
a busy agent takes the first agent to free up, which is the engine's shift-end rule (no message
is interrupted; nobody starts new work while more agents are present than rostered).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray

BLOCKER = -1  # served before any message priority (0 is the highest message priority)


def reference_starts(
    agents: int | tuple[Sequence[float], Sequence[int]],
    arrival: NDArray[np.float64],
    priority: NDArray[np.int64],
    handle: NDArray[np.float64],
    deadline: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Start times (NaN if not started) for a constant pool or a (times, levels) roster."""
    times, levels = ((0.0,), (agents,)) if isinstance(agents, int) else agents
    capacity = max(max(levels), 1)
    env = simpy.Environment()
    pool = simpy.PriorityResource(env, capacity=capacity)
    start = np.full(len(arrival), np.nan)
    pending: list[Any] = []
    held: list[Any] = []

    def roster() -> Generator[simpy.Event, Any, None]:
        target = capacity
        for t, level in zip(times, levels, strict=True):
            yield env.timeout(t - env.now)
            for req in [r for r in pending if r.triggered]:  # granted since the last change
                pending.remove(req)
                held.append(req)
            if level < target:
                for _ in range(target - level):
                    req = pool.request(priority=BLOCKER)
                    (held if req.triggered else pending).append(req)
            for _ in range(level - target if level > target else 0):
                if pending:
                    pending.pop().cancel()
                else:
                    pool.release(held.pop())
            target = level

    def message(j: int) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(float(arrival[j]) - env.now)
        req = pool.request(priority=int(priority[j]))
        patience = float(deadline[j]) - env.now
        if np.isfinite(patience):
            got = yield req | env.timeout(patience)
            if req not in got:
                req.cancel()
                return
        else:
            yield req
        start[j] = env.now
        yield env.timeout(float(handle[j]))
        pool.release(req)

    env.process(roster())
    for j in range(len(arrival)):
        env.process(message(j))
    env.run()
    return start
