"""The human queue with agent groups, skills and concurrent chats, still exact.

`HumanQueue` serves one pool of identical agents who each handle one message at a time. Here
several groups of agents share the messages, each message carries a skill (the channel it came
in on), and an agent may hold up to `max_chats` conversations at once:

- a group serves the skills it lists, in that order of preference; an arriving message goes to
  the first group (in declaration order) serving its skill that has a free chat slot;
- in a group, a message goes to the least-loaded agent (fewest chats open); among agents equally
  loaded, to the one that has been at that load longest;
- a chat started while the agent already holds c others takes `handle * stretch**c` (the stretch
  is fixed when the chat starts; later chats do not slow it down, earlier ones ending do not speed
  it up). With `max_chats = 1` or `stretch = 1` the handle time is the message's own;
- an agent with a free slot takes waiting work of its group's skills: with `order="oldest"`
  (the default) the highest priority (0 first), then the oldest of any of its skills, which is
  `HumanQueue`'s rule when one group serves everything; with `order="skills"` its skills in the
  listed order, then priority, then the oldest. Patience and abandonment as in `HumanQueue`;
- each group follows its own `StaffSchedule`. When a group's roster drops, idle agents leave at
  once; the rest of the excess is made of busy agents marked as leaving, least loaded first and,
  among those, the soonest to finish all their chats. A marked agent takes no new work and leaves
  when its last chat ends; a roster rise first unmarks (the latest to finish first), then adds
  agents. With one chat per agent this is `HumanQueue`'s rule "whoever frees up first while over
  roster leaves" (the marked agents are exactly the first to free up), so one group with
  `max_chats = 1` serving every message gives `HumanQueue`'s start times and present log;
- ties at one instant as in `HumanQueue`: roster changes (groups in order), completions, arrivals.

The storage of messages (lists, compaction into numpy chunks, outcomes) is `HumanQueue`'s; the
waiting lines are its flat list of FIFOs, indexed `skill * priorities + priority`; a group sees
them as tiers (best first) of FIFOs whose heads it compares. Only priorities offered so far get
tiers (a line that never held a message is always empty): a free agent then looks at one or two
tiers, not ten, which is most of the time the engine spends per completion.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from sim.model.human_queue import COMPACT_AT_LEAST, HumanQueue
from sim.model.roster import StaffSchedule

__all__ = ["AgentGroup", "GroupQueue", "GroupRecords"]

INF = float("inf")


@dataclass(frozen=True)
class AgentGroup:
    """One group: its roster, the skills it serves in order of preference, chats per agent."""

    name: str
    schedule: StaffSchedule
    skills: tuple[int, ...]
    max_chats: int = 1
    stretch: float = 1.0
    order: str = "oldest"

    def __post_init__(self) -> None:
        if not self.skills or len(set(self.skills)) != len(self.skills) or min(self.skills) < 0:
            raise ValueError(f"group {self.name!r}: skills must be distinct indices >= 0")
        if self.max_chats < 1 or self.stretch < 1.0:
            raise ValueError(f"group {self.name!r}: max_chats must be >= 1 and stretch >= 1")
        if self.order not in ("oldest", "skills"):
            raise ValueError(f"group {self.name!r}: order must be 'oldest' or 'skills'")


@dataclass(frozen=True)
class GroupRecords:
    """Per-message skill and serving group (-1: not picked up), and each group's present log."""

    skill: NDArray[np.int64]
    group: NDArray[np.int64]
    present: tuple[tuple[NDArray[np.float64], NDArray[np.int64]], ...]  # (times, agents)


