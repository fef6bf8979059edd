"""Multi-day campaigns: one window per day, bursts integrating exactly, warm-ups, cascades."""

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.model import RunSpec, run_one
from sim.model.campaigns import campaigns_on, day_weights, resolved_on
from sim.model.response import levers
from sim.results.server_tables import profile_rows
from sim.results.spread_tables import cascade_rows
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.results.writers import run_files
from sim.scenario.schema import ServerSpec
from sim.scenario.spread import ActivationSpec
from tests.factories import growth_scenario

QUIZ: dict[str, Any] = {
    "type": "live_quiz",
    "start": "2013-01-05T14:00:00",
    "end": "2013-01-07T15:00:00",
    "participation": 0.3,
    "message_class": "keyword",
    "messages_per_participant": 2.0,
    "daily_decay": 0.5,
    "burst": {"every_minutes": 10, "first_share": 0.3, "rise_seconds": 5, "decay_seconds": 60},
}
SERVER = {
    "instances": 1,
    "workers_per_instance": 4,
    "service_time_seconds": {"dist": "exponential", "mean": 0.01},
}


def quiz(**changes: Any) -> dict[str, Any]:
    return {"quiz": {**QUIZ, **changes}}


def test_each_campaign_day_is_a_one_day_campaign_with_its_share() -> None:
    sc = growth_scenario(campaigns=quiz())
    c = sc.campaigns["quiz"]
    assert day_weights(c) == pytest.approx((4 / 7, 2 / 7, 1 / 7))
    parts = [campaigns_on(sc.campaigns, dt.date(2013, 1, d)) for d in (4, 5, 6, 7, 8)]
    assert [bool(p) for p in parts] == [False, True, True, True, False]
    day2 = parts[2]["quiz"]
    assert (day2.start, day2.end) == (dt.datetime(2013, 1, 6, 14), dt.datetime(2013, 1, 6, 15))
    assert day2.participation == pytest.approx(0.3 * 2 / 7)
    one_day = growth_scenario(campaigns=quiz(end="2013-01-05T15:00:00"))
    assert campaigns_on(one_day.campaigns, dt.date(2013, 1, 5))["quiz"] is one_day.campaigns["quiz"]


def test_a_participation_from_the_levers_is_spread_over_the_days_like_a_typed_one() -> None:
    sc = growth_scenario(campaigns=quiz(participation=None, promotion={"pushes": 2}))
    c = sc.campaigns["quiz"]
    whole = levers(c, sc.response, 1_000.0).participation
    assert 0 < whole < 1
    parts, found = resolved_on(sc.campaigns, sc.response, 1_000.0, dt.date(2013, 1, 6))
    assert found["quiz"].participation == whole
    assert parts["quiz"].participation == pytest.approx(whole * 2 / 7)
    assert resolved_on(sc.campaigns, sc.response, 1_000.0, dt.date(2013, 1, 8)) == ({}, {})


def test_daily_shares_override_the_decay() -> None:
    c = growth_scenario(campaigns=quiz(daily_shares=[1, 0, 3])).campaigns["quiz"]
    assert day_weights(c) == pytest.approx((0.25, 0.0, 0.75))


def test_multi_day_messages_are_the_sum_of_the_days_bursts_and_the_profile_covers_each_day() -> (
    None
):
    sc = growth_scenario(campaigns=quiz(), days=10)
    sc = sc.model_copy(update={"server": ServerSpec.model_validate(SERVER)})
    result = run_one(RunSpec(sc, 4))
    assert len(result.windows) == 3
    quiz_class = result.class_names.index("keyword")
    expected_total = 0.0
    for w in result.windows:
        ((_, schedule),) = w.window.bursts
        assert schedule.total == pytest.approx(w.window.participants * 2.0)
        # the window integrates the burst exactly (the tail past the window is < 0.1%)
        inside = schedule.expected(w.window.start * 60, w.window.end * 60)
        per_second = w.expected_per_second[:, quiz_class] - w.background_per_second[:, quiz_class]
        assert per_second.sum() == pytest.approx(float(inside), rel=1e-9)
        assert float(inside) >= schedule.total * (1 - 1e-3)
        expected_total += schedule.total
    assert expected_total == pytest.approx(sum(w.window.participants for w in result.windows) * 2)
    days = {row["second"][:10] for row in profile_rows(result)}
    assert days == {"2013-01-05", "2013-01-06", "2013-01-07"}
    decaying = [w.window.participants for w in result.windows]
    assert decaying[0] > decaying[1] > decaying[2]


