"""Audiences that tire and saturate: engagement by channel and arrival, its hazards and activity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.engagement import Engagement, convertible, engagement_at, interest_factor
from sim.model.engine import RunSpec, run_one
from sim.scenario.schema import ChannelSpec, FollowersSpec
from tests.factories import growth_scenario


def channel(pool: float = 10_000.0, interested: float | None = None) -> ChannelSpec:
    return ChannelSpec.model_validate(
        {
            "pool": pool,
            "interested": interested,
            "conversion": 0.1,
            "exposure": {"kind": "visitors", "visitors_per_day": 1000},
        }
    )


def forum(pool: float, interested: float, conversion: float, visitors: float) -> dict[str, object]:
    """One visitors' channel with an interested population."""
    exposure = {"kind": "visitors", "visitors_per_day": visitors}
    spec = {"pool": pool, "interested": interested, "conversion": conversion, "exposure": exposure}
    return {"forum": spec}


def run(followers: dict[str, float], seed: int = 1, **kw):  # type: ignore[no-untyped-def]
    sc = growth_scenario(followers={"unanswered_unfollow": 0.0, **followers}, **kw)
    result = run_one(RunSpec(sc, seed))
    assert result.followers is not None
    return result


@settings(max_examples=60, deadline=None)
@given(
    pool=st.floats(1, 1e7),
    share=st.floats(0, 1),
    casual=st.floats(0, 1),
    a=st.floats(0, 2e7),
    b=st.floats(0, 2e7),
)
def test_later_fans_are_never_more_engaged(
    pool: float, share: float, casual: float, a: float, b: float
) -> None:
    """Engagement and the interest factor lie in their ranges and fall as the channel converts."""
    ch, fol = channel(pool), FollowersSpec(interested_share=share, casual_conversion=casual)
    early, late = sorted((a, b))
    assert 0.0 <= engagement_at(ch, fol, late) <= engagement_at(ch, fol, early) <= 1.0
    assert casual <= interest_factor(ch, fol, late) <= interest_factor(ch, fol, early) <= 1.0
    assert engagement_at(ch, fol, 0.0) == (1.0 if share * pool > 0 else 0.0)


def test_engagement_is_one_minus_the_interested_share_used() -> None:
    ch, fol = channel(10_000, interested=2_000), FollowersSpec(interested_share=0.5)
    assert engagement_at(ch, fol, 500) == pytest.approx(0.75)  # the channel's own size wins
    assert engagement_at(channel(10_000), fol, 500) == pytest.approx(0.9)  # 0.5 x 10,000
    assert engagement_at(ch, fol, 5_000) == 0.0
    assert convertible(ch, FollowersSpec(casual_conversion=0.0), 500) == 1_500
    assert convertible(ch, FollowersSpec(casual_conversion=0.1), 500) == 9_500


def test_a_cell_keeps_the_mean_engagement_of_its_fans() -> None:
    e = Engagement((2, 3))
    e.join(1, 2, before=0, n=10, e=0.5)
    e.join(1, 2, before=10, n=30, e=0.1)
    assert e.values()[1, 2] == pytest.approx((10 * 0.5 + 30 * 0.1) / 40)
    assert e.values()[0, 0] == 1.0  # untouched cells (the initial fans) are fully engaged
    fol = FollowersSpec(casual_activity=0.4)
    assert e.activity(fol)[1, 2] == pytest.approx(0.4 + 0.6 * 0.2)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), interested=st.integers(0, 3_000))
def test_a_finite_interested_population_never_gives_more_follows_than_its_size(
    seed: int, interested: int
) -> None:
    """With casual_conversion = 0 only the interested people ever follow, whatever the draws."""
    channels = {
        "forum": {
            "pool": 50_000,
            "interested": max(1, interested),
            "conversion": 0.2,
            "exposure": {"kind": "visitors", "visitors_per_day": 20_000},
        }
    }
    r = run({"casual_conversion": 0.0}, seed, channels=channels)
    assert r.followers is not None
    assert r.followers.follows.sum() <= max(1, interested)


