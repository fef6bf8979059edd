from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.model.engine import RunSpec, run_one
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.scenario.load import load_scenario
from tests.factories import growth_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"


def trace(scenario, seed=1):  # type: ignore[no-untyped-def]
    result = run_one(RunSpec(scenario, seed))
    assert result.followers is not None
    return result.followers


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    base=st.floats(0, 0.05),
    unanswered=st.floats(0, 1),
    agents=st.integers(0, 3),
    pushes=st.floats(0, 6),
)
def test_fans_equal_initial_plus_follows_minus_unfollows(
    seed: int, base: float, unanswered: float, agents: int, pushes: float
) -> None:
    sc = growth_scenario(
        followers={
            "unfollow_per_day": base,
            "unanswered_unfollow": unanswered,
            "push_excess_unfollow": 0.05,
        },
        agents=agents,
        pushes_per_week=pushes,
    )
    tr = trace(sc, seed)
    expected = sc.fans.initial + np.cumsum(tr.follows.sum(axis=1) - tr.unfollows)
    assert np.array_equal(tr.fans, expected)
    assert (tr.fans >= 0).all()
    assert tr.fans_by_source.sum() == tr.fans[-1]


def test_depleted_pool_stops_its_channel() -> None:
    channels = {
        "tiny": {
            "pool": 300,
            "conversion": 0.5,
            "exposure": {"kind": "visitors", "visitors_per_day": 10_000},
        }
    }
    tr = trace(growth_scenario(channels=channels, initial=0))
    follows = tr.follows[:, tr.sources.index("tiny")]
    assert follows.sum() <= 300
    emptied = int(np.argmax(np.cumsum(follows) >= 300))
    assert follows[emptied + 1 :].sum() == 0


def test_zero_conversion_gives_zero_follows() -> None:
    channels = {
        "dead": {
            "pool": 1e6,
            "conversion": 0.0,
            "exposure": {"kind": "visitors", "visitors_per_day": 1e5},
        },
        "live": {
            "pool": 1e6,
            "conversion": 0.01,
            "exposure": {"kind": "visitors", "visitors_per_day": 1e4},
        },
    }
    tr = trace(growth_scenario(channels=channels))
    assert tr.follows[:, tr.sources.index("dead")].sum() == 0
    assert tr.follows[:, tr.sources.index("live")].sum() > 0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), low=st.floats(0, 6), extra=st.floats(0.1, 6))
def test_more_pushes_above_policy_never_lower_unfollows(
    seed: int, low: float, extra: float
) -> None:
    """Common random numbers; other feedback paths off so follows are the same in both runs."""
    channels = {
        "forum": {
            "pool": 50_000,
            "conversion": 0.01,
            "exposure": {"kind": "visitors", "visitors_per_day": 20_000},
        }
    }
    followers = {
        "unfollow_per_day": 0.003,
        "push_excess_unfollow": 0.02,
        "unanswered_unfollow": 0.0,
    }
    totals = []
    for pushes in (low, low + extra):
        sc = growth_scenario(channels=channels, followers=followers, pushes_per_week=pushes)
        totals.append(int(trace(sc, seed).unfollows.sum()))
    assert totals[1] >= totals[0]


def test_gift_driven_fans_mostly_leave_within_a_week() -> None:
    channels = {
        "giveaway": {
            "pool": 1e6,
            "conversion": 0.05,
            "gift_share": 1.0,
            "end": "2013-01-01",
            "exposure": {"kind": "visitors", "visitors_per_day": 100_000},
        }
    }
    tr = trace(
        growth_scenario(
            channels=channels, initial=0, days=10, followers={"gift_unfollow_per_day": 0.3}
        )
    )
    joined = tr.follows[0].sum()
    assert joined > 1000
    assert tr.fans[7] < 0.15 * joined


def test_unanswered_messages_drive_unfollows() -> None:
    staffed = trace(growth_scenario(agents=5, followers={"unanswered_unfollow": 1.0}))
    unstaffed = trace(growth_scenario(agents=0, followers={"unanswered_unfollow": 1.0}))
    assert staffed.unfollows_unanswered.sum() < unstaffed.unfollows_unanswered.sum()
    assert unstaffed.fans[-1] < staffed.fans[-1]


def test_phase_switches_the_back_end_on_at_its_date() -> None:
    sc = growth_scenario(
        back_end=False,
        days=10,
        phases=[{"date": "2013-01-06", "note": "back end live", "set": {"service.back_end": True}}],
    )
    result = run_one(RunSpec(sc, 3))
    rows = daily_rows(result, hourly_rows(result))
    assert [r["messages_auto_replied"] > 0 for r in rows] == [False] * 5 + [True] * 5


