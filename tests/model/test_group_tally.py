"""The tally streamed from the grouped queue (several agent groups, skills, chats) against the
figures computed directly from every message's record: counts and backlog exact, percentiles
within `ERROR_MINUTES` (whole run, each class, each channel), hourly and daily ones exact.

Two sources of records: the engine's own (`records`), and the plain SimPy model of groups
(`tests.reference_groups`), which shares no code with `GroupQueue` or the tally."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from sim.model.engine import RunSpec, ServiceModel
from sim.model.group_queue import GroupQueue
from sim.model.histogram import ERROR_MINUTES, SecondHistogram
from sim.model.tally import ServiceTally, target_table
from sim.results.summary import summarize
from sim.scenario.load import load_scenario
from sim.scenario.timeline import Timeline, resolve_timeline
from sim.units import DAY
from tests.factories import queue_scenario
from tests.model.test_group_queue import Grouped, grouped, specs
from tests.model.test_tally import stream
from tests.reference_groups import RefGroup, reference_group_starts
from tests.strategies import Instance

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
SCENARIOS = Path(__file__).parents[2] / "scenarios"
HORIZON = 3 * DAY
HUMAN = {"routing": "human", "handle_time_minutes": {"dist": "exponential", "mean": 1.0}}
THREE = {name: {"share": 1 / 3, **HUMAN} for name in ("a", "b", "c")}


@dataclass(frozen=True)
class Records:
    """Every routed message: the raw record a direct computation starts from."""

    arrival: F64
    handle: F64
    deadline: F64
    start: F64  # NaN: not picked up
    tag: I64  # message class


def _quantile(x: F64, p: float) -> float:
    return float(np.quantile(x, p)) if x.size else float("nan")


def _levels(r: Records, horizon: float) -> tuple[F64, I64, I64]:
    """Brute force: each arrival that waited and the level just after it, and the level at each
    hour edge (events at the edge counted)."""
    answered = ~np.isnan(r.start)
    waited = ~answered | (r.start > r.arrival)
    a = r.arrival[waited]
    leave = np.where(answered, r.start, r.deadline)[waited]
    leave = np.where(leave <= horizon, leave, np.inf)
    after = np.asarray([np.sum((a <= t) & (leave > t)) for t in a], np.int64)
    edges = 60.0 * np.arange(int(horizon // 60) + 1)
    level = np.asarray([np.sum((a <= t) & (leave > t)) for t in edges], np.int64)
    return a, after, level


def _busy(r: Records, horizon: float, hours: int) -> list[float]:
    """Agent-busy minutes of each hour: every handling's overlap with it, summed exactly."""
    answered = ~np.isnan(r.start)
    start = r.start[answered]
    end = np.minimum(start + r.handle[answered], horizon)
    out = []
    for h in range(hours):
        lo, hi = np.maximum(start, 60.0 * h), np.minimum(end, 60.0 * (h + 1))
        out.append(math.fsum((hi - lo)[hi > lo].tolist()))
    return out


def _same(a: float, b: float, tol: float) -> bool:
    return (np.isnan(a) and np.isnan(b)) or abs(a - b) <= tol


def _class_sets(tl: Timeline) -> list[list[int]]:
    """Each class, each channel (WeChat: the classes of no inbound channel), the whole run."""
    k = len(tl.class_names)
    channels = [[tl.class_names.index(c) for c in classes] for _, classes in tl.channels]
    others = sorted(set(range(k)) - {c for ch in channels for c in ch})
    return [[c] for c in range(k)] + [others, *channels, list(range(k))]


