import datetime as dt
import json
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.inference.data import ENGLISH
from sim.inference.event_forecast import EVENT_METRICS
from sim.inference.forecast import EVENT_COLUMNS, QUANTILES, SavedPosterior
from sim.inference.forecast import MESSAGE_METRICS as MESSAGES
from sim.inference.forecast import SERVICE_METRICS as SERVICE
from sim.inference.simulator import Simulator
from sim.scenario import load_scenario

from .conftest import ACCOUNT, CAMPAIGNS, PATHS, PRIORS, history_of, write_posterior


@pytest.fixture
def history_csv(tmp_path: Path, simulator: Simulator) -> Path:
    traj = simulator.simulate((0.012, 0.003), 99)
    h = history_of(traj)
    frame = pd.DataFrame(
        {
            "date": [d.isoformat() for d in h.dates],
            "new_follows": h.new_follows,
            "unfollows": h.unfollows,
            "net_follows": h.net,
            "cumulative_follows": h.cumulative,
        }
    )
    path = tmp_path / "history.csv"
    frame[list(ENGLISH)].to_csv(path, index=False)
    return path


def _fit(history: Path, out: Path, *extra: str) -> int:
    args = ["fit", str(ACCOUNT), "--history", str(history), "--priors", str(PRIORS)]
    return main([*args, "--out", str(out), "--workers", "1", "--particles", "20", *extra])


