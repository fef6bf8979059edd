import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim.errors import OptionError
from sim.experiments.executors import make_executor
from sim.inference.distance import Observed
from sim.inference.event_stats import (
    event_targets,
    figure_total,
    first_day,
    last_launch,
    match_events,
    scenario_campaigns,
)
from sim.inference.events import Event, read_events
from sim.inference.fit import fit
from sim.inference.priors import load_fit_config
from sim.inference.simulator import Simulator
from sim.scenario import load_scenario
from sim.scenario.spread import WarmupSpec

from .conftest import CAMPAIGNS, EVENTS_HEADER, START, history_of, take_up_priors

TAKE_UP = ("response.take_up",)


def _event(line: int, kind: str, start: str, end: str, **counts: int) -> Event:
    return Event(
        line,
        "WeChat",
        kind,
        dt.date.fromisoformat(start),
        dt.date.fromisoformat(end),
        dict(counts),
        None,
        "events.csv",
    )


def _reported(kind: str, start: str, end: str, totals: np.ndarray) -> str:
    """An events.csv row of a campaign's totals; a quiz has no cascade, so no shares."""
    p, sh, f = (str(x) for x in totals)
    return f"wechat,{kind},{start},{end},{p},{sh if kind == 'repost_lottery' else ''},{f}\n"


def test_events_match_their_campaign_by_platform_type_and_overlapping_days() -> None:
    sc = load_scenario(CAMPAIGNS)
    events = [
        _event(2, "live_quiz", "2025-02-09", "2025-02-10"),
        _event(3, "repost_lottery", "2025-01-16", "2025-01-20"),
    ]
    assert match_events(sc, events) == ["quiz_feb", "draw_jan"]
    assert last_launch(sc) == dt.date(2025, 2, 10)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        (
            [_event(2, "live_quiz", "2025-01-15", "2025-01-16")],
            "line 2, column start: matches no campaign of the scenario: none of platform "
            "'WeChat' and type 'live_quiz' runs between 2025-01-15 and 2025-01-16 (of that "
            "platform and type: quiz_feb (wechat live_quiz 2025-02-10..2025-02-10))",
        ),
        (
            [_event(2, "meetup", "2025-01-15", "2025-01-16")],
            "type 'meetup' runs between 2025-01-15 and 2025-01-16 (got '2025-01-15')",
        ),
        (
            [
                _event(2, "live_quiz", "2025-02-10", "2025-02-10"),
                _event(3, "live_quiz", "2025-02-01", "2025-02-12"),
            ],
            "line 3, column start: matches campaign quiz_feb, as line 2 does already",
        ),
    ],
)
def test_an_event_matching_no_campaign_or_a_taken_one_is_named(
    events: list[Event], expected: str
) -> None:
    with pytest.raises(OptionError, match=r"events\.csv") as err:
        match_events(load_scenario(CAMPAIGNS), events)
    assert expected in str(err.value)


def test_an_event_matching_several_campaigns_is_named(tmp_path: Path) -> None:
    twice = tmp_path / "twice.toml"
    quiz = CAMPAIGNS.read_text(encoding="utf-8").split("[campaigns.quiz_feb]")[1]
    twice.write_text(
        f'extends = "{CAMPAIGNS.as_posix()}"\n[campaigns.quiz_feb2]{quiz}'.replace(
            "2025-02-10T", "2025-02-11T"
        ),
        encoding="utf-8",
    )
    events = [_event(4, "live_quiz", "2025-02-10", "2025-02-11")]
    with pytest.raises(OptionError, match="line 4, column start: matches several campaigns"):
        match_events(load_scenario(twice), events)


def test_a_figure_the_campaign_cannot_produce_is_named(tmp_path: Path) -> None:
    events = [_event(2, "live_quiz", "2025-02-10", "2025-02-10", participants=900, shares=5)]
    with pytest.raises(OptionError, match=r"events\.csv") as err:
        event_targets(load_scenario(CAMPAIGNS), events, START)
    expected = "line 2, column shares: campaign quiz_feb has no cascade, so the model gives it no"
    assert expected in str(err.value) and "(got 5)" in str(err.value)
    closed = tmp_path / "closed.toml"  # the quiz brings no one in
    closed.write_text(
        f'extends = "{CAMPAIGNS.as_posix()}"\n[campaigns.quiz_feb]\nnew_fans_per_participant = 0\n',
        encoding="utf-8",
    )
    events = [_event(2, "live_quiz", "2025-02-10", "2025-02-10", follows_gained=0)]
    with pytest.raises(OptionError, match="column follows_gained: campaign quiz_feb brings no new"):
        event_targets(load_scenario(closed), events, START)


def test_event_statistics_are_the_campaign_totals_up_to_the_end_date_on_a_log_scale() -> None:
    sim = Simulator(str(CAMPAIGNS), TAKE_UP, whole=True)
    traj = sim.simulate((0.2,), 5)
    assert traj.campaigns is not None
    draw = traj.campaigns["draw_jan"]  # launched 2025-01-15 (day 14), a cascade after it
    assert draw[:14].sum() == 0 and draw[14, 0] > 0
    # an event reported through its first day counts that day only
    first = figure_total(draw, "participants", 14)
    assert first == draw[14, 0] < figure_total(draw, "participants", 40)
    sc = load_scenario(CAMPAIGNS)
    events = [_event(2, "repost_lottery", "2025-01-15", "2025-01-15", participants=700, shares=9)]
    targets = event_targets(sc, events, START)
    assert [(t.campaign, t.figure, t.last_day) for t in targets] == [
        ("draw_jan", "participants", 14),
        ("draw_jan", "shares", 14),
    ]
    obs = Observed(START, None, (), targets)
    assert obs.last_day == 14
    np.testing.assert_allclose(obs.observed_stats(), np.log1p([700, 9]))
    np.testing.assert_allclose(obs.stats(traj), np.log1p(draw[14, :2]))
    assert np.isnan(obs.fixed_scales()).all()  # scaled by their spread, as weekly totals are


