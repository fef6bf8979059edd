from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sim.analytic.erlang import ErlangC
from sim.model.group_queue import AgentGroup, GroupQueue
from sim.model.human_queue import HumanQueue
from sim.model.roster import StaffSchedule
from sim.results.stats import mean_ci95
from tests.reference_groups import RefGroup, reference_group_starts
from tests.strategies import Instance, instances


@dataclass(frozen=True)
class Grouped:
    inst: Instance
    skill: NDArray[np.int64]
    groups: tuple[RefGroup, ...]
    skills: int


@st.composite
def grouped(draw: st.DrawFn, chats: bool = False) -> Grouped:
    """1-3 skills served by 1-3 groups; rosters, or several chats with constant staff."""
    inst = draw(instances(max_n=150, roster_changes=not chats))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    skills = draw(st.integers(1, 3))
    groups = []
    for _ in range(draw(st.integers(1, 3))):
        serves = rng.permutation(skills)[: rng.integers(1, skills + 1)]
        if chats:
            k = int(rng.integers(1, 4))
            groups.append(
                RefGroup(
                    tuple(int(s) for s in serves),
                    (0.0,),
                    (int(rng.integers(0, 3)),),
                    k,
                    float(rng.choice([1.0, 1.3, 2.0])),
                )
            )
        else:
            cuts = np.sort(rng.uniform(0.1, float(inst.arrival[-1]) + 1.0, rng.integers(0, 5)))
            times = (0.0, *dict.fromkeys(float(x) for x in cuts.round(3) if x > 0))
            levels = tuple(int(v) for v in rng.integers(0, 4, len(times)))
            order = str(rng.choice(["oldest", "skills"]))
            groups.append(RefGroup(tuple(int(s) for s in serves), times, levels, order=order))
    skill = rng.integers(0, skills, len(inst.arrival))
    return Grouped(inst, skill, tuple(groups), skills)


def specs(g: Grouped) -> tuple[AgentGroup, ...]:
    return tuple(
        AgentGroup(
            f"g{i}", StaffSchedule(r.times, r.levels), r.skills, r.max_chats, r.stretch, r.order
        )
        for i, r in enumerate(g.groups)
    )


def engine(g: Grouped, cuts: tuple[float, ...] = (), compact: bool = False) -> GroupQueue:
    q = GroupQueue(specs(g), g.skills, compact_at_least=1 if compact else 50_000)
    i = g.inst
    q.offer(i.arrival, i.priority, i.handle, i.deadline, skill=g.skill)
    for t in cuts:
        q.advance(t)
        if compact:
            q.compact()
    q.advance(np.inf)
    return q


def same(a: NDArray[np.float64], b: NDArray[np.float64]) -> bool:
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    return bool(np.array_equal(nan_a, nan_b) and np.allclose(a[~nan_a], b[~nan_b], atol=1e-9))


@settings(max_examples=60, deadline=None)
@given(instances())
def test_one_group_one_chat_is_the_single_pool_queue_exactly(inst: Instance) -> None:
    single = HumanQueue(StaffSchedule(inst.times, inst.levels))
    single.offer(inst.arrival, inst.priority, inst.handle, inst.deadline)
    single.advance(np.inf)
    grouped_q = engine(
        Grouped(
            inst,
            np.zeros(len(inst.arrival), np.int64),
            (RefGroup((0,), inst.times, inst.levels),),
            1,
        )
    )
    a, b = single.records(), grouped_q.records()
    assert a.start.tobytes() == b.start.tobytes()  # bit for bit, NaNs included
    assert a.present_times.tolist() == b.present_times.tolist()
    assert a.present_agents.tolist() == b.present_agents.tolist()


@settings(max_examples=120, deadline=None)
@given(st.booleans().flatmap(lambda chats: grouped(chats=chats)))
def test_groups_match_the_simpy_reference(g: Grouped) -> None:
    """Rosters with one chat per agent, or constant staff with several chats and stretch."""
    i = g.inst
    start, served = reference_group_starts(
        g.groups, g.skill, i.arrival, i.priority, i.handle, i.deadline
    )
    q = engine(g)
    assert same(q.records().start, start)
    assert q.group_records().group.tolist() == served.tolist()


