"""Campaign launches under common random numbers: levers move turnout, sharing and reach."""

from typing import Any

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import RunSpec, run_one
from sim.model.engine import ServiceModel
from sim.model.launch import Launcher
from sim.model.rng import Streams
from sim.results.summary import summarize
from sim.scenario.response import ReachSpec
from sim.scenario.schema import Scenario
from tests.factories import growth_scenario

CASCADE = {
    "kind": "repost",
    "share_probability": 0.2,
    "contacts_mean": 8,
    "contacts_dispersion": 0.5,
    "join_probability": 0.1,
    "follow_probability": 0.8,
    "delay_hours_mean": 6,
    "max_days": 4,
}


def event(
    prize_value: float = 0.0,
    pushes: int = 0,
    posts: int = 0,
    warmup_days: int = 0,
    pool: float = 200_000,
    end: str = "2013-01-05T15:00:00",
    **more: Any,
) -> Scenario:
    c: dict[str, Any] = {
        "type": "repost_lottery",
        "start": "2013-01-05T14:00:00",
        "end": end,
        "message_class": "keyword",
        "prizes": 20,
        "prize_value": prize_value,
        "promotion": {"pushes": pushes, "posts": posts, "reach_per_post": 5_000},
        "cascade": CASCADE,
        **more,
    }
    if warmup_days:
        c["warmup"] = {"days": warmup_days, "reach_per_day": 3_000}
    sc = growth_scenario(days=10, initial=20_000, campaigns={"lottery": c})
    return sc.model_copy(update={"reach": ReachSpec(wechat_pool=pool)})


def outputs(sc: Scenario, seed: int) -> dict[str, Any]:
    s = summarize(run_one(RunSpec(sc, seed)))
    row: dict[str, Any] = s["campaigns"]["lottery"]
    return row


@settings(max_examples=12, deadline=None)
@given(
    value=st.floats(0, 500),
    more=st.floats(1, 2000),
    seed=st.integers(0, 2**31),
)
def test_more_prize_value_never_gives_fewer_participants_or_shares(
    value: float, more: float, seed: int
) -> None:
    low, high = outputs(event(value), seed), outputs(event(value + more), seed)
    assert high["participants"] >= low["participants"]
    assert high["shares"] >= low["shares"]


@settings(max_examples=12, deadline=None)
@given(
    pushes=st.integers(0, 2),
    posts=st.integers(0, 3),
    more_pushes=st.integers(0, 2),
    more_posts=st.integers(0, 3),
    seed=st.integers(0, 2**31),
)
def test_more_promotion_never_gives_fewer_participants_or_shares(
    pushes: int, posts: int, more_pushes: int, more_posts: int, seed: int
) -> None:
    low = outputs(event(50.0, pushes, posts), seed)
    high = outputs(event(50.0, pushes + more_pushes, posts + more_posts), seed)
    assert high["participants"] >= low["participants"]
    assert high["shares"] >= low["shares"]


@settings(max_examples=10, deadline=None)
@given(days=st.integers(0, 20), more=st.integers(1, 10), seed=st.integers(0, 2**31))
def test_a_longer_warm_up_never_gives_fewer_participants_or_shares(
    days: int, more: int, seed: int
) -> None:
    low = outputs(event(50.0, warmup_days=days), seed)
    high = outputs(event(50.0, warmup_days=days + more), seed)
    assert high["participants"] >= low["participants"]
    assert high["shares"] >= low["shares"]


@settings(max_examples=10, deadline=None)
@given(pool=st.floats(1_000, 300_000), more=st.floats(1, 300_000), seed=st.integers(0, 2**31))
def test_a_larger_pool_never_gives_fewer_reached(pool: float, more: float, seed: int) -> None:
    small = outputs(event(50.0, posts=2, pool=pool), seed)
    large = outputs(event(50.0, posts=2, pool=pool + more), seed)
    assert large["reached"] >= small["reached"]


@settings(max_examples=10, deadline=None)
@given(
    pool=st.floats(1_000, 200_000),
    warmup=st.integers(0, 15),
    seed=st.integers(0, 2**31),
)
def test_a_multi_day_event_never_reaches_more_than_its_pool(
    pool: float, warmup: int, seed: int
) -> None:
    sc = event(200.0, posts=2, warmup_days=warmup, pool=pool, end="2013-01-08T15:00:00")
    row = outputs(sc, seed)
    assert row["reached"] <= pool
    assert sum(d["reached"] for d in row["by_day"]) == row["reached"]
    days = {d["date"] for d in row["by_day"] if d["phase"] == "campaign"}
    assert days == {"2013-01-05", "2013-01-06", "2013-01-07", "2013-01-08"}


def test_prizes_change_outputs_and_a_typed_participation_still_overrides_turnout() -> None:
    no_prize, prized = outputs(event(0.0), 11), outputs(event(300.0), 11)
    assert prized["participants"] > no_prize["participants"]
    typed = [outputs(event(v, participation=0.2), 11) for v in (0.0, 300.0)]
    assert typed[1]["participants"] >= typed[0]["participants"]
    assert typed[1]["shares"] > typed[0]["shares"]  # sharing still responds to the prize


def test_the_reach_pool_holds_exactly_what_the_campaign_reports_reaching() -> None:
    sc = event(200.0, posts=2, warmup_days=5, pool=50_000, end="2013-01-07T15:00:00")
    model = ServiceModel(simpy.Environment(), sc, Streams(5))
    result = model.run(RunSpec(sc, 5))
    assert isinstance(model.launcher, Launcher)
    reached = sum(d.reached for d in result.campaign_days["lottery"].values())
    assert model.launcher.reach.recent("wechat", 9) == reached <= 50_000
    assert model.launcher.reach.fresh("wechat", 9) == 50_000 - reached


def test_a_campaign_soon_after_another_meets_people_it_tired_until_the_window_ends() -> None:
    def second_reached(with_first: bool, memory_days: int) -> int:
        c = event(200.0, posts=2, pool=60_000).campaigns["lottery"]
        later = c.model_copy(
            update={
                "start": c.start.replace(day=8),
                "end": c.end.replace(day=8),
            }
        )
        campaigns = {"second": later, **({"first": c} if with_first else {})}
        sc = event(pool=60_000).model_copy(update={"campaigns": campaigns})
        reach = ReachSpec(wechat_pool=60_000, memory_days=memory_days)
        sc = sc.model_copy(update={"reach": reach})
        return int(outputs_of(sc, 3, "second")["reached"])

    tired = second_reached(True, 30)
    assert tired < second_reached(False, 30)  # the first campaign tired part of the pool
    assert second_reached(True, 2) > tired  # ... but not past the memory window


def outputs_of(sc: Scenario, seed: int, name: str) -> dict[str, Any]:
    row: dict[str, Any] = summarize(run_one(RunSpec(sc, seed)))["campaigns"][name]
    return row