def test_one_day_campaigns_are_unchanged_by_the_multi_day_machinery() -> None:
    a = run_one(RunSpec(growth_scenario(campaigns=quiz(end="2013-01-05T15:00:00")), 2))
    b = run_one(
        RunSpec(growth_scenario(campaigns=quiz(end="2013-01-05T15:00:00", daily_decay=0.3)), 2)
    )
    assert np.array_equal(a.received, b.received)
    assert a.windows[0].window.participants == b.windows[0].window.participants


def test_a_warm_up_raises_the_launch_and_a_cascade_brings_follows_over_days(tmp_path: Path) -> None:
    plain = summarize(run_one(RunSpec(growth_scenario(campaigns=quiz()), 3)))
    spread = quiz(
        warmup={"days": 20, "reach_per_day": 2000, "join_share": 0.1},
        cascade={
            "share_probability": 0.5,
            "contacts_mean": 4,
            "contacts_dispersion": 0.5,
            "join_probability": 0.3,
            "pool": 100_000,
            "delay_hours_mean": 20,
        },
    )
    sc = growth_scenario(campaigns=spread)
    result = run_one(RunSpec(sc, 3))
    s = summarize(result)
    assert s["participants"] > plain["participants"]
    c = s["cascades"]["quiz"]
    assert c["follows"] > 0 and 0 < c["effective_r"] < 1
    assert result.followers is not None
    campaign = result.followers.sources.index("campaign")
    by_day = result.followers.follows[:, campaign]
    assert by_day[8:].sum() > 0  # joiners keep following after the campaign's last day
    assert s["follows_by_source"]["campaign"] == by_day.sum()
    assert "cascades" not in plain
    hourly = hourly_rows(result)
    daily = daily_rows(result, hourly)
    files = run_files(s, hourly, {}, daily, (), cascade_rows(result))
    rows = files["cascades.csv"].splitlines()
    assert rows[0].startswith("scenario,seed,replication,params_hash,campaign,launch_date")
    assert len(rows) - 1 == sum(len(k.generations) for k in result.cascades)


@pytest.mark.parametrize(
    ("changes", "path", "rule"),
    [
        ({"end": "2013-01-07T13:00:00"}, "campaigns.quiz.end", "clock time must be after 14:00"),
        ({"daily_shares": [1, 2]}, "campaigns.quiz.daily_shares", "one share per campaign day"),
        (
            {"cascade": {"kind": "task", "share_probability": 1, "join_probability": 0.2}},
            "campaigns.quiz.cascade.invite_target",
            "task fission",
        ),
    ],
)
def test_multi_day_and_cascade_mistakes_name_the_field(
    changes: dict[str, Any], path: str, rule: str
) -> None:
    with pytest.raises(ScenarioError, match=rule) as exc:
        growth_scenario(campaigns=quiz(**changes))
    assert path in str(exc.value)


def test_profile_counts_cascade_push_and_activation_messages_in_the_window() -> None:
    cascade = {
        "kind": "quiz",
        "share_probability": 0.5,
        "contacts_mean": 4,
        "join_probability": 0.4,
    }
    sc = growth_scenario(campaigns=quiz(cascade=cascade), days=10, initial=20_000)
    sends = {
        "news": {
            "at": "2013-01-06T14:00:00",
            "reply_rate": 0.2,
            "reply_class": "keyword",
            "reply_mean_hours": 0.5,
        }
    }
    pushes = sc.pushes.model_validate({**sc.pushes.model_dump(), "sends": sends})
    activation = ActivationSpec(reply_class="keyword")  # replies to the intro, article, ...
    sc = sc.model_copy(update={"pushes": pushes, "activation": activation})
    result = run_one(RunSpec(sc, 3))
    expected = sampled = scheduled = 0.0
    for w in result.windows:
        bursts = sum(
            float(s.expected(w.window.start * 60, w.window.end * 60)) for _, s in w.window.bursts
        )
        total = float(w.expected_per_second.sum())
        scheduled += total - bursts - float(w.background_per_second.sum())
        expected += total
        sampled += w.arrival_s.size
    assert scheduled > 10 * np.sqrt(expected)  # leaving them out would fail the next check
    assert abs(sampled - expected) < 4 * np.sqrt(expected)  # Poisson: sd = sqrt(mean)
    rows = profile_rows(result)
    assert sum(r["rate_per_second"] for r in rows) == pytest.approx(expected)
