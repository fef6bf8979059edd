"""Pushes: targeting by tags, replies, unfollows under common random numbers, the SMS cost."""

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import RunSpec, run_one
from sim.model.pushes import reply_means, segment_shares
from sim.results.summary import summarize
from sim.scenario.spread import SegmentSpec
from tests.factories import growth_scenario

CHANNELS = {
    "forum": {
        "pool": 80_000,
        "conversion": 0.02,
        "exposure": {"kind": "visitors", "visitors_per_day": 20_000},
    },
    "store": {
        "pool": 80_000,
        "conversion": 0.02,
        "gift_share": 0.2,
        "exposure": {"kind": "orders", "orders_per_day": 5_000, "prompt_share": 0.5},
    },
}
QUIET = {"unfollow_per_day": 0.002, "unanswered_unfollow": 0.0}


def scenario(sends: dict[str, Any] | None) -> Any:
    sc = growth_scenario(channels=CHANNELS, followers=QUIET, days=14)
    if sends is None:
        return sc
    pushes = sc.pushes.model_validate({**sc.pushes.model_dump(), "sends": sends})
    return sc.model_copy(update={"pushes": pushes})


def push(**changes: Any) -> dict[str, Any]:
    return {
        "at": "2013-01-08T20:00:00",
        "segment": {"sources": ["forum"]},
        "reply_rate": 0.1,
        "reply_class": "order",
        "unfollow_per_recipient": 0.05,
        **changes,
    }


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rate=st.floats(0.0, 0.3))
def test_a_targeted_push_leaves_other_segments_unfollows_unchanged(seed: int, rate: float) -> None:
    plain = run_one(RunSpec(scenario(None), seed))
    pushed = run_one(RunSpec(scenario({"forum_news": push(unfollow_per_recipient=rate)}), seed))
    assert plain.followers is not None and pushed.followers is not None
    store = plain.followers.sources.index("store")
    forum = plain.followers.sources.index("forum")
    assert plain.followers.fans_by_source[store] == pushed.followers.fans_by_source[store]
    assert np.array_equal(plain.followers.follows[:, store], pushed.followers.follows[:, store])
    assert pushed.followers.fans_by_source[forum] <= plain.followers.fans_by_source[forum]


def test_push_replies_unfollows_and_the_sms_cost() -> None:
    plain = run_one(RunSpec(scenario(None), 9))
    pushed = run_one(RunSpec(scenario({"forum_news": push()}), 9))
    s = summarize(pushed)
    p = s["pushes"]["forum_news"]
    assert plain.followers is not None
    forum = plain.followers.sources.index("forum")
    forum_follows = int(plain.followers.follows[:8, forum].sum())  # up to the push's midnight
    assert 0.95 * forum_follows < p["recipients"] <= forum_follows
    assert p["sms_cost"] == pytest.approx(p["recipients"] * 0.04)
    assert s["push_sms_cost"] == p["sms_cost"]
    order = pushed.class_names.index("order")
    extra = int(pushed.received[:, order].sum() - plain.received[:, order].sum())
    assert abs(extra - p["replies_expected"]) < 5 * np.sqrt(p["replies_expected"])
    assert abs(p["unfollows"] - 0.05 * p["recipients"]) < 5 * np.sqrt(0.05 * p["recipients"])
    assert "pushes" not in summarize(plain)


def test_relevant_recipients_unfollow_at_their_own_rate() -> None:
    broadcast = push(
        segment=None,
        relevant_to={"sources": ["store"]},
        unfollow_per_recipient=0.2,
        relevant_unfollow_per_recipient=0.0,
    )
    s = summarize(run_one(RunSpec(scenario({"all": broadcast}), 4)))
    p = s["pushes"]["all"]
    others = p["recipients"] - p["relevant_recipients"]
    assert p["relevant_recipients"] > 0
    assert abs(p["unfollows"] - 0.2 * others) < 5 * np.sqrt(0.2 * others)


def test_segments_select_cells_by_tags() -> None:
    seg = SegmentSpec(
        sources=("forum",), followed_from=dt.date(2013, 1, 2), gift_driven=False, active=True
    )
    share = segment_shares(seg, ("initial", "forum"), dt.date(2013, 1, 1), 3, 0.4)
    expected = np.zeros((2, 3, 2))
    expected[1, 1:, 0] = 0.4
    assert np.array_equal(share, expected)


def test_replies_integrate_to_their_total() -> None:
    means = reply_means(100.0, 20 * 60.0, 0.0, 15.0, 96 * 3, 2.0)
    assert means.sum() == pytest.approx(100.0)
    assert means[: 20 * 4].sum() == 0.0
