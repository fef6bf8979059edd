"""The tally gathered batch by batch equals the tally of every message at once, and the exact
per-message figures (percentiles within the histograms' half second)."""

import itertools
import math
import tracemalloc
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.engine import RunSpec, run_one
from sim.model.group_queue import AgentGroup, GroupQueue
from sim.model.histogram import ERROR_MINUTES
from sim.model.human_queue import HumanQueue
from sim.model.roster import StaffSchedule
from sim.model.tally import ServiceTally, Settled
from sim.results.summary import summarize
from sim.scenario.load import load_scenario
from sim.scenario.timeline import resolve_timeline
from sim.units import DAY
from tests.factories import queue_scenario
from tests.strategies import Instance, instances

SCENARIOS = Path(__file__).parents[2] / "scenarios"
HORIZON = 2 * DAY
HUMAN = {"routing": "human", "handle_time_minutes": {"dist": "exponential", "mean": 1.0}}
TWO = {"answered": {"share": 0.5, **HUMAN}, "unstaffed": {"share": 0.5, **HUMAN}}


def _queue(inst: Instance, compact_at_least: int) -> HumanQueue:
    q = HumanQueue(StaffSchedule(inst.times, inst.levels), 3, compact_at_least)
    scale = 2.5  # spread the arrivals over both days
    q.offer(inst.arrival * scale, inst.priority, inst.handle, inst.deadline * scale)
    return q


def stream(q: HumanQueue, tally: ServiceTally, times: Iterable[float]) -> None:
    """Run `q` to the tally's horizon as the engine does: settled messages handed over at
    each of `times`, the rest at the horizon."""
    for t in times:
        q.advance(float(t))
        if q.compact():
            tally.add(q.settled_chunk(), q.frontier)
    q.advance(tally.horizon)
    tally.finish(q.rest(), *q.present())


def assert_same(a: ServiceTally, b: ServiceTally) -> None:
    for key in a.by_class:
        assert np.array_equal(a.by_class[key], b.by_class[key]), key
    for key in a.by_arrival_hour:
        assert np.array_equal(a.by_arrival_hour[key], b.by_arrival_hour[key]), key
    assert np.array_equal(a.answered_in_hour, b.answered_in_hour)
    assert np.array_equal(a.abandoned_in_hour, b.abandoned_in_hour)
    assert np.array_equal(a.hour_response, b.hour_response, equal_nan=True)
    assert np.array_equal(a.day_p90, b.day_p90, equal_nan=True)
    for x, y in zip([*a.class_wait, a.resolution], [*b.class_wait, b.resolution], strict=True):
        assert np.array_equal(x.bins, y.bins) and np.array_equal(x.counts, y.counts)
    assert np.array_equal(a.waiting.level, b.waiting.level)
    assert np.array_equal(a.waiting.segment_peak, b.waiting.segment_peak)
    # exact sums: bit-identical however the messages were batched
    assert a.busy.tobytes() == b.busy.tobytes()
    assert a.ended == b.ended
    assert (a.wait_sum, a.ended_sum) == (b.wait_sum, b.ended_sum)


@settings(max_examples=60, deadline=None)
@given(inst=instances(max_n=400), cut=st.integers(1, 60), steps=st.integers(1, 12))
def test_batches_give_the_tally_of_all_messages_at_once(
    inst: Instance, cut: int, steps: int
) -> None:
    tl = resolve_timeline(queue_scenario(days=2))
    streamed, whole = ServiceTally(tl, HORIZON), ServiceTally(tl, HORIZON)
    stream(_queue(inst, cut), streamed, np.linspace(0, HORIZON, steps + 1)[1:-1])
    once = _queue(inst, cut)
    once.advance(HORIZON)
    whole.finish(once.rest(), *once.present())
    assert_same(streamed, whole)