def test_a_history_and_events_give_history_then_event_statistics() -> None:
    sim = Simulator(str(CAMPAIGNS), TAKE_UP, whole=True)
    traj = sim.simulate((0.2,), 5)
    events = [_event(2, "live_quiz", "2025-02-10", "2025-02-10", follows_gained=50)]
    targets = event_targets(load_scenario(CAMPAIGNS), events, START)
    both = Observed(START, history_of(traj), (), targets)
    alone = Observed(START, history_of(traj))
    n = len(alone.observed_stats())
    np.testing.assert_array_equal(both.stats(traj)[:n], alone.stats(traj))
    assert both.observed_stats()[n:] == pytest.approx([np.log1p(50)])
    assert np.isnan(both.fixed_scales()).all()


def test_events_alone_fit_take_up_near_the_truth(tmp_path: Path) -> None:
    """Two campaigns' reported figures move take-up from its prior (mean 0.41) to near 0.2."""
    truth = 0.2
    traj = Simulator(str(CAMPAIGNS), TAKE_UP, whole=True).simulate((truth,), 7)
    assert traj.campaigns is not None
    rows = []
    for name, kind, start, end in (
        ("draw_jan", "repost_lottery", "2025-01-15", "2025-01-16"),
        ("quiz_feb", "live_quiz", "2025-02-10", "2025-02-10"),
    ):
        day = (dt.date.fromisoformat(end) - START).days
        totals = traj.campaigns[name][: day + 1].sum(axis=0)
        rows.append(_reported(kind, start, end, totals))
    events_csv = tmp_path / "events.csv"
    events_csv.write_text(EVENTS_HEADER + "".join(rows), encoding="utf-8")
    priors = take_up_priors(tmp_path / "priors.toml", 8)
    with make_executor(1, None) as ex:
        result = fit(CAMPAIGNS, load_fit_config(priors), None, 3, ex, read_events(events_csv))
    post = result.posterior
    mean = float(np.sum(post.weights * post.values()[:, 0]))
    sd = float(np.sqrt(np.sum(post.weights * (post.values()[:, 0] - mean) ** 2)))
    assert abs(mean - truth) < 0.05
    assert sd < 0.3 * (0.78 / np.sqrt(12))  # the uniform prior's sd is 0.225
    assert result.simulator.whole


@pytest.mark.benchmark
def test_events_narrow_take_up_beside_a_history(tmp_path: Path) -> None:
    """With the same history, the events move take-up nearer the truth and narrow it.

    The history alone speaks of take-up only through the few follows campaigns bring.
    """
    paths = ("channels.search.conversion", "response.take_up")
    truth = (0.01, 0.2)
    traj = Simulator(str(CAMPAIGNS), paths, whole=True).simulate(truth, 11)
    assert traj.campaigns is not None
    day = (dt.date(2025, 2, 10) - START).days
    quiz = traj.campaigns["quiz_feb"][: day + 1].sum(axis=0)
    draw = traj.campaigns["draw_jan"][: day + 1].sum(axis=0)
    events_csv = tmp_path / "events.csv"
    events_csv.write_text(
        EVENTS_HEADER
        + _reported("repost_lottery", "2025-01-15", "2025-02-10", draw)
        + _reported("live_quiz", "2025-02-10", "2025-02-10", quiz),
        encoding="utf-8",
    )
    priors = tmp_path / "priors.toml"
    priors.write_text(
        "[fit]\nparticles = 30\ngenerations = 4\n[fit.parameters]\n"
        '"channels.search.conversion" = { prior = "loguniform", low = 0.002, high = 0.05 }\n'
        '"response.take_up" = { prior = "uniform", low = 0.02, high = 0.8 }\n',
        encoding="utf-8",
    )
    cfg = load_fit_config(priors)
    history = history_of(traj)
    summary = {}
    with make_executor(2, None) as ex:
        for name, events in (("history", []), ("both", read_events(events_csv))):
            post = fit(CAMPAIGNS, cfg, history, 5, ex, events).posterior
            x = post.values()[:, 1]
            mean = float(np.sum(post.weights * x))
            sd = float(np.sqrt(np.sum(post.weights * (x - mean) ** 2)))
            summary[name] = (abs(mean - truth[1]), sd)
    print(summary)
    assert summary["both"][0] < max(summary["history"][0], 0.02)
    assert summary["both"][1] < 0.5 * summary["history"][1]


def test_a_campaigns_first_day_is_its_warm_ups_first() -> None:
    draw = scenario_campaigns(load_scenario(CAMPAIGNS))["draw_jan"]
    assert first_day(draw) == dt.date(2025, 1, 15)
    warmed = draw.model_copy(update={"warmup": WarmupSpec(days=5, reach_per_day=100.0)})
    assert first_day(warmed) == dt.date(2025, 1, 10)
