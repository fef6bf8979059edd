"""The warm-up's awareness process: theory checks and common random numbers."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.rng import Streams
from sim.model.warmup import launch_arrivals, run_warmup
from sim.scenario.response import ResponseSpec
from sim.scenario.spread import WarmupSpec

R = ResponseSpec(warmup_follow_share=0.1)


def test_aware_at_launch_is_binomial_with_the_closed_form_mean() -> None:
    # without reposts each of the unaware escapes every day's views with exp(-views / N):
    # the aware after D days are Binomial(unaware, 1 - exp(-D x views / N)) exactly
    unaware, over, views, days = 5_000, 10_000.0, 1_000.0, 5
    spec = WarmupSpec(days=days, reach_per_day=views, join_share=0.5)
    totals = np.array(
        [run_warmup(spec, R, unaware, over, Streams(7, r), 3, "w").aware.sum() for r in range(400)]
    )
    p = 1 - np.exp(-days * views / over)
    mean, var = unaware * p, unaware * p * (1 - p)
    assert abs(totals.mean() - mean) < 4 * np.sqrt(var / totals.size)
    assert totals.var(ddof=1) == pytest.approx(var, rel=0.2)


def test_the_pool_depletes_day_by_day_as_its_closed_form() -> None:
    # day j's new aware have mean unaware x exp(-j v / N) x (1 - exp(-v / N))
    unaware, over, views, days = 20_000, 20_000.0, 4_000.0, 6
    spec = WarmupSpec(days=days, reach_per_day=views)
    runs = np.array(
        [run_warmup(spec, R, unaware, over, Streams(3, r), 9, "w").aware for r in range(300)]
    )
    j = np.arange(days)
    expected = unaware * np.exp(-j * views / over) * -np.expm1(-views / over)
    se = np.sqrt(expected) / np.sqrt(runs.shape[0])
    assert np.all(np.abs(runs.mean(axis=0) - expected) < 5 * se)
    follows = np.array(
        [run_warmup(spec, R, unaware, over, Streams(3, r), 9, "w").follows for r in range(300)]
    )
    assert follows.sum() / runs.sum() == pytest.approx(0.1, abs=0.005)


@settings(max_examples=80, deadline=None)
@given(
    days=st.integers(1, 40),
    more_days=st.integers(0, 20),
    views=st.floats(0, 50_000),
    more_views=st.floats(0, 50_000),
    reposts=st.floats(0, 3),
    seed=st.integers(0, 2**32),
)
def test_a_longer_warm_up_never_brings_fewer_aware_followers_or_arrivals(
    days: int, more_days: int, views: float, more_views: float, reposts: float, seed: int
) -> None:
    r = ResponseSpec(warmup_follow_share=0.05, warmup_repost_views=reposts)
    streams = Streams(seed)

    def outcome(d: int, v: float) -> tuple[int, int, int]:
        w = run_warmup(WarmupSpec(days=d, reach_per_day=v), r, 200_000, 400_000, streams, 50, "w")
        return int(w.aware.sum()), int(w.follows.sum()), launch_arrivals(w, 0.1, streams, 50)

    short, longer = outcome(days, views), outcome(days + more_days, views)
    assert all(b >= a for a, b in zip(short, longer, strict=True))
    assert outcome(days, views + more_views)[0] >= short[0]  # more views: never fewer aware
