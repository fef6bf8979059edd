import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import OptionError
from sim.experiments.executors import SerialExecutor
from sim.inference import backtest as rolling
from sim.inference import event_backtest as held
from sim.inference.data import ENGLISH, History, read_history
from sim.inference.event_backtest import _baseline_points, _past_reports, held_out
from sim.inference.events import Event, read_events
from sim.inference.priors import load_fit_config
from sim.inference.simulator import Simulator

from .conftest import CAMPAIGNS, EVENTS_HEADER, START, history_of, take_up_priors


def _event(line: int, kind: str, start: str, **counts: int) -> Event:
    day = dt.date.fromisoformat(start)
    return Event(line, "wechat", kind, day, day, dict(counts), None, "events.csv")


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """History and events simulated from the campaigns account (take-up 0.2), and priors."""
    folder = tmp_path_factory.mktemp("events")
    traj = Simulator(str(CAMPAIGNS), ("response.take_up",), whole=True).simulate((0.2,), 21)
    h = history_of(traj)
    frame = pd.DataFrame(
        dict(zip(ENGLISH, (h.dates, h.new_follows, h.unfollows, h.net, h.cumulative), strict=True))
    )
    history = folder / "history.csv"
    frame.to_csv(history, index=False)
    assert traj.campaigns is not None
    rows = []
    for name, kind, day in (("draw_jan", "repost_lottery", 15), ("quiz_feb", "live_quiz", 40)):
        totals = traj.campaigns[name][: day + 1].sum(axis=0)
        when = START + dt.timedelta(days=day)
        start = when - dt.timedelta(days=1) if kind == "repost_lottery" else when
        p, sh, f = (str(x) for x in totals)
        sh = sh if kind == "repost_lottery" else ""  # a quiz has no cascade: no shares reported
        rows.append(f"wechat,{kind},{start},{when},{p},{sh},{f}\n")
    events = folder / "events.csv"
    events.write_text(EVENTS_HEADER + "".join(rows), encoding="utf-8")
    priors = take_up_priors(folder / "priors.toml", 3)
    return history, events, priors


def _backtest(account: tuple[Path, Path, Path], out: Path, *extra: str) -> int:
    history, events, priors = account
    args = ["backtest", str(CAMPAIGNS), "--history", str(history), "--priors", str(priors)]
    args += ["--events", str(events), "--draws", "4", "--workers", "1", "--out", str(out)]
    return main([*args, *extra])


def test_held_out_events_and_rolling_origins_are_scored_in_one_table_and_repeat_exactly(
    tmp_path: Path, account: tuple[Path, Path, Path]
) -> None:
    extra = ("--origins", "2025-01-15", "--horizon", "7", "--hold-out-events")
    assert _backtest(account, tmp_path / "a", *extra) == 0
    assert _backtest(account, tmp_path / "b", *extra) == 0
    for name in ("backtest.csv", "backtest_summary.csv", "backtest.json", "backtest.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    table = pd.read_csv(tmp_path / "a" / "backtest.csv")
    assert {"follows", "fans"} <= set(table["metric"])
    assert table.loc[table["metric"] == "fans", "event"].isna().all()
    rows = table[table["metric"].str.startswith("event_")]
    # the quiz is predicted from the draw before it: each figure it reports, three methods
    assert set(rows["metric"]) == {"event_participants", "event_follows_gained"}
    assert set(rows["method"]) == {"model", "previous_event", "past_mean", "previous_per_fan"}
    assert set(rows["origin"]) == {"2025-02-10"}
    assert rows["event"].str.startswith("line 3 (quiz_feb)").all()
    assert (rows["crps"] >= 0).all()
    summary = pd.read_csv(tmp_path / "a" / "backtest_summary.csv")
    assert {"follows", "fans", "event_participants"} <= set(summary["metric"])
    events = summary[summary["metric"].str.startswith("event_")]
    assert (events["n"] == 1).all() and (events["n_compared"] == 1).all()
    assert events["crps_skill_vs_best_naive"].notna().all()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ((), "--origins: give rolling origins, --hold-out-events (with --events), or both"),
        (
            ("--hold-out-events", "--first-events", "2"),
            "--first-events: must be less than the number of events (2)",
        ),
    ],
)
def test_backtest_without_anything_to_predict_exits_2(
    tmp_path: Path,
    account: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    expected: str,
) -> None:
    assert _backtest(account, tmp_path / "bt", *extra) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "bt").exists()


