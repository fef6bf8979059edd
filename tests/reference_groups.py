"""A plain SimPy model of agent groups with skills, to check `GroupQueue` against.

One process per message and one per chat; agents are small objects; waiting messages sit in one
list and an agent with a free slot picks the best by scanning it (by priority then arrival, or
with the group's skill rank first), instead of the engine's per-skill FIFOs. A waiting message
abandons by its own timeout. Rosters are modelled with a count of agents owed: when a group's
roster drops, idle agents leave and the next busy agents to free up leave (one chat per agent
only); with several chats per agent the staff is constant. Used with continuous random times,
so no two events tie.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import numpy as np
import simpy
from numpy.typing import NDArray


@dataclass(frozen=True)
class RefGroup:
    skills: tuple[int, ...]
    times: tuple[float, ...] = (0.0,)
    levels: tuple[int, ...] = (1,)
    max_chats: int = 1
    stretch: float = 1.0
    order: str = "oldest"  # or "skills": the group's skill order before priority


@dataclass
class _Agent:
    stamp: int  # when it reached its current load (ties: longest at that load first)
    load: int = 0
    present: bool = True


@dataclass
class _State:
    agents: list[list[_Agent]]
    owed: list[int]
    waiting: list[int] = field(default_factory=list)


def reference_group_starts(
    groups: Sequence[RefGroup],
    skill: NDArray[np.int64],
    arrival: NDArray[np.float64],
    priority: NDArray[np.int64],
    handle: NDArray[np.float64],
    deadline: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Start times (NaN if never started) and serving group (-1) of every message."""
    env = simpy.Environment()
    stamps = count()
    st = _State([[] for _ in groups], [0] * len(groups))
    start = np.full(len(arrival), np.nan)
    served = np.full(len(arrival), -1, np.int64)
    started = [env.event() for _ in arrival]

    def available(gi: int) -> _Agent | None:
        k = groups[gi].max_chats
        ok = [a for a in st.agents[gi] if a.present and a.load < k]
        return min(ok, key=lambda a: (a.load, a.stamp)) if ok else None

    def best_waiting(gi: int) -> int | None:
        g = groups[gi]
        mine = [j for j in st.waiting if int(skill[j]) in g.skills]
        if not mine:
            return None
        if g.order == "skills":
            return min(mine, key=lambda j: (g.skills.index(int(skill[j])), int(priority[j]), j))
        return min(mine, key=lambda j: (int(priority[j]), j))

    def begin(gi: int, agent: _Agent, j: int, restamp: bool) -> None:
        g = groups[gi]
        start[j], served[j] = env.now, gi
        factor = g.stretch**agent.load
        agent.load += 1
        if restamp:
            agent.stamp = next(stamps)
        env.process(chat(gi, agent, float(handle[j]) * factor))

    def pull(gi: int, agent: _Agent, restamp: bool) -> bool:
        j = best_waiting(gi)
        if j is None:
            return False
        st.waiting.remove(j)
        started[j].succeed()
        begin(gi, agent, j, restamp)
        return True

    def chat(gi: int, agent: _Agent, duration: float) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(duration)
        agent.load -= 1
        if st.owed[gi] and agent.load == 0:
            st.owed[gi] -= 1
            agent.present = False
            return
        if not pull(gi, agent, restamp=False):
            agent.stamp = next(stamps)

    def roster(gi: int) -> Generator[simpy.Event, Any, None]:
        g = groups[gi]
        for t, level in zip(g.times, g.levels, strict=True):
            yield env.timeout(t - env.now)
            here = [a for a in st.agents[gi] if a.present]
            active = len(here) - st.owed[gi]
            if level > active:
                back = min(level - active, st.owed[gi])
                st.owed[gi] -= back
                new = [_Agent(next(stamps)) for _ in range(level - active - back)]
                st.agents[gi].extend(new)
                for a in new:
                    while a.load < g.max_chats and pull(gi, a, restamp=True):
                        pass
            elif level < active:
                down = active - level
                for a in [a for a in here if a.load == 0][:down]:
                    a.present = False
                    down -= 1
                st.owed[gi] += down

    def message(j: int) -> Generator[simpy.Event, Any, None]:
        yield env.timeout(float(arrival[j]) - env.now)
        for gi, g in enumerate(groups):
            if int(skill[j]) in g.skills and st.owed[gi] == 0:
                agent = available(gi)
                if agent is not None:
                    begin(gi, agent, j, restamp=True)
                    return
        st.waiting.append(j)
        patience = float(deadline[j]) - env.now
        if np.isfinite(patience):
            yield started[j] | env.timeout(patience)
            if not started[j].triggered:
                st.waiting.remove(j)
        else:
            yield started[j]

    for gi in range(len(groups)):
        env.process(roster(gi))
    for j in range(len(arrival)):
        env.process(message(j))
    env.run()
    return start, served
