import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.executors import SerialExecutor
from sim.inference.event_forecast import (
    EVENT_METRICS,
    EventForecast,
    campaigns_ahead,
    event_forecasts,
    events_end,
    last_day,
)
from sim.inference.event_stats import first_day
from sim.inference.forecast import (
    EARLY_R,
    Forecast,
    SavedPosterior,
    event_headlines,
    event_rows,
    forecast,
    predictive_jobs,
)
from sim.inference.simulator import KEPT_DAYS, Simulator, Trajectory, follower_only
from sim.model.engine import RunSpec, run_one
from sim.results.campaign_tables import NET_DAYS, campaign_summary
from sim.scenario import load_scenario

from .conftest import ACCOUNT, CAMPAIGNS, DATA, START

TAKE_UP = ("response.take_up",)
ORIGIN = dt.date(2025, 1, 15)  # the draw's launch: under way at the origin; the quiz ahead


def _posterior(take_up: float, origin: dt.date = ORIGIN) -> SavedPosterior:
    """A one-particle posterior at a known take-up, fitted (so to speak) to facts up to `origin`."""
    return SavedPosterior(TAKE_UP, np.asarray([[take_up]]), np.ones(1), 4, origin, None)


def _forecast(take_up: float, draws: int, origin: dt.date = ORIGIN) -> Forecast:
    post = _posterior(take_up, origin)
    return forecast(str(CAMPAIGNS), post, 7, 1, draws, SerialExecutor(), per_event=True)


def test_campaigns_ahead_are_those_with_a_day_after_the_origin() -> None:
    sc = load_scenario(CAMPAIGNS)
    draw = sc.campaigns["draw_jan"]
    # ends 01-16; that day's part starts a cascade followed 3 days counting its own: 16, 17, 18
    assert last_day(draw) == dt.date(2025, 1, 18)
    assert last_day(sc.campaigns["quiz_feb"]) == dt.date(2025, 2, 10)  # no cascade: its end
    assert list(campaigns_ahead(sc, dt.date(2025, 1, 10))) == ["draw_jan", "quiz_feb"]
    assert list(campaigns_ahead(sc, dt.date(2025, 1, 17))) == ["draw_jan", "quiz_feb"]
    assert list(campaigns_ahead(sc, dt.date(2025, 1, 18))) == ["quiz_feb"]
    assert campaigns_ahead(sc, dt.date(2025, 2, 10)) == {}
    ahead = campaigns_ahead(sc, dt.date(2025, 1, 18))
    assert events_end(ahead) == dt.date(2025, 2, 10) + dt.timedelta(days=KEPT_DAYS)
    assert events_end({}) is None


def test_a_campaign_logs_nothing_outside_its_days() -> None:
    """The days counted hold everything: nothing is logged before the first or after the last."""
    sc = load_scenario(CAMPAIGNS)
    sim = Simulator(str(CAMPAIGNS), TAKE_UP, end=dt.date(2025, 3, 10), whole=True)
    for seed in range(3):
        traj = sim.simulate((0.4,), seed)
        assert traj.campaigns is not None and traj.campaign_left is not None
        for name, daily in traj.campaigns.items():
            c = sc.campaigns[name]
            first, last = ((d - START).days for d in (first_day(c), last_day(c)))
            assert daily[first : last + 1].sum() == daily.sum() > 0, name
            left = traj.campaign_left.get(name, np.zeros(1, np.int64))
            assert left[last + 1 :].sum() == 0
            assert (left <= daily[:, 2]).all()  # those gone are among those who came that day


def _direct(take_up: float, seeds: range, origin: dt.date) -> dict[str, np.ndarray]:
    """Each campaign's figures over its days after `origin`, from direct simulations."""
    sc = load_scenario(CAMPAIGNS)
    sim = Simulator(str(CAMPAIGNS), TAKE_UP, end=dt.date(2025, 3, 10), whole=True)
    o = (origin - START).days
    out: dict[str, list[list[float]]] = {}
    for seed in seeds:
        traj = sim.simulate((take_up,), seed)
        assert traj.campaigns is not None and traj.campaign_left is not None
        for name, daily in traj.campaigns.items():
            last = (last_day(sc.campaigns[name]) - START).days + 1
            p, s, f = daily[o + 1 : last].sum(axis=0)
            gone = traj.campaign_left[name][o + 1 : last].sum()
            out.setdefault(name, []).append([p, s, f, f - gone])
    return {k: np.asarray(v, np.float64) for k, v in out.items()}


