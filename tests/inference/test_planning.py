import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import OptionError
from sim.experiments.executors import SerialExecutor
from sim.inference.forecast import SavedPosterior
from sim.inference.planning import load_quantile

from .conftest import ACCOUNT, PATHS, write_posterior

# a posterior spread over search conversion: the load grows with it
POSTERIOR = SavedPosterior(
    PATHS,
    np.column_stack([np.linspace(0.004, 0.03, 12), np.full(12, 0.002)]),
    np.full(12, 1 / 12),
    seed=5,
    last_date=dt.date(2025, 1, 31),
    cumulative=None,
)
WEEK = (dt.date(2025, 3, 1), dt.date(2025, 3, 7))


def test_a_higher_quantile_plans_for_more_load() -> None:
    ex = SerialExecutor()
    low = load_quantile(str(ACCOUNT), POSTERIOR, 0.2, 12, ex, WEEK)
    high = load_quantile(str(ACCOUNT), POSTERIOR, 0.9, 12, ex, WEEK)
    assert np.array_equal(low.loads, high.loads)  # the same draws and seeds
    assert low.load < high.load
    assert high.load == np.sort(high.loads)[10]  # ceil(0.9 x 12) = the 11th smallest
    assert high.values[PATHS[0]] > low.values[PATHS[0]]
    assert high.overrides[0].startswith(f"{PATHS[0]}=")
    assert "90th percentile" in high.sentence() and "2025-03-01..2025-03-07" in high.sentence()
    again = load_quantile(str(ACCOUNT), POSTERIOR, 0.9, 12, ex, WEEK)
    assert again.overrides == high.overrides and np.array_equal(again.loads, high.loads)
    peak = load_quantile(str(ACCOUNT), POSTERIOR, 0.9, 12, ex, WEEK, peak=True)
    assert peak.load < high.load and "busiest day" in peak.what


def test_a_period_outside_the_scenario_is_an_error() -> None:
    late = (dt.date(2025, 3, 30), dt.date(2025, 4, 2))
    with pytest.raises(OptionError, match="must lie within the scenario"):
        load_quantile(str(ACCOUNT), POSTERIOR, 0.9, 4, SerialExecutor(), late)


@pytest.fixture
def fit_folder(tmp_path: Path) -> Path:
    """A folder as `fansim fit` writes it, with the posterior above."""
    return write_posterior(tmp_path / "fit", POSTERIOR)


def test_staff_plans_for_the_quantile_and_says_so(
    tmp_path: Path, fit_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["staff", str(ACCOUNT), "--target", "80% within 30 min", "--replications", "2"]
    base += ["--period", "2025-03-01..2025-03-02", "-q"]
    args = [*base, "--posterior", str(fit_folder), "--draws", "12"]
    assert main([*args, "--quantile", "95%", "--out", str(tmp_path / "q95")]) == 0
    said = capsys.readouterr().out
    assert "95th percentile of the forecast load" in said and PATHS[0] in said
    assert main([*args, "--quantile", "10%", "--out", str(tmp_path / "q10")]) == 0
    high = pd.read_csv(tmp_path / "q95" / "staffing.csv")
    low = pd.read_csv(tmp_path / "q10" / "staffing.csv")
    assert high["offered_load"].sum() > low["offered_load"].sum()


def test_quantile_options_need_a_posterior_and_a_scenario(
    tmp_path: Path, fit_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["staff", str(ACCOUNT), "--target", "80% within 30 min", "--quantile", "90%"]
    assert main([*args, "--out", str(tmp_path / "s")]) == 2
    assert "--quantile" in capsys.readouterr().err
    profile = tmp_path / "profile.csv"
    profile.write_text("minute,messages\n0,1\n")
    args = ["size-servers", str(profile), "--capacity", "100", "--posterior", str(fit_folder)]
    assert main(args) == 2
    assert "not a profile CSV" in capsys.readouterr().err