def test_phase_errors_name_the_phase_and_path() -> None:
    with pytest.raises(ScenarioError) as info:
        growth_scenario(
            phases=[
                {"date": "2013-01-05", "set": {"service.bak_end": True}},
                {"date": "2013-01-03", "set": {"fans.initial": 5}},
            ]
        )
    text = str(info.value)
    assert "phases[0].set.service.bak_end: unknown key; did you mean `back_end`?" in text
    assert "phases[1].date" in text
    assert "phases[1].set.fans.initial: cannot change by phase" in text


def test_summary_and_daily_rows_carry_follower_kpis() -> None:
    result = run_one(RunSpec(growth_scenario(), 2))
    s = summarize(result)
    rows = daily_rows(result, hourly_rows(result))
    assert s["fans_final"] == rows[-1]["fans"] == sum(s["fans_by_source"].values())
    assert s["net_follows"] == s["follows_total"] - s["unfollows_total"]
    assert s["follows_total"] == sum(r["follows"] for r in rows)
    assert s["unfollows_total"] == sum(r["unfollows"] for r in rows)
    assert all(r["net_follows"] == r["follows"] - r["unfollows"] for r in rows)
    assert {"follows_forum", "follows_word_of_mouth"} <= set(rows[0])


def test_extends_merges_and_detects_cycles(tmp_path: Path) -> None:
    nb = load_scenario(SCENARIOS / "xiaomi_2013q1_no_backend.toml")
    base = load_scenario(SCENARIOS / "xiaomi_2013q1.toml")
    assert nb.channels == base.channels and nb.scenario.name != base.scenario.name
    assert all("service.back_end" not in p.set for p in nb.phases)
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def quiz_through(channel: str | None, pool: float):  # type: ignore[no-untyped-def]
    channels = {
        "forum": {
            "pool": 50_000,
            "conversion": 0.0,
            "exposure": {"kind": "visitors", "visitors_per_day": 1},
        },
        "weibo": {
            "pool": pool,
            "conversion": 0.0,
            "source": "weibo_fans",
            "exposure": {"kind": "posts", "posts_per_week": 0, "reach_per_post": 0},
        },
    }
    campaigns = {
        "quiz": {
            "type": "live_quiz",
            "start": "2013-01-03T14:00:00",
            "end": "2013-01-03T15:00:00",
            "participation": 0.5,
            "message_class": "keyword",
            "new_fans_per_participant": 1.0,
            "channel": channel,
        }
    }
    return growth_scenario(channels=channels, campaigns=campaigns, days=5, initial=10_000)


def test_campaign_newcomers_come_through_their_channel() -> None:
    tr = trace(quiz_through("weibo", 1e6))
    joined = tr.follows[2, tr.sources.index("weibo_fans")]
    assert 2_000 < joined < 3_000  # ~0.5 x 5,000 active fans x 1.0 newcomers each
    capped = trace(quiz_through("weibo", 300))
    assert capped.follows[2, capped.sources.index("weibo_fans")] == 300  # the pool caps them
    assert capped.follows[:, capped.sources.index("weibo_fans")].sum() == 300


def test_campaign_channel_must_exist() -> None:
    with pytest.raises(
        ScenarioError,
        match=r"campaigns.quiz.channel: must be a channel in "
        r"channels; did you mean `weibo`\?",
    ):
        quiz_through("weibbo", 1e6)


def test_two_campaigns_through_one_channel_share_its_pool() -> None:
    """Both campaigns of a day draw from what is left of the pool, not each from all of it."""

    def quiz(hour: int) -> dict[str, object]:
        return {
            "type": "live_quiz",
            "start": f"2013-01-02T{hour}:00:00",
            "end": f"2013-01-02T{hour}:30:00",
            "participation": 0.5,
            "messages_per_participant": 1,
            "message_class": "keyword",
            "new_fans_per_participant": 1.0,
            "channel": "weibo",
            "burst": {"first_share": 1.0, "rise_seconds": 5, "decay_seconds": 60},
        }

    channels = {
        "weibo": {
            "pool": 100,
            "conversion": 0.0,
            "exposure": {"kind": "visitors", "visitors_per_day": 0},
        }
    }
    sc = growth_scenario(
        days=3, channels=channels, campaigns={"a": quiz(10), "b": quiz(12)}, initial=2000
    )
    tr = trace(sc)
    assert tr.follows[:, tr.sources.index("weibo")].sum() == 100
