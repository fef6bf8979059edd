"""Replications with confidence intervals, and the half-width rule that decides how many."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sim import api
from sim.errors import OptionError
from sim.experiments.executors import SerialExecutor
from sim.experiments.replications import Halfwidth

ROOT = Path(__file__).parents[2]
DAY = ROOT / "scenarios" / "xiaomi_service_2013.toml"


def halfwidth(values: np.ndarray) -> float:
    n = values.size
    return float(stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n))


class WideSerial(SerialExecutor):
    """Serial, but claims to be wide: batches of 4 (the result must not change)."""

    parallelism = 4


@pytest.fixture(scope="module")
def stopped():  # type: ignore[no-untyped-def]
    return api.replicate(DAY, 3, seed=11, halfwidth=["backlog_max=2.5"], max_replications=60)


def test_halfwidth_stops_at_the_requested_width(stopped) -> None:  # type: ignore[no-untyped-def]
    v = stopped["backlog_max"].to_numpy(float)
    assert stopped.attrs["halfwidth_met"]
    assert 3 < v.size < 60
    assert halfwidth(v) <= 2.5  # reached ...
    assert halfwidth(v[:-1]) > 2.5  # ... and not one replication earlier
    assert list(stopped["replication"]) == list(range(v.size))


def test_the_stopping_point_does_not_depend_on_the_batch_width(stopped) -> None:  # type: ignore[no-untyped-def]
    wide = api.replicate(
        DAY, 3, seed=11, halfwidth=["backlog_max=2.5"], max_replications=60, executor=WideSerial()
    )
    assert wide.equals(stopped)


def test_relative_halfwidth_and_the_cap() -> None:
    capped = api.replicate(DAY, 2, seed=11, halfwidth=["backlog_max=0.1%"], max_replications=4)
    assert len(capped) == 4 and not capped.attrs["halfwidth_met"]
    assert Halfwidth.parse("fans_final=5%") == Halfwidth("fans_final", 0.05, True)


@pytest.mark.parametrize("text", ["backlog_max", "backlog_max=0", "=3", "backlog_max=x%"])
def test_bad_halfwidth_is_rejected(text: str) -> None:
    with pytest.raises(OptionError, match=r"--halfwidth: must look like METRIC=VALUE"):
        Halfwidth.parse(text)


def test_unknown_halfwidth_metric_suggests_a_name() -> None:
    with pytest.raises(OptionError, match=r"did you mean `backlog_max`"):
        api.replicate(DAY, 2, halfwidth=["backlog_mx=3"], max_replications=3)


def test_describe_gives_the_t_interval(stopped) -> None:  # type: ignore[no-untyped-def]
    d = api.describe(stopped).set_index("metric")
    v = stopped["backlog_max"].to_numpy(float)
    row = d.loc["backlog_max"]
    assert row["n"] == v.size
    assert row["mean"] == pytest.approx(v.mean())
    assert row["halfwidth"] == pytest.approx(halfwidth(v))
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * halfwidth(v))