def test_events_from_a_posterior_at_the_truth_match_direct_simulations() -> None:
    """A one-particle posterior: the forecast's totals are the model's own, statistically.

    A campaign under way at the origin counts its remaining days only, not its first.
    """
    n = 30
    fc = _forecast(0.2, n)
    assert [e.campaign for e in fc.events] == ["draw_jan", "quiz_feb"]
    direct = _direct(0.2, range(1000, 1000 + n), ORIGIN)
    whole_draw = _direct(0.2, range(1000, 1000 + n), ORIGIN - dt.timedelta(days=1))["draw_jan"]
    for e in fc.events:
        x = np.column_stack([e.samples[m] for m in EVENT_METRICS])
        y = direct[e.campaign]
        se = np.sqrt(x.var(axis=0, ddof=1) / n + y.var(axis=0, ddof=1) / n)
        assert (np.abs(x.mean(axis=0) - y.mean(axis=0)) <= 4 * se + 1e-9).all(), e.campaign
        assert np.median(e.samples["participants"]) > 0
        assert np.median(e.samples["follows_gained"]) > 0
        assert (e.samples[EVENT_METRICS[-1]] <= e.samples["follows_gained"]).all()
        assert (e.samples[EVENT_METRICS[-1]] >= 0).all()
    draw = fc.events[0]
    assert (draw.start, draw.end) == (dt.date(2025, 1, 15), dt.date(2025, 1, 16))
    assert (draw.counted_from, draw.counted_to) == (dt.date(2025, 1, 16), dt.date(2025, 1, 18))
    assert draw.under_way
    # the launch day, before the origin's end, is left out: the whole campaign is far larger
    assert whole_draw[:, 0].mean() > 1.3 * draw.samples["participants"].mean()
    quiz = fc.events[1]
    assert (quiz.counted_from, quiz.counted_to) == (dt.date(2025, 2, 10), dt.date(2025, 2, 10))
    assert (quiz.start, quiz.end) == (quiz.counted_from, quiz.counted_to)
    assert not quiz.under_way
    assert (quiz.samples["shares"] == 0).all()  # no cascade, no shares


def test_net_follows_match_the_campaign_tables_of_the_same_run() -> None:
    """Campaigns counted whole: follows gained less those gone within 14 days is the campaign
    tables' `net_follows_14d` of the same run (same scenario, values and seed)."""
    assert KEPT_DAYS in NET_DAYS
    origin = dt.date(2025, 1, 10)  # before both campaigns' first days
    post = _posterior(0.3, origin)
    fc = forecast(str(CAMPAIGNS), post, 7, 1, 1, SerialExecutor(), per_event=True)
    assert [e.under_way for e in fc.events] == [False, False]
    end = events_end(campaigns_ahead(load_scenario(CAMPAIGNS), origin))
    sim = Simulator(str(CAMPAIGNS), TAKE_UP, end=end, whole=True)
    ((_, values, seed),) = predictive_jobs(sim, post, 1, 1, "forecast")
    table = campaign_summary(run_one(RunSpec(sim.scenario(values), seed)))["campaigns"]
    for e in fc.events:
        net = table[e.campaign][f"net_follows_{KEPT_DAYS}d"]
        assert net is not None and table[e.campaign]["follows"] > 0, e.campaign
        assert e.samples[EVENT_METRICS[-1]].tolist() == [net], e.campaign
        assert e.samples["follows_gained"].tolist() == [table[e.campaign]["follows"]]
    assert table["draw_jan"]["follows"] > table["draw_jan"]["net_follows_14d"]  # some left