def test_fit_writes_every_output_and_repeats_exactly(tmp_path: Path, history_csv: Path) -> None:
    assert _fit(history_csv, tmp_path / "a") == 0
    assert _fit(history_csv, tmp_path / "b") == 0
    for name in ("posterior.parquet", "diagnostics.json", "fitted.toml", "ppc.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    post = pd.read_parquet(tmp_path / "a" / "posterior.parquet")
    assert list(post.columns) == [*PATHS, "weight", "distance"]
    assert post["weight"].sum() == pytest.approx(1.0)
    diag = json.loads((tmp_path / "a" / "diagnostics.json").read_text())
    assert diag["simulator"] == "follower model alone"
    assert set(diag["parameters"]) == set(PATHS)
    kinds = {"projection (regressed)", "projection (emulated)"}
    assert {g["distance"] for g in diag["generations"]} <= kinds  # history: more stats than params
    assert main(["validate", str(tmp_path / "a" / "fitted.toml")]) == 0
    with warnings.catch_warnings():  # arviz 0.2x announces its refactor on import
        warnings.simplefilter("ignore")
        import arviz as az

        data = az.from_netcdf(tmp_path / "a" / "inference_data.nc")
    assert data.posterior[PATHS[0]].shape == (1, 20)


def test_fitted_scenario_loads_from_another_folder(
    tmp_path: Path, history_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _fit(history_csv, Path("out") / "fit", "--generations", "2") == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    fitted = tmp_path / "out" / "fit" / "fitted.toml"
    medians = json.loads((fitted.parent / "diagnostics.json").read_text())["parameters"]
    extends = tomllib.loads(fitted.read_text())["extends"]  # relative or absolute, by folders
    assert (fitted.parent / extends).resolve() == ACCOUNT.resolve()
    scenario = load_scenario(fitted)
    assert scenario.channels["search"].conversion == medians[PATHS[0]]["q50"]
    assert scenario.scenario.name == load_scenario(ACCOUNT).scenario.name


def test_forecast_quantiles_are_ordered_and_start_from_the_data(
    tmp_path: Path, history_csv: Path
) -> None:
    assert _fit(history_csv, tmp_path / "fit", "--generations", "2") == 0
    args = ["forecast", str(ACCOUNT), "--posterior", str(tmp_path / "fit")]
    args += ["--out", str(tmp_path / "fc"), "--draws", "20", "--horizon", "14", "--workers", "1"]
    assert main(args) == 0
    rows = pd.read_csv(tmp_path / "fc" / "forecast.csv")
    qs = rows[["q2.5", "q10", "q50", "q90", "q97.5"]].to_numpy()
    assert (np.diff(qs, axis=1) >= 0).all()
    assert set(rows["metric"]) == {"fans", "follows", "unfollows", "net_follows"}
    last = pd.read_csv(history_csv)["cumulative_follows"].iloc[-1]
    first_fans = rows[rows.metric == "fans"].iloc[0]
    net = rows[rows.metric == "net_follows"].iloc[0]
    assert first_fans["q2.5"] >= last + net["q2.5"] - 1e-6
    text = (tmp_path / "fc" / "forecast.txt").read_text()
    assert "80% interval" in text and len(text.splitlines()) == 5
    assert text.splitlines()[-1] == (
        "No campaign of the scenario runs after 2025-02-25: no per-event forecast."
    )
    assert pd.read_csv(tmp_path / "fc" / "events.csv").empty
    assert main([*args, "--whole", "--draws", "8", "--out", str(tmp_path / "whole")]) == 0
    rows = pd.read_csv(tmp_path / "whole" / "forecast.csv")
    assert set(rows["metric"]) == {
        "fans",
        "follows",
        "unfollows",
        "net_follows",
        *MESSAGES,
        *SERVICE,
    }
    msgs = rows[rows.metric == "messages"].reset_index()
    humans = rows[rows.metric == "to_humans"].reset_index()
    assert (msgs["q50"] > 0).all() and (humans["q50"] <= msgs["q50"]).all()
    level = rows[rows.metric == "service_level"]
    assert level["q2.5"].min() >= 0 and level["q97.5"].max() <= 1 and level["q50"].notna().all()
    assert (rows[rows.metric == "backlog"]["q50"] >= 0).all()
    text = (tmp_path / "whole" / "forecast.txt").read_text()
    assert "messages to humans" in text and len(text.splitlines()) == 9
    assert "most messages waiting for an agent at once" in text
    assert "answered within the first-response target" in text


def test_forecast_writes_each_campaign_ahead_and_repeats_exactly(tmp_path: Path) -> None:
    take_up = SavedPosterior(
        ("response.take_up",),
        np.asarray([[0.1], [0.3]]),
        np.asarray([0.5, 0.5]),
        2,
        dt.date(2025, 1, 20),
        None,
    )
    fit = write_posterior(tmp_path / "fit", take_up)
    args = ["forecast", str(CAMPAIGNS), "--posterior", str(fit), "--horizon", "7"]
    args += ["--draws", "6", "--workers", "1"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("events.csv", "forecast.csv", "forecast.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    events = pd.read_csv(tmp_path / "a" / "events.csv")
    assert set(events["campaign"]) == {"quiz_feb"}  # the draw ended before 2025-01-20
    assert list(events["figure"]) == list(EVENT_METRICS)
    qs = events[[f"q{100 * q:g}" for q in QUANTILES]].to_numpy()
    assert (np.diff(qs, axis=1) >= 0).all()
    assert (events["samples"] == 12).all() and (events["seed"] == 2).all()
    assert events["posterior"].nunique() == 1
    forecast_rows = pd.read_csv(tmp_path / "a" / "forecast.csv")
    assert set(forecast_rows["posterior"]) == set(events["posterior"])
    text = (tmp_path / "a" / "forecast.txt").read_text()
    quiz = (
        "campaign quiz_feb (live_quiz, 2025-02-10; counted 2025-02-10): participants 80% interval"
    )
    assert quiz in text
    assert (
        list(events[["start", "end", "counted_from", "counted_to"]].iloc[0]) == ["2025-02-10"] * 4
    )
    assert "net_follows_14d" in text  # the table
    assert main([*args, "--seed", "5", "--out", str(tmp_path / "c")]) == 0
    other = pd.read_csv(tmp_path / "c" / "events.csv")
    assert (other["seed"] == 5).all()  # --seed keys the draws; by default the fit's seed
    assert not np.array_equal(other[["mean"]].to_numpy(), events[["mean"]].to_numpy())
    assert main([*args, "--no-events", "--out", str(tmp_path / "d")]) == 0
    skipped = pd.read_csv(tmp_path / "d" / "events.csv")
    assert skipped.empty and list(skipped.columns) == list(EVENT_COLUMNS)
    text = (tmp_path / "d" / "forecast.txt").read_text()
    assert text.splitlines()[-1] == "Per-event forecasts were not asked for (--no-events)."
    assert "quiz_feb" not in text


def test_forecast_gives_a_cascade_s_early_r_as_a_ratio(tmp_path: Path) -> None:
    """The draw ahead has a cascade: events.csv and the table carry its early R, 2 decimals."""
    take_up = SavedPosterior(
        ("response.take_up",), np.asarray([[0.2]]), np.ones(1), 2, dt.date(2025, 1, 10), None
    )
    fit = write_posterior(tmp_path / "fit", take_up)
    args = ["forecast", str(CAMPAIGNS), "--posterior", str(fit), "--horizon", "3"]
    assert main([*args, "--draws", "4", "--workers", "1", "--out", str(tmp_path / "a")]) == 0
    events = pd.read_csv(tmp_path / "a" / "events.csv")
    early = events[events["figure"] == "early_r"]
    assert list(early["campaign"]) == ["draw_jan"]  # the quiz has no cascade
    (median,) = early["q50"]
    assert 0 < median < 1 and early["samples"].iloc[0] <= 8  # 4 draws x 2 replications
    table = (tmp_path / "a" / "forecast.txt").read_text()
    line = next(x for x in table.splitlines() if "early_r" in x)
    assert f"{median:.2f}" in line


def test_bad_history_exits_2_naming_line_and_column(
    tmp_path: Path, history_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = history_csv.read_text().splitlines()
    cells = lines[5].split(",")
    cells[2] = "-1"
    lines[5] = ",".join(cells)
    history_csv.write_text("\n".join(lines) + "\n")
    assert _fit(history_csv, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "line 6, column unfollows: must be a whole number >= 0 (got '-1')" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_history_outside_the_scenario_exits_2(
    tmp_path: Path, history_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "short.toml"
    scenario.write_text(ACCOUNT.read_text().replace("end = 2025-03-31", "end = 2025-02-10"))
    args = ["fit", str(scenario), "--history", str(history_csv), "--priors", str(PRIORS)]
    code = main([*args, "--out", str(tmp_path / "o")])
    assert code == 2
    assert "must not be after the scenario's end (2025-02-10)" in capsys.readouterr().err


def test_backtest_scores_model_and_baselines(tmp_path: Path, history_csv: Path) -> None:
    args = ["backtest", str(ACCOUNT), "--history", str(history_csv), "--priors", str(PRIORS)]
    args += ["--origins", "2025-01-31", "--horizon", "14", "--out", str(tmp_path / "bt")]
    args += ["--particles", "20", "--generations", "2", "--draws", "20", "--workers", "1"]
    truth = tmp_path / "truth.toml"  # the values history_csv was simulated with
    truth.write_text(f'[parameters]\n"{PATHS[0]}" = 0.012\n"{PATHS[1]}" = 0.003\n')
    assert main([*args, "--truth", str(truth)]) == 0
    rows = pd.read_csv(tmp_path / "bt" / "backtest.csv")
    methods = {"model", "truth", "last_value", "linear_trend", "same_weekday"}
    assert set(rows["method"]) == methods
    for method in ("model", "truth"):
        mine = rows[rows.method == method]
        assert ((mine["cover50"] <= mine["cover80"]) & (mine["cover80"] <= mine["cover95"])).all()
    assert (rows["crps"] >= 0).all()
    summary = json.loads((tmp_path / "bt" / "backtest.json").read_text())
    assert {r["method"] for r in summary} == methods
    assert (tmp_path / "bt" / "backtest.png").stat().st_size > 0


def test_backtest_truth_must_give_each_free_parameter(
    tmp_path: Path, history_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = tmp_path / "truth.toml"
    truth.write_text(f'[parameters]\n"{PATHS[0]}" = 0.012\n"followers.typo" = 1\n')
    args = ["backtest", str(ACCOUNT), "--history", str(history_csv), "--priors", str(PRIORS)]
    args += ["--origins", "2025-01-31", "--horizon", "14", "--out", str(tmp_path / "bt")]
    assert main([*args, "--truth", str(truth)]) == 2
    err = capsys.readouterr().err
    assert f"parameters.'{PATHS[1]}': must give each free parameter of --priors a number" in err
    assert "parameters.'followers.typo': is not a free parameter of --priors" in err
    assert "Traceback" not in err and not (tmp_path / "bt").exists()


def test_backtest_origin_without_a_horizon_after_it_exits_2(
    tmp_path: Path, history_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["backtest", str(ACCOUNT), "--history", str(history_csv), "--priors", str(PRIORS)]
    args += ["--origins", "2025-02-20", "--horizon", "28", "--out", str(tmp_path / "bt")]
    assert main(args) == 2
    assert "--origins: must leave 14 days before it and 28 after it" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "text", "expected"),
    [
        (
            "--events",
            "platform,type,start,end\nweibo,lottery,2025-02-01,2025-01-30\n",
            "line 2, column end: must not be before start (2025-02-01)",
        ),
        (
            "--events",
            "platform,type,start,end\nweibo,lottery,2024-12-01,2024-12-02\n",
            "line 2, column start: must lie within the scenario (2025-01-01 to 2025-03-31)",
        ),
        (
            "--events",
            "platform,type,start,end,participants\nwechat,live_quiz,2025-02-01,2025-02-01,90\n",
            "line 2, column start: matches no campaign of the scenario",
        ),
        (
            "--facts",
            "date,metric,value,tolerance\n2025-02-01,fans,100,10%\n",
            "line 2, column metric: must be one of new_follows",
        ),
        (
            "--facts",
            "date,metric,value\n2025-02-01,unfollows,100\n",
            "missing column 'tolerance'",
        ),
    ],
)
def test_bad_events_or_facts_exit_2(
    tmp_path: Path,
    history_csv: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    text: str,
    expected: str,
) -> None:
    data = tmp_path / "data.csv"
    data.write_text(text, encoding="utf-8")
    assert _fit(history_csv, tmp_path / "out", option, str(data)) == 2
    err = capsys.readouterr().err
    assert expected in err and str(data) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