@settings(max_examples=30, deadline=None)
@given(grouped(), st.lists(st.floats(0, 300), min_size=1, max_size=6))
def test_advancing_and_compacting_in_steps_changes_nothing(g: Grouped, cuts: list[float]) -> None:
    whole = engine(g)
    stepped = engine(g, tuple(sorted(cuts)), compact=True)
    assert same(stepped.records().start, whole.records().start)
    assert np.array_equal(stepped.group_records().group, whole.group_records().group)
    assert np.array_equal(stepped.group_records().skill, g.skill)


@settings(max_examples=40, deadline=None)
@given(grouped(), st.lists(st.floats(0, 1), min_size=1, max_size=4))
def test_offering_in_batches_matches_the_simpy_reference(g: Grouped, cuts: list[float]) -> None:
    """Messages offered batch by batch (a priority first seen in a later batch joins the groups'
    waiting lines then) are served as when offered at once."""
    i, n = g.inst, len(g.inst.arrival)
    q = GroupQueue(specs(g), g.skills)
    bounds = [0, *sorted({round(c * n) for c in cuts}), n]
    for lo, hi in pairwise(bounds):
        if lo == hi:
            continue
        q.advance(float(i.arrival[lo]))
        q.offer(
            i.arrival[lo:hi],
            i.priority[lo:hi],
            i.handle[lo:hi],
            i.deadline[lo:hi],
            skill=g.skill[lo:hi],
        )
    q.advance(np.inf)
    start, served = reference_group_starts(
        g.groups, g.skill, i.arrival, i.priority, i.handle, i.deadline
    )
    assert same(q.records().start, start)
    assert q.group_records().group.tolist() == served.tolist()


@settings(max_examples=40, deadline=None)
@given(instances(), instances())
def test_disjoint_groups_are_two_separate_queues(a: Instance, b: Instance) -> None:
    """Group 0 serves skill 0 only and group 1 skill 1 only: each is its own single-pool queue."""
    arrival = np.concatenate([a.arrival, b.arrival])
    order = np.argsort(arrival, kind="stable")
    skill = np.repeat([0, 1], [len(a.arrival), len(b.arrival)])[order]

    def cat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.concatenate([x, y])[order]

    both = Instance(
        arrival[order],
        cat(a.priority, b.priority),
        cat(a.handle, b.handle),
        cat(a.deadline, b.deadline),
        (0.0,),
        (0,),
    )
    groups = (RefGroup((0,), a.times, a.levels), RefGroup((1,), b.times, b.levels))
    start = engine(Grouped(both, skill, groups, 2)).records().start
    for s, inst in ((0, a), (1, b)):
        alone = HumanQueue(StaffSchedule(inst.times, inst.levels))
        alone.offer(inst.arrival, inst.priority, inst.handle, inst.deadline)
        alone.advance(np.inf)
        assert start[skill == s].tobytes() == alone.records().start.tobytes()


def _share_in_time(skills_b: tuple[int, ...], seed: int) -> float:
    """Two channels, one busy and one quiet; group b's skills vary."""
    rng = np.random.default_rng(seed)
    n = 600
    arrival = np.cumsum(rng.exponential(1 / 3.2, n))
    skill = (rng.random(n) < 0.75).astype(np.int64)  # skill 1 is the busy one
    handle = rng.exponential(1.0, n)
    deadline = arrival + rng.exponential(3.0, n)
    groups = (
        AgentGroup("busy", StaffSchedule((0.0,), (2,)), (1,)),
        AgentGroup("quiet", StaffSchedule((0.0,), (2,)), skills_b),
    )
    q = GroupQueue(groups, 2)
    q.offer(arrival, np.zeros(n, np.int64), handle, deadline, skill=skill)
    q.advance(np.inf)
    _, within, _, _ = q.outcomes(0, n, 0.5)
    return within / n


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_adding_a_skill_never_lowers_the_share_answered_in_time_on_average(root: int) -> None:
    seeds = np.random.SeedSequence(root).generate_state(30)
    before = np.mean([_share_in_time((0,), int(s)) for s in seeds])
    after = np.mean([_share_in_time((0, 1), int(s)) for s in seeds])
    assert after >= before