def test_channel_growth_slows_as_its_interested_population_is_used_up() -> None:
    """Same draws; past the interested people, follows fall to casual_conversion of theirs."""
    channels = forum(
        200_000, 2_000, 0.02, 20_000
    )  # used up in about 10 days (de/dt = -0.2 (0.2 + 0.8 e))
    full = run({"casual_conversion": 1.0}, channels=channels).followers
    slow = run({"casual_conversion": 0.2}, channels=channels).followers
    assert full is not None and slow is not None
    assert slow.follows[0].sum() == full.follows[0].sum()  # none used yet: the same draw
    late_ratio = slow.follows[-7:].sum() / full.follows[-7:].sum()
    assert 0.15 < late_ratio < 0.3  # then about casual_conversion (0.2) as many


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), low=st.floats(0, 0.05), extra=st.floats(0.001, 0.05))
def test_a_higher_casual_hazard_never_gives_fewer_unfollows(
    seed: int, low: float, extra: float
) -> None:
    """Common random numbers (quantile-coupled unfollows; no feedback from service)."""
    channels = forum(50_000, 2_000, 0.01, 20_000)
    totals = []
    for casual in (low, low + extra):
        fol = {"unfollow_per_day": 0.002, "casual_unfollow_per_day": casual}
        tr = run(fol, seed, channels=channels).followers
        assert tr is not None
        totals.append(np.cumsum(tr.unfollows))
    assert (totals[1] >= totals[0]).all()


def test_the_unfollow_rate_rises_as_casual_fans_arrive() -> None:
    """Engaged initial fans, then a channel whose interested people are soon used up.

    Theory: the late week's rate is about base + casual x (share of casual fans), well above the
    first week's (base; only the first newcomers are casual). Without the casual hazard it stays
    at the base rate.
    """
    channels = forum(1_000_000, 2_000, 0.02, 50_000)

    def weekly_rates(casual: float) -> tuple[float, float]:
        fol = {"unfollow_per_day": 0.002, "casual_unfollow_per_day": casual}
        tr = run(fol, channels=channels, initial=20_000, days=28).followers
        assert tr is not None
        rate = tr.unfollows[1:] / tr.fans[:-1]
        return float(rate[:7].mean()), float(rate[-7:].mean())

    first, last = weekly_rates(0.03)
    assert last > 2 * first
    assert last > 0.002 + 0.03 * 0.3  # most fans are casual by then
    flat_first, flat_last = weekly_rates(0.0)
    assert flat_last == pytest.approx(0.002, rel=0.3)
    assert flat_first == pytest.approx(0.002, rel=0.3)


def test_casual_fans_send_fewer_messages() -> None:
    channels = forum(1_000_000, 1_000, 0.02, 50_000)
    engaged = run({"casual_activity": 1.0}, channels=channels)
    casual = run({"casual_activity": 0.25}, channels=channels)
    assert engaged.followers is not None and casual.followers is not None
    # fans are the same until the first activity-driven difference feeds back; messages fall
    assert casual.received[-96:].sum() < 0.6 * engaged.received[-96:].sum()


def test_the_mechanism_off_changes_nothing() -> None:
    """Engagement is tracked but has no effect while its three effects are neutral."""
    a = run({}, seed=5)
    b = run({"interested_share": 0.01}, seed=5)
    assert a.followers is not None and b.followers is not None
    assert np.array_equal(a.followers.fans, b.followers.fans)
    assert np.array_equal(a.received, b.received)


def test_a_quality_floor_of_one_takes_service_out_of_conversion() -> None:
    """floor = 1: conversion x 1 whatever Q, exactly as quality_sensitivity = 0 (same draws)."""

    def with_sensitivity(s: float, floor: float):  # type: ignore[no-untyped-def]
        channels = {
            "forum": {
                "pool": 50_000,
                "conversion": 0.01,
                "quality_sensitivity": s,
                "exposure": {"kind": "visitors", "visitors_per_day": 20_000},
            }
        }
        return run({"quality_floor": floor}, seed=3, channels=channels, agents=0).followers

    floored, insensitive, sensitive = (
        with_sensitivity(2.0, 1.0),
        with_sensitivity(0.0, 0.0),
        with_sensitivity(2.0, 0.0),
    )
    assert np.array_equal(floored.follows, insensitive.follows)
    assert sensitive.follows.sum() < floored.follows.sum()  # no agents: Q < 1 costs follows