def test_a_campaign_under_way_says_only_its_days_ahead_count() -> None:
    fc = _forecast(0.2, 3)
    draw, quiz = event_headlines(fc)
    assert draw.startswith(
        "campaign draw_jan (repost_lottery, 2025-01-15 to 2025-01-16; counted 2025-01-16 to "
        "2025-01-18, only its days still ahead): participants"
    )
    assert "still ahead" not in quiz
    rows = {r["campaign"]: r for r in event_rows(fc)}
    assert [rows["draw_jan"][k] for k in ("start", "end", "counted_from", "counted_to")] == [
        "2025-01-15",
        "2025-01-16",
        "2025-01-16",
        "2025-01-18",
    ]


def test_the_parameter_reaches_the_events() -> None:
    low, high = _forecast(0.1, 10), _forecast(0.4, 10)
    for a, b in zip(low.events, high.events, strict=True):
        assert np.median(b.samples["participants"]) > 2 * np.median(a.samples["participants"])


def test_same_seed_and_posterior_give_the_same_events() -> None:
    a, b = event_rows(_forecast(0.2, 6)), event_rows(_forecast(0.2, 6))
    assert a == b and len(a) == 2 * len(EVENT_METRICS) + 1  # and the draw's early R
    other = SavedPosterior(TAKE_UP, np.asarray([[0.2]]), np.ones(1), 5, ORIGIN, None)
    c = forecast(str(CAMPAIGNS), other, 7, 1, 6, SerialExecutor(), per_event=True)
    quantiles = [k for k in a[0] if k == "mean" or k.startswith("q")]
    assert [[r[k] for k in quantiles] for r in event_rows(c)] != [
        [r[k] for k in quantiles] for r in a
    ]  # another seed, other draws: other figures, not only other seed and posterior columns
    assert {r["seed"] for r in a} == {4} and {r["posterior"] for r in a} != {c.posterior}


def test_campaigns_before_the_origin_give_no_events() -> None:
    fc = _forecast(0.2, 2, dt.date(2025, 2, 11))
    assert fc.events == () and event_rows(fc) == [] and event_headlines(fc) == []
    plain = forecast(str(CAMPAIGNS), _posterior(0.2), 7, 1, 2, SerialExecutor())
    assert plain.events == ()  # only when asked for


def test_a_run_where_a_campaign_logged_nothing_counts_zero() -> None:
    ahead = campaigns_ahead(load_scenario(CAMPAIGNS), ORIGIN)
    zero = np.zeros(60, np.int64)
    quiet = event_forecasts(ahead, [Trajectory(zero, zero, zero, {})], START, ORIGIN)
    assert [e.campaign for e in quiet] == ["draw_jan", "quiz_feb"]
    assert all(x.tolist() == [0.0] for e in quiet for x in e.samples.values())


def test_a_campaign_ahead_turns_the_whole_model_on(tmp_path: Path) -> None:
    """A quiz that brings no fans leaves the follower model exact; its turnout needs the whole."""
    quiz = tmp_path / "quiz.toml"
    quiz.write_text(
        f"extends = {str(ACCOUNT)!r}\n[response]\ntake_up = 0.2\n"
        '[campaigns.quiz]\ntype = "live_quiz"\nstart = 2025-02-10T20:00:00\n'
        'end = 2025-02-10T21:00:00\nkeyword = "Q"\nmessage_class = "keyword"\n'
        "prizes = 2\nprize_value = 500.0\npromotion = { pushes = 1 }\n",
        encoding="utf-8",
    )
    assert follower_only(load_scenario(quiz))
    post = _posterior(0.2)
    fc = forecast(str(quiz), post, 7, 1, 3, SerialExecutor(), per_event=True)
    (quiz_fc,) = fc.events
    assert (quiz_fc.samples["participants"] > 0).all()
    assert (quiz_fc.samples["follows_gained"] == 0).all()
    assert "messages" in fc.samples  # the whole model ran
    assert "messages" not in forecast(str(quiz), post, 7, 1, 3, SerialExecutor()).samples