def assert_tally_is_direct(t: ServiceTally, r: Records, tl: Timeline, tol: float = 0.0) -> None:
    """Every figure the outputs read from the tally, against the records; the hourly and daily
    percentiles and the mean within `tol` (0: bit for bit)."""
    horizon = t.horizon
    answered = ~np.isnan(r.start)
    abandoned = ~answered & (r.deadline <= horizon)
    wait = r.start - r.arrival
    day = np.minimum((r.arrival // DAY).astype(np.int64), t.days - 1)
    first = target_table(tl, "first_response")[day, r.tag]
    with np.errstate(invalid="ignore"):
        met = answered & (wait <= first)
    known = answered | abandoned | (horizon - r.arrival > first)
    res = target_table(tl, "resolution")[day, r.tag]
    with np.errstate(invalid="ignore"):
        res_met = answered & (wait + r.handle <= res)
    res_known = answered | abandoned | (horizon - r.arrival > res)
    k, hours = len(tl.class_names), t.hours
    arrival_hour = np.minimum((r.arrival // 60).astype(np.int64), hours - 1)
    assert (
        t.by_arrival_hour["routed"].tolist() == np.bincount(arrival_hour, minlength=hours).tolist()
    )
    for key, flags in (
        ("answered", answered),
        ("abandoned", abandoned),
        ("queued", ~answered & ~abandoned),
        ("first_met", met),
        ("first_known", known),
        ("res_met", res_met),
        ("res_known", res_known),
    ):
        assert t.by_class[key].tolist() == np.bincount(r.tag[flags], minlength=k).tolist(), key
        by_hour = np.bincount(arrival_hour[flags], minlength=hours)
        assert t.by_arrival_hour[key].tolist() == by_hour.tolist(), key
    picked = np.bincount((r.start[answered] // 60).astype(np.int64), minlength=hours + 1)
    assert t.answered_in_hour.tolist() == picked[:hours].tolist()
    gone = np.bincount((r.deadline[abandoned] // 60).astype(np.int64), minlength=hours + 1)
    assert t.abandoned_in_hour.tolist() == gone[:hours].tolist()
    for h, minutes in enumerate(_busy(r, horizon, hours)):
        assert _same(float(t.busy[h]), minutes, tol * 60), h
    for classes in _class_sets(tl):
        mine = answered & np.isin(r.tag, classes)
        hist = SecondHistogram.merged(t.class_wait[c] for c in classes)
        for p in (0.5, 0.9):
            assert _same(hist.quantile(p), _quantile(wait[mine], p), ERROR_MINUTES), (classes, p)
    resolution = (wait + r.handle)[answered]
    assert _same(t.resolution.quantile(0.9), _quantile(resolution, 0.9), ERROR_MINUTES)
    assert _same(t.wait_sum, math.fsum(wait[answered].tolist()), tol)
    # hourly (by pick-up hour) and daily (by arrival day) percentiles: exact
    hour = (r.start[answered] // 60).astype(np.int64)
    for h in range(t.hours):
        w = wait[answered][hour == h]
        assert _same(t.hour_response[h, 0], _quantile(w, 0.5), tol), h
        assert _same(t.hour_response[h, 1], _quantile(w, 0.9), tol), h
    for d in range(t.days):
        mine = answered & (day == d)
        assert _same(t.day_p90[d, 0], _quantile(wait[mine], 0.9), tol), d
        assert _same(t.day_p90[d, 1], _quantile((wait + r.handle)[mine], 0.9), tol), d
    # backlog: the run's peak, the level at every hour edge and the peak within each hour, exact
    came, after, level = _levels(r, horizon)
    assert t.waiting.peak() == max(after.tolist(), default=0)
    end, inside = t.waiting.hourly(hours)
    assert end.tolist() == level[1:].tolist()
    peaks = np.maximum(level[:-1], level[1:])
    np.maximum.at(peaks, np.minimum((came // 60).astype(np.int64), hours - 1), after)
    assert inside.tolist() == peaks.tolist()


def _scaled(g: Grouped, f: float) -> Grouped:
    """The same instance with every time stretched by `f` (spread over the run's days)."""
    i = g.inst
    inst = Instance(i.arrival * f, i.priority, i.handle * f, i.deadline * f, i.times, i.levels)
    groups = tuple(
        RefGroup(r.skills, tuple(x * f for x in r.times), r.levels, r.max_chats, r.stretch, r.order)
        for r in g.groups
    )
    return Grouped(inst, g.skill, groups, g.skills)


@settings(max_examples=60, deadline=None)
@given(st.booleans().flatmap(lambda chats: grouped(chats=chats)), st.integers(1, 8))
def test_a_grouped_queue_streamed_in_steps_gives_the_reference_figures(
    g: Grouped, steps: int
) -> None:
    """The engine settled and tallied at several times; the figures from the SimPy reference."""
    g = _scaled(g, min(10.0, 0.95 * HORIZON / float(g.inst.arrival[-1])))
    i = g.inst
    tl = resolve_timeline(queue_scenario(days=3, classes=THREE))
    tally = ServiceTally(tl, HORIZON)
    q = GroupQueue(specs(g), g.skills, compact_at_least=1)
    q.offer(i.arrival, i.priority, i.handle, i.deadline, g.skill, skill=g.skill)
    stream(q, tally, np.linspace(0, HORIZON, steps + 2)[1:-1])
    start, _ = reference_group_starts(
        g.groups, g.skill, i.arrival, i.priority, i.handle, i.deadline
    )
    start = np.where(start <= HORIZON, start, np.nan)
    # SimPy's clock adds up timeouts: a pick-up on arrival may come out an ulp late there
    start = np.where(np.abs(start - i.arrival) <= 1e-9, i.arrival, start)
    records = Records(i.arrival, i.handle, i.deadline, start, g.skill)
    assert_tally_is_direct(tally, records, tl, tol=1e-9)


def test_the_newmedia_week_streamed_by_day_gives_the_figures_of_its_records() -> None:
    """Two groups (WeChat; Weibo with 3 chats), two channels: the queue hands over settled
    messages every midnight (a low threshold), the outputs match the records and the run
    that never hands over."""
    scenario = load_scenario(SCENARIOS / "xiaomi_newmedia_2013.toml")
    spec = RunSpec(scenario, 7)
    results = []
    for threshold in (1_000, 10**9):
        env = simpy.Environment()
        model = ServiceModel(
            env, scenario, spec.streams(), records=True, compact_at_least=threshold
        )
        results.append(model.run(spec))
    streamed, whole = results
    q = streamed.queue
    assert q is not None and streamed.groups is not None
    per_day = np.bincount((q.arrival // DAY).astype(np.int64))
    assert per_day.min() > 1_000  # so the queue hands messages over at every midnight
    r = Records(q.arrival, q.handle, q.deadline, q.start, q.tag)
    assert_tally_is_direct(streamed.tally, r, spec.timeline)
    a, b = summarize(streamed), summarize(whole)
    drop = {"params_hash"}
    assert {k: v for k, v in a.items() if k not in drop} == {
        k: v for k, v in b.items() if k not in drop
    }
    # per channel (WeChat's classes, then Weibo's) and per group, from the records
    names = streamed.class_names
    weibo = [names.index(c) for c in ("weibo_pm", "weibo_mention")]
    answered = ~np.isnan(q.start)
    on_weibo = np.isin(q.tag, weibo)
    assert a["channels"]["weibo"]["messages_answered"] == int(np.sum(answered & on_weibo))
    served = streamed.groups.group
    assert np.all(served[on_weibo & answered] == 1) and np.all(served[~on_weibo & answered] == 0)