@dataclass(slots=True)
class _Group:
    """Mutable state of one group while the queue runs."""

    spec: AgentGroup
    lines: list[list[deque[int]]]  # the waiting lines it takes work from, in tiers
    factors: tuple[float, ...]  # stretch ** chats already open
    free: list[dict[int, None]]  # per load < max_chats: available agents, longest there first
    loads: list[int] = field(default_factory=list)
    marked: list[bool] = field(default_factory=list)
    last_end: list[float] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)  # agent ids to reuse
    present: int = 0
    n_marked: int = 0
    single: bool = False  # one chat per agent: the counting fast path
    idle: int = 0  # one-chat groups: agents are counted, not named (they are interchangeable)
    target: int = 0
    next_change: int = 0
    log: list[tuple[float, int]] = field(default_factory=lambda: [(0.0, 0)])

    def pick(self) -> tuple[int, int]:
        """The least-loaded available agent and its load, or (-1, -1)."""
        for load, agents in enumerate(self.free):
            if agents:
                return next(iter(agents)), load
        return -1, -1


class GroupQueue(HumanQueue):
    """Exact priority queue over agent groups with skills, rosters and concurrent chats."""

    def __init__(
        self,
        groups: tuple[AgentGroup, ...],
        skills: int,
        priorities: int = 10,
        compact_at_least: int = COMPACT_AT_LEAST,
    ) -> None:
        if not groups:
            raise ValueError("at least one agent group is needed")
        if max(max(g.skills) for g in groups) >= skills:
            raise ValueError(f"group skills must be in 0..{skills - 1}")
        super().__init__(groups[0].schedule, skills * priorities, compact_at_least)
        self._levels_per_skill = priorities
        self._seen: tuple[int, ...] = ()  # priorities offered so far, best first
        self._specs = groups
        self._groups = [
            _Group(
                g,
                self._lines(g),
                tuple(g.stretch**c for c in range(g.max_chats)),
                [{} for _ in range(g.max_chats)],
                single=g.max_chats == 1,
            )
            for g in groups
        ]
        self._route = [
            [(i, self._groups[i]) for i, g in enumerate(groups) if s in g.skills]
            for s in range(skills)
        ]
        self._skill: list[int] = []
        self._served: list[int] = []
        self._busy: list[tuple[float, int, int]] = []  # (chat end, group, agent)
        self._done |= {"skill": [], "served": []}

    def offer(
        self,
        arrival: NDArray[np.float64],
        priority: NDArray[np.int64],
        handle: NDArray[np.float64],
        deadline: NDArray[np.float64],
        tag: NDArray[np.int64] | None = None,
        skill: NDArray[np.int64] | None = None,
    ) -> None:
        """Append messages sorted by arrival, each with its skill (default 0: one channel)."""
        n = len(arrival)
        if n == 0:
            return
        skill = np.zeros(n, np.int64) if skill is None else skill
        if int(priority.min()) < 0 or int(priority.max()) >= self._levels_per_skill:
            raise ValueError(f"priority must be in 0..{self._levels_per_skill - 1}")
        if int(skill.min()) < 0 or int(skill.max()) >= len(self._route):
            raise ValueError(f"skill must be in 0..{len(self._route) - 1}")
        super().offer(arrival, priority, handle, deadline, tag)
        self._skill += skill.tolist()
        self._served += [-1] * n
        seen = tuple(sorted({*self._seen, *np.flatnonzero(np.bincount(priority)).tolist()}))
        if seen != self._seen:  # a new priority: its lines join the groups' tiers
            self._seen = seen
            for g in self._groups:
                g.lines = self._lines(g.spec)

    def _changes(self) -> tuple[float, int]:
        """The next roster change: its time and group (INF, -1 if none)."""
        best, who = INF, -1
        for i, g in enumerate(self._groups):
            times = g.spec.schedule.times
            if g.next_change < len(times) and times[g.next_change] < best:
                best, who = times[g.next_change], i
        return best, who

    def advance(self, until: float) -> None:
        """Process every arrival, completion and roster change at times <= `until`."""
        arr, pri, hnd, start = self._arrival, self._priority, self._handle, self._start
        skill, served, busy, queues = self._skill, self._served, self._busy, self._queues
        dl = self._deadline
        groups, route, per = self._groups, self._route, self._levels_per_skill
        heappush, heappop, take = heapq.heappush, heapq.heappop, self._take
        i, n = self._next_arrival, len(arr)
        t_change, who = self._changes()
        t_arr = arr[i] if i < n else INF
        while True:
            t_done = busy[0][0] if busy else INF
            if t_change <= t_done and t_change <= t_arr:
                if t_change > until or t_change == INF:
                    break
                self._roster(who, t_change)
                t_change, who = self._changes()
            elif t_done <= t_arr:
                if t_done > until:
                    break
                _, gi, a = heappop(busy)
                g = groups[gi]
                if g.single:  # `HumanQueue`'s loop, per group
                    if g.present - 1 >= g.target:  # over roster: it leaves
                        g.present -= 1
                        self._log(g, t_done)
                        continue
                    # `_take` inline (once per message): tiers best first, oldest head wins
                    for tier in g.lines:
                        best, src = -1, None
                        for q in tier:
                            while q and dl[q[0]] <= t_done:
                                q.popleft()
                            if q and (src is None or q[0] < best):
                                best, src = q[0], q
                        if src is not None:
                            src.popleft()
                            start[best] = t_done
                            served[best] = gi
                            heappush(busy, (t_done + hnd[best], gi, 0))
                            break
                    else:
                        g.idle += 1
                    continue
                load = g.loads[a]
                g.loads[a] = load - 1
                if g.marked[a]:
                    if load == 1:  # its last chat: the agent leaves
                        g.marked[a] = False
                        g.n_marked -= 1
                        g.present -= 1
                        g.gone.append(a)
                        self._log(g, t_done)
                    continue
                j = take(g.lines, t_done)
                if j >= 0:
                    start[j] = t_done
                    served[j] = gi
                    g.loads[a] = load
                    end = t_done + hnd[j] * g.factors[load - 1]
                    if end > g.last_end[a]:
                        g.last_end[a] = end
                    heappush(busy, (end, gi, a))
                else:
                    if load < len(g.free):
                        del g.free[load][a]
                    g.free[load - 1][a] = None
            else:
                if t_arr > until:
                    break
                for gi, g in route[skill[i]]:
                    if g.single:
                        if g.idle:
                            g.idle -= 1
                            start[i] = t_arr
                            served[i] = gi
                            heappush(busy, (t_arr + hnd[i], gi, 0))
                            break
                        continue
                    a, load = g.pick()
                    if a >= 0:
                        self._start_chat(gi, a, load, i, t_arr)
                        break
                else:
                    queues[skill[i] * per + pri[i]].append(i)
                i += 1
                t_arr = arr[i] if i < n else INF
        self._next_arrival = i
        self._now = max(self._now, until)

    def _start_chat(self, gi: int, a: int, load: int, j: int, t: float) -> None:
        """Agent `a` of group `gi`, holding `load` chats, picks up message `j` at `t`."""
        g = self._groups[gi]
        del g.free[load][a]
        g.loads[a] = load + 1
        if load + 1 < len(g.free):
            g.free[load + 1][a] = None
        end = t + self._handle[j] * g.factors[load]
        g.last_end[a] = max(g.last_end[a], end) if load else end
        self._start[j] = t
        self._served[j] = gi
        heapq.heappush(self._busy, (end, gi, a))

    def _roster(self, gi: int, t: float) -> None:
        """Group `gi`'s roster changes at `t`: agents join, leave or are marked to leave."""
        g = self._groups[gi]
        target = g.spec.schedule.agents[g.next_change]
        g.next_change += 1
        if g.single:
            g.target = target
            if target < g.present:
                leave = min(g.idle, g.present - target)
                g.idle -= leave
                g.present -= leave
            elif target > g.present:
                g.idle += target - g.present
                g.present = target
                self._dispatch_single(gi, t)
            self._log(g, t)
            return
        active = g.present - g.n_marked
        if target > active:
            need = target - active
            marked = sorted((a for a, m in enumerate(g.marked) if m), key=lambda a: -g.last_end[a])
            for a in marked[:need]:
                g.marked[a] = False
                g.n_marked -= 1
                if g.loads[a] < len(g.free):
                    g.free[g.loads[a]][a] = None
            for _ in range(need - min(need, len(marked))):
                a = g.gone.pop() if g.gone else len(g.loads)
                if a == len(g.loads):
                    g.loads.append(0)
                    g.marked.append(False)
                    g.last_end.append(0.0)
                g.free[0][a] = None
                g.present += 1
            self._dispatch_chats(gi, t)
        elif target < active:
            excess = active - target
            idle = list(g.free[0])[:excess]
            for a in idle:
                del g.free[0][a]
                g.gone.append(a)
            g.present -= len(idle)
            excess -= len(idle)
            if excess:
                busy = sorted(
                    (a for a in range(len(g.loads)) if g.loads[a] and not g.marked[a]),
                    key=lambda a: (g.loads[a], g.last_end[a]),
                )
                for a in busy[:excess]:
                    g.marked[a] = True
                    g.n_marked += 1
                    if g.loads[a] < len(g.free):
                        del g.free[g.loads[a]][a]
        self._log(g, t)

    def _dispatch_chats(self, gi: int, t: float) -> None:
        """Give waiting work to group `gi`'s free slots at time `t`."""
        g = self._groups[gi]
        while True:
            a, load = g.pick()
            j = self._take(g.lines, t) if a >= 0 else -1
            if j < 0:
                return
            self._start_chat(gi, a, load, j, t)

    def _dispatch_single(self, gi: int, t: float) -> None:
        """Give waiting work to one-chat group `gi`'s idle agents at time `t`."""
        g = self._groups[gi]
        while g.idle:
            j = self._take(g.lines, t)
            if j < 0:
                return
            g.idle -= 1
            self._start[j] = t
            self._served[j] = gi
            heapq.heappush(self._busy, (t + self._handle[j], gi, 0))

    def _take(self, lines: list[list[deque[int]]], t: float) -> int:
        """Pop the message an agent with these lines takes at `t` (-1: none waiting).

        Lines come in tiers, best first; within a tier, the oldest message (lowest index) of
        its FIFOs. Expired messages met on the way are dropped (abandoned at their deadline).
        """
        dl = self._deadline
        for tier in lines:
            if len(tier) == 1:
                q = tier[0]
                while q:
                    j = q.popleft()
                    if dl[j] > t:
                        return j
                continue
            best, src = -1, None
            for q in tier:
                while q and dl[q[0]] <= t:
                    q.popleft()
                if q and (src is None or q[0] < best):
                    best, src = q[0], q
            if src is not None:
                src.popleft()
                return best
        return -1

    def _lines(self, spec: AgentGroup) -> list[list[deque[int]]]:
        """The tiers of waiting lines a group takes work from (see `AgentGroup.order`)."""
        per, qs, seen = self._levels_per_skill, self._queues, self._seen
        if spec.order == "skills" or len(spec.skills) == 1:
            return [[qs[s * per + p]] for s in spec.skills for p in seen]
        return [[qs[s * per + p] for s in spec.skills] for p in seen]

    def _log(self, g: _Group, t: float) -> None:
        g.log.append((t, g.present))
        self._present_log.append((t, sum(x.present for x in self._groups)))

    def _fields(self) -> tuple[tuple[str, type], ...]:
        return (*super()._fields(), ("skill", np.int64), ("served", np.int64))

    def compact(self) -> int:
        """Hand over the settled messages (see `HumanQueue.compact`)."""
        k = super().compact()
        if k:  # the base class rebuilt its FIFOs with shifted indices: point the groups at them
            for g in self._groups:
                g.lines = self._lines(g.spec)
        return k

    def group_records(self) -> GroupRecords:
        """Skill and serving group of every offered message, and each group's present log."""
        n = self.offered
        return GroupRecords(
            skill=self._gather("skill", 0, n).astype(np.int64),
            group=self._gather("served", 0, n).astype(np.int64),
            present=tuple(
                (
                    np.asarray([t for t, _ in g.log], np.float64),
                    np.asarray([a for _, a in g.log], np.int64),
                )
                for g in self._groups
            ),
        )