def _event(samples: np.ndarray, r: np.ndarray | None = None) -> Forecast:
    days = (dt.date(2025, 2, 1),)
    figures = dict.fromkeys(EVENT_METRICS, samples)
    ev = EventForecast("c", "live_quiz", *days * 4, figures, effective_r=r)
    return Forecast(days, {}, 1, "id", events=(ev,))


@pytest.mark.parametrize(
    ("median", "words"),
    [(0.5, None), (0.79, None), (0.9, "near its tipping point"), (1.3, "past its tipping point")],
)
def test_a_cascade_near_its_tipping_point_is_said_in_words(
    median: float, words: str | None
) -> None:
    """The cascade's effective R decides, not the skew: a narrow sample still says so."""
    x = np.random.default_rng(4).normal(1000.0, 10.0, 200)
    r = median + np.random.default_rng(5).normal(0.0, 0.01, 200)
    (sentence,) = event_headlines(_event(x, r))
    assert "the upper tail is long" not in sentence
    if words is None:
        assert "tipping point" not in sentence
    else:
        assert f"its cascade sits {words} (early R " in sentence
        assert f"median {np.median(r):.2f}" in sentence
    assert "tipping point" not in event_headlines(_event(x, np.full(200, np.nan)))[0]
    mostly_none = np.where(np.arange(200) < 101, np.nan, r)  # most runs passed nothing on
    assert "tipping point" not in event_headlines(_event(x, mostly_none))[0]


@pytest.mark.parametrize(
    ("median", "sd", "words"),
    [
        (0.7, 0.3, "below its tipping point in most simulations"),
        (0.95, 0.1, "near its tipping point"),
        (1.05, 0.1, "past its tipping point"),
        (0.75, 0.15, None),  # about 1 run in 20 past 1: under one in ten
    ],
)
def test_runs_on_both_sides_of_the_tipping_point_say_how_many_passed_it(
    median: float, sd: float, words: str | None
) -> None:
    """Parameter uncertainty can put a cascade on both sides of 1: the share past it is said."""
    x = np.random.default_rng(4).normal(1000.0, 10.0, 400)
    r = median + np.random.default_rng(6).normal(0.0, sd, 400)
    (sentence,) = event_headlines(_event(x, r))
    past = np.mean(r >= 1)
    if words is None:
        assert 0 < past < 0.1 and "tipping point" not in sentence
        return
    assert 0.1 <= past < 1
    assert f"its cascade sits {words} (early R " in sentence
    assert f"; past 1 in {past:.0%} of them), so " in sentence


def test_events_csv_carries_the_early_r_over_the_runs_that_passed_on() -> None:
    """The numbers behind the tipping-point words: a row per campaign with a cascade."""
    x = np.arange(200.0)
    r = np.where(np.arange(200) < 50, np.nan, np.linspace(0.5, 1.5, 200))
    rows = event_rows(_event(x, r))
    assert [row["figure"] for row in rows] == [*EVENT_METRICS, EARLY_R]
    early = rows[-1]
    assert early["samples"] == 150 and {row["samples"] for row in rows[:-1]} == {200}
    assert early["q50"] == pytest.approx(np.median(r[50:]), rel=0.02)
    assert early["mean"] == pytest.approx(r[50:].mean())
    assert [row["figure"] for row in event_rows(_event(x))] == list(EVENT_METRICS)  # no cascade
    none = event_rows(_event(x, np.full(200, np.nan)))[-1]  # the cascade never passed on
    assert none["samples"] == 0 and np.isnan(none["q50"])


def _ahead_forecast(path: Path) -> Forecast:
    paths = ("channels.search.conversion", "response.take_up")
    origin = dt.date(2025, 2, 9)
    post = SavedPosterior(paths, np.asarray([[0.01, 0.2]]), np.ones(1), 4, origin, None)
    return forecast(str(path), post, 5, 1, 6, SerialExecutor(), per_event=True)