def test_holding_out_needs_events(
    tmp_path: Path, account: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    history, _, priors = account
    args = ["backtest", str(CAMPAIGNS), "--history", str(history), "--priors", str(priors)]
    assert main([*args, "--hold-out-events", "--out", str(tmp_path / "bt")]) == 2
    assert "--hold-out-events: needs the events it holds out (--events)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "wechat,live_quiz,2025-01-03,2025-01-03,100,,10\n",
            "line 3, column start: matches no campaign of the scenario",
        ),
        (
            "wechat,live_quiz,2025-02-10,2025-02-10,100,,10\n",
            "the event at line 3 is held out from 2025-02-10 (its start, or its campaign's first "
            "day if earlier); the history must give 14 days before that",
        ),
        (
            "wechat,live_quiz,2025-02-10,2025-02-10,100,5,10\n",
            "line 3, column shares: campaign quiz_feb has no cascade",
        ),
    ],
)
def test_bad_held_out_events_exit_2_before_any_fit(
    tmp_path: Path,
    account: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    text: str,
    expected: str,
) -> None:
    history, _, priors = account
    short = tmp_path / "short.csv"  # the history from 2025-02-01 on, for the second case
    lines = history.read_text(encoding="utf-8").splitlines(keepends=True)
    short.write_text(lines[0] + "".join(lines[32:]), encoding="utf-8")
    events = tmp_path / "events.csv"
    first = "wechat,repost_lottery,2025-01-15,2025-01-16,700,90,80\n"
    events.write_text(EVENTS_HEADER + first + text, encoding="utf-8")
    used = short if "history must give" in expected else history
    args = ["backtest", str(CAMPAIGNS), "--history", str(used), "--priors", str(priors)]
    args += ["--events", str(events), "--hold-out-events", "--out", str(tmp_path / "bt")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert expected in err and str(events) in err and "Traceback" not in err


def test_held_out_events_are_those_after_the_first_by_start() -> None:
    events = [
        _event(2, "live_quiz", "2025-03-01"),
        _event(3, "live_quiz", "2025-01-01"),
        _event(4, "repost_lottery", "2025-02-01"),
    ]
    assert [e.line for e in held_out(events, 1)] == [4, 2]
    with pytest.raises(OptionError, match="must be less than the number of events"):
        held_out(events, 3)


def test_baselines_use_past_events_of_the_same_type_when_there_are_any() -> None:
    past = [
        _event(2, "live_quiz", "2025-01-01", participants=100),
        _event(3, "repost_lottery", "2025-02-01", participants=700),
        _event(4, "live_quiz", "2025-03-01", participants=300),
        _event(5, "live_quiz", "2025-03-05"),  # not reported: left out
    ]
    quiz = _event(6, "live_quiz", "2025-04-01")
    assert [e.line for e in _past_reports(past, quiz, "participants")] == [2, 4]
    meetup = _event(7, "meetup", "2025-04-01")
    assert [e.line for e in _past_reports(past, meetup, "participants")] == [2, 3, 4]
    assert _past_reports(past, quiz, "shares") == []


def test_the_per_fan_baseline_scales_the_previous_event_by_the_fans_grown_since() -> None:
    days = 40
    fans = np.arange(1000, 1000 + 10 * days, 10, dtype=np.int64)  # +10 a day
    dates = tuple(dt.date(2025, 1, 1) + dt.timedelta(days=d) for d in range(days))
    flows = np.full(days, 10, np.int64)
    history = History("h", dates, flows, flows * 0, flows, fans)
    reports = [_event(2, "live_quiz", "2025-01-11", participants=100)]
    points = _baseline_points(reports, "participants", history, dt.date(2025, 1, 31))
    # 1090 fans at the end of 2025-01-10, 1300 at the end of the origin 2025-01-31
    assert points == {
        "previous_event": 100,
        "past_mean": 100,
        "previous_per_fan": 100 * 1300 / 1090,
    }
    early = [_event(2, "live_quiz", "2025-01-01", participants=100)]  # no day before it
    assert set(_baseline_points(early, "participants", history, dt.date(2025, 1, 31))) == {
        "previous_event",
        "past_mean",
    }
    assert "previous_per_fan" not in _baseline_points(reports, "participants", None, dates[-1])


class _Recorder:
    """Stands in for `fit`: records the last history day and the events each fit is given."""

    def __init__(self) -> None:
        self.seen: list[tuple[dt.date, tuple[int, ...]]] = []

    def fit(self, _path: str, _config: Any, history: History, *rest: Any) -> Any:
        events = rest[2] if len(rest) > 2 else ()
        self.seen.append((history.dates[-1], tuple(e.line for e in events)))
        posterior = SimpleNamespace(values=lambda: np.full((1, 1), 0.2), weights=np.ones(1))
        return SimpleNamespace(posterior=posterior)


def test_fits_see_nothing_of_what_they_predict(
    tmp_path: Path, account: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    history_path, _, priors = account
    events_path = tmp_path / "events.csv"  # the draw (launched 2025-01-15) dated by its 2nd day
    rows = ("wechat,repost_lottery,2025-01-16,2025-01-16,700,90,80\n", "wechat,live_quiz,")
    events_path.write_text(EVENTS_HEADER + rows[0] + rows[1] + "2025-02-10,2025-02-10,900,,40\n")
    history, events = read_history(history_path), read_events(events_path)
    config = load_fit_config(priors)
    recorder = _Recorder()
    for module in (held, rolling):
        monkeypatch.setattr(module, "fit", recorder.fit)
        monkeypatch.setattr(module, "diagnostics", lambda _r: {"warnings": []})
    monkeypatch.setattr(held, "predict_figures", lambda *a: np.zeros((len(a[2]), 4)))
    flat = SimpleNamespace(samples={m: np.zeros((4, 7)) for m in ("follows", "unfollows", "fans")})
    monkeypatch.setattr(rolling, "forecast", lambda *a: flat)
    ex = SerialExecutor()
    held.event_backtest(str(CAMPAIGNS), history, events, config, 0, 1, ex, draws=4)
    # the draw's fit stops the day before its launch, not before the row's date; the quiz's
    # sees the draw, not itself
    assert recorder.seen == [(dt.date(2025, 1, 14), ()), (dt.date(2025, 2, 9), (2,))]
    recorder.seen.clear()
    origins = (dt.date(2025, 1, 16), dt.date(2025, 1, 20))
    rolling.backtest(str(CAMPAIGNS), history, config, origins, 7, 1, ex, draws=4, events=events)
    assert recorder.seen == [(dt.date(2025, 1, 16), (2,)), (dt.date(2025, 1, 20), (2,))]
