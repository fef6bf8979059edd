"""Inbound channels in the model: their own volumes, their own random streams, who serves them."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.engine import ModelResult, RunSpec, run_one
from sim.scenario.load import scenario_from_dict
from tests.factories import inbound_raw


def _run(raw: dict[str, Any], seed: int = 5) -> ModelResult:
    return run_one(records=True, spec=RunSpec(scenario_from_dict(raw), seed))


def _columns(result: ModelResult, names: list[str]) -> list[int]:
    return [result.class_names.index(n) for n in names]


def test_channel_classes_follow_the_wechat_classes() -> None:
    result = _run(inbound_raw())
    assert result.class_names == ("keyword", "order", "weibo_pm", "weibo_mention")


def test_each_channel_draws_its_expected_volume_within_poisson_noise() -> None:
    days = 3
    result = _run(inbound_raw(days=days))
    # expected per day: WeChat 2,000 fans x 1 (80% keyword), Weibo 200k x 10% x 0.02 = 400
    expected = {"keyword": 1600.0, "order": 400.0, "weibo_pm": 240.0, "weibo_mention": 160.0}
    for name, per_day in expected.items():
        got = int(result.received[:, result.class_names.index(name)].sum())
        mean = per_day * days
        assert abs(got - mean) < 4 * np.sqrt(mean), (name, got, mean)
    # the channel's own keyword auto-reply answers half of the mentions (coverage 0.5)
    mention = result.class_names.index("weibo_mention")
    auto, received = result.auto_replied[:, mention].sum(), result.received[:, mention].sum()
    assert abs(auto - 0.5 * received) < 4 * np.sqrt(0.25 * received)
    assert result.auto_replied[:, result.class_names.index("weibo_pm")].sum() == 0


def test_a_channel_follows_its_hourly_profile_and_its_growth() -> None:
    raw = inbound_raw(days=4)
    weibo = raw["inbound"]["weibo"]
    weibo["hourly_profile"] = [0.0] * 12 + [1.0] * 12  # afternoons only
    weibo["growth_per_day"] = 200_000.0  # the followers double each day: 1x, 2x, 3x, 4x
    result = _run(raw)
    cols = _columns(result, ["weibo_pm", "weibo_mention"])
    per_day = result.received[:, cols].sum(axis=1).reshape(4, -1)
    assert per_day[:, : per_day.shape[1] // 2].sum() == 0
    daily = per_day.sum(axis=1)
    for d, got in enumerate(daily):
        mean = 400.0 * (d + 1)
        assert abs(got - mean) < 4 * np.sqrt(mean), (d, got)


def test_channel_messages_do_not_pass_the_wechat_switch() -> None:
    """WeChat's back end off routes WeChat's keyword messages to humans, not Weibo's mentions."""
    raw = inbound_raw()
    raw["service"]["back_end"] = False
    result = _run(raw)
    keyword, mention = _columns(result, ["keyword", "weibo_mention"])
    assert result.auto_replied[:, keyword].sum() == 0
    assert result.auto_replied[:, mention].sum() > 0


def _wechat_draws(result: ModelResult) -> tuple[bytes, ...]:
    wechat = _columns(result, ["keyword", "order"])
    arrivals = result.queue.arrival[np.isin(result.queue.tag, wechat)]
    handles = result.queue.handle[np.isin(result.queue.tag, wechat)]
    return (
        result.received[:, wechat].tobytes(),
        result.auto_replied[:, wechat].tobytes(),
        arrivals.tobytes(),
        handles.tobytes(),
    )


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    followers=st.integers(0, 400_000),
    rate=st.floats(0.0, 0.05),
    coverage=st.floats(0.0, 1.0),
)
def test_adding_a_channel_never_changes_the_wechat_draws(
    seed: int, followers: int, rate: float, coverage: float
) -> None:
    """Common random numbers: WeChat's messages are the same with or without any channel."""
    with_channel = inbound_raw(days=1)
    weibo = with_channel["inbound"]["weibo"]
    weibo |= {"followers": followers, "per_active_fan_per_day": rate}
    weibo["auto_reply_coverage"] = coverage
    without = copy.deepcopy(with_channel)
    del without["inbound"]
    assert _wechat_draws(_run(with_channel, seed)) == _wechat_draws(_run(without, seed))


def test_adding_a_second_channel_leaves_the_first_ones_draws() -> None:
    one = inbound_raw(days=1)
    two = copy.deepcopy(one)
    two["inbound"]["forum"] = {
        "platform": "forum",
        "followers": 50_000,
        "per_active_fan_per_day": 0.01,
        "classes": {"feedback": {**two["inbound"]["weibo"]["classes"]["weibo_pm"], "share": 1.0}},
    }
    a, b = _run(one), _run(two)
    cols = _columns(a, ["weibo_pm", "weibo_mention"])
    assert b.class_names[: len(a.class_names)] == a.class_names
    assert a.received[:, cols].tobytes() == b.received[:, cols].tobytes()
    assert b.received[:, b.class_names.index("feedback")].sum() > 0


def test_groups_serve_the_channels_named_in_their_skills() -> None:
    raw = inbound_raw()
    raw["service"] = {
        "groups": {
            "wechat_team": {"skills": ["keyword", "order"], "agents_by_hour": [2] * 24},
            "weibo_team": {"skills": ["weibo"], "agents_by_hour": [2] * 24, "max_chats": 2},
        }
    }
    result = _run(raw)
    assert result.groups is not None
    tag, group = result.queue.tag, result.groups.group
    weibo = np.isin(tag, _columns(result, ["weibo_pm", "weibo_mention"]))
    served = group >= 0
    assert served[weibo].any() and served[~weibo].any()
    assert set(group[weibo & served].tolist()) == {1}
    assert set(group[~weibo & served].tolist()) == {0}


def test_one_pool_serves_every_channel_without_groups() -> None:
    result = _run(inbound_raw())
    q = result.queue
    answered = ~np.isnan(q.start)
    for name in ("order", "weibo_pm", "weibo_mention"):
        mine = q.tag == result.class_names.index(name)
        assert mine.any() and answered[mine].all(), name


def test_wechat_quality_feedback_counts_only_wechat_messages() -> None:
    """A flood of unanswered Weibo messages does not make WeChat fans unfollow."""
    raw = inbound_raw(days=4)
    raw["channels"] = {
        "site": {
            "pool": 1e6,
            "exposure": {"kind": "visitors", "visitors_per_day": 100},
            "conversion": 0.1,
        }
    }
    raw["followers"] = {"unanswered_unfollow": 1.0}
    raw["service"] = {
        "groups": {
            "wechat_team": {"skills": ["keyword", "order"], "agents_by_hour": [5] * 24},
            "weibo_team": {"skills": ["weibo"], "agents_by_hour": [0] * 24},
        },
        "patience_minutes": {"dist": "exponential", "mean": 10},
    }
    flooded = _run(raw)
    raw["inbound"]["weibo"]["followers"] = 0
    quiet = _run(raw)
    assert flooded.followers is not None and quiet.followers is not None
    assert flooded.followers.unfollows.sum() == quiet.followers.unfollows.sum()
    assert flooded.followers.quality.tobytes() == quiet.followers.quality.tobytes()