def test_the_forecast_says_which_campaign_ahead_sits_near_its_tipping_point() -> None:
    """The near-critical draw (early R about 0.9) is said to be; the quiz has no cascade."""
    fc = _ahead_forecast(DATA / "campaigns_ahead.toml")
    quiz, draw = fc.events
    assert (quiz.campaign, quiz.effective_r, draw.campaign) == ("quiz_feb", None, "draw_feb")
    assert draw.effective_r is not None and 0.8 <= float(np.median(draw.effective_r)) < 1.0
    quiz_words, draw_words = event_headlines(fc)
    assert "tipping point" not in quiz_words
    assert "its cascade sits near its tipping point" in draw_words


def test_a_supercritical_cascade_is_said_to_be_past_its_tipping_point(tmp_path: Path) -> None:
    """Sharing at 0.6: the early generations more than double; the whole cascade, which fills
    its pool and dies out, would read below 1 (joiners per participant, 1 - seeds/size)."""
    hot = tmp_path / "hot.toml"
    base = DATA / "campaigns_ahead.toml"
    hot.write_text(
        f"extends = {str(base)!r}\n[campaigns.draw_feb.cascade]\nkind = 'share'\n"
        "share_probability = 0.6\ncontacts_mean = 6\ncontacts_dispersion = 0.5\n"
        "join_probability = 0.5\nfollow_probability = 0.5\ndelay_hours_mean = 6\nmax_days = 3\n",
        encoding="utf-8",
    )
    fc = _ahead_forecast(hot)
    draw = fc.events[1]
    assert draw.effective_r is not None and float(np.median(draw.effective_r)) > 1.0
    words = event_headlines(fc)[1]
    assert "its cascade sits past its tipping point" in words
    assert "it grows until its pool or its days run out" in words


@pytest.mark.parametrize(("sigma", "long"), [(0.05, False), (1.5, True)])
def test_a_long_upper_tail_is_said_in_words_and_kept(sigma: float, long: bool) -> None:
    x = np.exp(np.random.default_rng(3).normal(5.0, sigma, 2000))
    (sentence,) = event_headlines(_event(x))
    start = "campaign c (live_quiz, 2025-02-01; counted 2025-02-01): participants 80% interval"
    assert sentence.startswith(start)
    assert ("the upper tail is long" in sentence) is long
    row = next(r for r in event_rows(_event(x)) if r["figure"] == "participants")
    assert np.quantile(x, 0.89) <= row["q90"] <= np.quantile(x, 0.91)  # the samples' own
    assert f"to {row['q90']:,.0f} (median {row['q50']:,.0f})" in sentence


@settings(max_examples=40, deadline=None)
@given(
    origin=st.integers(0, 59),
    seed=st.integers(0, 2**32 - 1),
)
def test_a_campaign_s_counted_days_are_those_after_the_origin_up_to_its_last(
    origin: int, seed: int
) -> None:
    """Whatever the origin and the days' counts, each figure sums days origin+1..last only."""
    rng = np.random.default_rng(seed)
    daily = rng.integers(0, 50, (60, 3)).astype(np.int64)
    left = np.minimum(rng.integers(0, 10, 60), daily[:, 2]).astype(np.int64)
    zero = np.zeros(60, np.int64)
    traj = Trajectory(
        zero, zero, zero, {}, campaigns={"quiz_feb": daily}, campaign_left={"quiz_feb": left}
    )
    day = START + dt.timedelta(days=origin)
    quiz = {"quiz_feb": load_scenario(CAMPAIGNS).campaigns["quiz_feb"]}
    (e,) = event_forecasts(quiz, [traj], START, day)
    last = (last_day(quiz["quiz_feb"]) - START).days
    window = slice(origin + 1, last + 1)  # empty once the quiz (day 40) is over
    assert e.samples["participants"][0] == daily[window, 0].sum()
    assert e.samples["shares"][0] == daily[window, 1].sum()
    assert e.samples["follows_gained"][0] == daily[window, 2].sum()
    assert e.samples[EVENT_METRICS[-1]][0] == daily[window, 2].sum() - left[window].sum()