def test_stretch_slows_concurrent_chats_down() -> None:
    """Two chats at once with stretch 1.5: the second chat takes 1.5 times its handle time."""
    groups = (AgentGroup("chat", StaffSchedule((0.0,), (1,)), (0,), max_chats=2, stretch=1.5),)
    q = GroupQueue(groups, 1)
    q.offer(np.array([0.0, 1.0, 2.0]), np.zeros(3, np.int64), np.full(3, 4.0), np.full(3, np.inf))
    q.advance(100.0)
    # 0: alone, ends at 4; 1: second chat, ends at 1 + 6 = 7; 2: waits for the slot freed at 4,
    # starts with one chat open (stretched): ends at 4 + 6 = 10
    assert q.records().start.tolist() == [0.0, 1.0, 4.0]
    assert q.group_records().present[0][1].tolist() == [0, 1]


def test_bad_groups_and_skills_are_rejected() -> None:
    sched = StaffSchedule((0.0,), (1,))
    with pytest.raises(ValueError, match="skills must be distinct"):
        AgentGroup("a", sched, (0, 0))
    with pytest.raises(ValueError, match="stretch >= 1"):
        AgentGroup("a", sched, (0,), stretch=0.5)
    with pytest.raises(ValueError, match=r"skills must be in 0\.\.0"):
        GroupQueue((AgentGroup("a", sched, (1,)),), 1)
    q = GroupQueue((AgentGroup("a", sched, (0,)),), 1)
    one = np.ones(1)
    with pytest.raises(ValueError, match=r"skill must be in 0\.\.0"):
        q.offer(one, np.zeros(1, np.int64), one, one, skill=np.ones(1, np.int64))


@settings(max_examples=40, deadline=None)
@given(instances(roster_changes=False), st.integers(1, 4))
def test_k_chats_without_stretch_are_k_agents_exactly(inst: Instance, k: int) -> None:
    """Stretch 1: what counts is free slots, so c agents with k chats are c * k agents."""
    c = inst.levels[0]
    chats = GroupQueue((AgentGroup("chat", StaffSchedule((0.0,), (c,)), (0,), max_chats=k),), 1)
    agents = HumanQueue(StaffSchedule((0.0,), (c * k,)))
    for q in (chats, agents):
        q.offer(inst.arrival, inst.priority, inst.handle, inst.deadline)
        q.advance(np.inf)
    assert chats.records().start.tobytes() == agents.records().start.tobytes()


def _chat_waits(k: int, stretch: float, seed: int) -> NDArray[np.float64]:
    """M/M/(5 agents x k chats), 9 messages/min, handle 1 min: waits after a 2-hour warm-up."""
    rng = np.random.default_rng(seed)
    n = 9 * 60 * 8
    arrival = np.cumsum(rng.exponential(1 / 9.0, n))
    group = AgentGroup("chat", StaffSchedule((0.0,), (5,)), (0,), max_chats=k, stretch=stretch)
    q = GroupQueue((group,), 1)
    q.offer(arrival, np.zeros(n, np.int64), rng.exponential(1.0, n), np.full(n, np.inf))
    q.advance(np.inf)
    rec = q.records()
    keep = (rec.arrival > 120.0) & (rec.arrival < rec.arrival[-1] - 60.0)
    return rec.start[keep] - rec.arrival[keep]


def test_k_chats_without_stretch_match_erlang_c_for_k_times_the_agents() -> None:
    theory = ErlangC(arrival_rate=9.0, service_rate=1.0, agents=10)
    runs = [_chat_waits(2, 1.0, int(s)) for s in np.random.SeedSequence(2024).generate_state(16)]
    lo, hi = mean_ci95([float(np.mean(w > 0)) for w in runs])
    assert lo <= theory.prob_wait <= hi
    lo, hi = mean_ci95([float(np.mean(w)) for w in runs])
    assert lo <= theory.mean_wait <= hi


def test_stretch_lengthens_waits_against_the_same_slots_unstretched() -> None:
    """Stretch 1.1: a second chat takes 10% longer, capacity falls and waits rise well above
    the unstretched 10 slots (load 0.9, where a small capacity loss matters a lot)."""
    seeds = np.random.SeedSequence(7).generate_state(8)
    plain = np.mean([np.mean(_chat_waits(2, 1.0, int(s))) for s in seeds])
    stretched = np.mean([np.mean(_chat_waits(2, 1.1, int(s))) for s in seeds])
    assert stretched > 2 * plain