def test_a_season_streamed_equals_its_records_and_the_exact_figures() -> None:
    """99 days of the flagship: the queue compacts and forgets as it goes, the tally streams."""
    result = run_one(RunSpec(load_scenario(SCENARIOS / "xiaomi_2013q1.toml"), 7), records=True)
    q, t = result.queue, result.tally
    assert q is not None
    whole = ServiceTally(result.spec.timeline, q.horizon)
    records = HumanQueue(result.schedule)
    records.offer(q.arrival, q.priority, q.handle, q.deadline, q.tag)
    records.advance(q.horizon)  # served again from the records: the same starts
    assert np.array_equal(records.records().start, q.start, equal_nan=True)
    whole.finish(records.rest(), q.present_times, q.present_agents)
    assert_same(t, whole)
    # against the per-message figures
    answered = ~np.isnan(q.start)
    wait = (q.start - q.arrival)[answered]
    s = summarize(result)
    assert s["messages_answered"] == int(answered.sum())
    for p, key in ((0.5, "response_p50_minutes"), (0.9, "response_p90_minutes")):
        assert abs(s[key] - float(np.quantile(wait, p))) <= ERROR_MINUTES
    day = (q.arrival[answered] // DAY).astype(int)
    for d in (0, 40, 64, 98):
        assert t.day_p90[d, 0] == float(np.quantile(wait[day == d], 0.9))
    hour = (q.start[answered] // 60).astype(int)
    for h in (9, 1000, 1556):
        assert t.hour_response[h, 1] == float(np.quantile(wait[hour == h], 0.9))


def _part(s: Settled, lo: int, hi: int) -> Settled:
    return Settled(
        *(getattr(s, f)[lo:hi] for f in ("arrival", "handle", "deadline", "start", "tag"))
    )


@settings(max_examples=60, deadline=None)
@given(inst=instances(max_n=400), cuts=st.lists(st.integers(0, 400), max_size=10))
def test_the_means_and_busy_minutes_do_not_depend_on_the_chunks(
    inst: Instance, cuts: list[int]
) -> None:
    """The same settled messages handed over in any chunks: bit-identical sums, equal to fsum."""
    q = _queue(inst, 10**9)
    q.advance(HORIZON)
    every = q.rest()
    tl = resolve_timeline(queue_scenario(days=2))
    one, chunked = ServiceTally(tl, HORIZON), ServiceTally(tl, HORIZON)
    one.finish(every, *q.present())
    n = every.arrival.size
    edges = sorted({0, n, *(c % (n + 1) for c in cuts)})
    for lo, hi in itertools.pairwise(edges[:-1]):
        chunked.add(_part(every, lo, hi), float(every.arrival[hi]), final=True)
    chunked.finish(_part(every, edges[-2] if len(edges) > 1 else 0, n), *q.present())
    assert_same(one, chunked)
    answered = ~np.isnan(every.start)
    assert chunked.wait_sum == math.fsum((every.start - every.arrival)[answered].tolist())


def test_a_message_waiting_for_days_holds_only_itself() -> None:
    """One message for a group nobody staffs, with no patience limit, waits the whole run while
    20,000 messages a day are served: the queue hands the others over every midnight, so what
    the queue and the tally hold stays flat, and the figures are those of the same run handed
    over once at the end."""
    days, per_day = 12, 20_000
    groups = (
        AgentGroup("served", StaffSchedule((0.0,), (30,)), (0,)),
        AgentGroup("unstaffed", StaffSchedule((0.0,), (0,)), (1,)),
    )
    tl = resolve_timeline(queue_scenario(days=days, classes=TWO))
    rng = np.random.default_rng(5)
    offers = []
    for day in range(days):
        arrival = np.sort(rng.uniform(day * DAY, (day + 1) * DAY, per_day))
        skill = np.zeros(per_day, np.int64)
        if day == 0:
            skill[0] = 1  # the first message: nobody answers it
        patience = np.where(skill == 1, np.inf, rng.exponential(30.0, per_day))
        offers.append((arrival, skill, rng.exponential(1.0, per_day), arrival + patience))
    q, once = (
        GroupQueue(groups, 2, compact_at_least=1),
        GroupQueue(groups, 2, compact_at_least=10**9),
    )
    tally, whole = ServiceTally(tl, days * DAY), ServiceTally(tl, days * DAY)
    held, traced = [], []
    tracemalloc.start()
    try:
        for day, (arrival, skill, handle, deadline) in enumerate(offers):
            q.advance(day * DAY)
            if q.compact():
                tally.add(q.settled_chunk(), q.frontier)
            q.forget(q.offered - 2 * per_day)  # as the engine: the last days kept for feedback
            held.append(q.rest().arrival.size)
            traced.append(tracemalloc.get_traced_memory()[0])
            q.offer(arrival, skill, handle, deadline, skill, skill=skill)
    finally:
        tracemalloc.stop()
    q.advance(days * DAY)
    tally.finish(q.rest(), *q.present())
    for arrival, skill, handle, deadline in offers:
        once.offer(arrival, skill, handle, deadline, skill, skill=skill)
    stream(once, whole, [])
    assert tally.by_class["queued"].tolist() == [0, 1]  # it waited to the end
    assert_same(tally, whole)
    assert max(held[1:]) < 100  # the waiting one and a few in flight, not days of messages
    # a day of messages is several MB where they are kept; from day 3 on, nothing grows
    assert max(traced[3:]) - traced[3] < 1_000_000, traced


@settings(max_examples=40, deadline=None)
@given(
    inst=instances(max_n=300),
    patient=st.booleans(),
    groups=st.booleans(),
    times=st.lists(st.floats(0.0, 6 * DAY), min_size=1, max_size=30),
    seed=st.integers(0, 2**32 - 1),
)
def test_hand_overs_at_any_times_over_days_give_the_tally_of_one_hand_over(
    inst: Instance, patient: bool, groups: bool, times: list[float], seed: int
) -> None:
    """Six days of messages, some waiting across several midnights (rosters dropping to 0; in
    half the cases nobody gives up), handed over at 1-30 random times while later days close:
    the tally of the run handed over once at the horizon. One pool, or two groups."""
    days = 6
    f = 0.95 * days * DAY / float(inst.arrival[-1])
    arrival, handle = inst.arrival * f, inst.handle * f
    deadline = np.full(arrival.size, np.inf) if patient else inst.deadline * f
    roster = tuple(t * f for t in inst.times)
    levels = (inst.levels[0], *(0 if j % 2 == 0 else v for j, v in enumerate(inst.levels[1:])))
    skill = np.random.default_rng(seed).integers(0, 2, arrival.size)
    tl = resolve_timeline(queue_scenario(days=days, classes=TWO))

    def run(at_least: int, at: list[float]) -> ServiceTally:
        q: HumanQueue
        if groups:
            q = GroupQueue(
                (
                    AgentGroup("a", StaffSchedule(roster, levels), (0,)),
                    AgentGroup("b", StaffSchedule(roster, levels[::-1]), (1, 0)),
                ),
                2,
                compact_at_least=at_least,
            )
            q.offer(arrival, inst.priority % 2, handle, deadline, skill, skill=skill)
        else:
            q = HumanQueue(StaffSchedule(roster, levels), 3, at_least)
            q.offer(arrival, inst.priority, handle, deadline, skill)
        tally = ServiceTally(tl, days * DAY)
        stream(q, tally, at)
        return tally

    assert_same(run(1, sorted(times)), run(10**9, []))
