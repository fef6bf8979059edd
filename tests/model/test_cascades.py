"""Cascades: branching-process theory, saturation, CRN monotonicity, task fission."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

from sim.errors import ScenarioError
from sim.model.cascades import run_cascade
from sim.model.rng import Streams
from sim.results.stats import mean_ci95
from sim.scenario.spread import CascadeSpec

HOURS = 24 * 30


def test_subcritical_cascade_matches_seeds_over_one_minus_r() -> None:
    spec = CascadeSpec(
        share_probability=0.5, contacts_mean=4, contacts_dispersion=0.5, join_probability=0.3
    )
    r = 0.5 * 4 * 0.3
    totals = [
        run_cascade(spec, 500, 14, None, HOURS, Streams(11, k), 0, "sub").participants
        for k in range(100)
    ]
    lo, hi = mean_ci95(totals)
    assert lo <= 500 / (1 - r) <= hi, (lo, hi)


def test_supercritical_cascade_saturates_at_its_pool_as_the_final_size_equation_says() -> None:
    pool, seeds = 1_000_000, 200
    spec = CascadeSpec(
        share_probability=0.8, contacts_mean=10, contacts_dispersion=1.0, join_probability=0.5
    )
    r = 0.8 * 10 * 0.5
    c0 = seeds * 0.8 * 10 / pool  # the seeds' own contact pressure
    z = optimize.brentq(lambda x: x - (1 - np.exp(-r * x - c0)), 0.5, 1.0)
    for k in range(3):
        res = run_cascade(spec, seeds, 14, pool, HOURS, Streams(5, k), 0, "super")
        assert res.reach <= pool
        assert res.reach / pool == pytest.approx(z, abs=0.005)
        assert res.participants - seeds == pytest.approx(0.5 * res.reach, rel=0.01)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    share=st.floats(0.0, 0.9),
    more=st.floats(0.0, 0.2),  # share + more <= 1.1, clipped at 1
    contacts=st.floats(0.5, 20.0),
    dispersion=st.one_of(st.none(), st.floats(0.2, 5.0)),
    pool=st.one_of(st.none(), st.integers(0, 200_000)),
    seeds=st.integers(1, 5_000),
)
def test_more_sharing_never_gives_fewer_follows_under_crn(
    seed: int,
    share: float,
    more: float,
    contacts: float,
    dispersion: float | None,
    pool: int | None,
    seeds: int,
) -> None:
    """Path by path, with or without saturation: cumulative follows by generation never drop."""
    if pool is None:  # no saturation: keep it subcritical (R <= 1.1 * 3.2 * 0.3 < 1)
        contacts = min(contacts, 3.0)

    def follows(p: float, mean: float) -> list[int]:
        spec = CascadeSpec(
            share_probability=p,
            contacts_mean=mean,
            contacts_dispersion=dispersion,
            join_probability=0.3,
            max_generations=12,
        )
        res = run_cascade(spec, seeds, 10, pool, 48, Streams(seed), 0, "c")
        if pool is not None:
            assert res.reach <= pool
        cumulative = np.cumsum([g.follows for g in res.generations]).tolist()
        return cumulative + [cumulative[-1]] * (13 - len(cumulative))

    base = follows(share, contacts)
    for higher in (follows(min(1.0, share + more), contacts), follows(share, contacts + more)):
        assert all(b >= a for a, b in zip(base, higher, strict=True)), (base, higher)


def test_more_sharing_brings_more_follows_in_a_saturating_cascade_example() -> None:
    """The property is not vacuous: a saturating cascade gains follows from more sharing."""
    pool = 100_000

    def follows(p: float) -> int:
        spec = CascadeSpec(
            share_probability=p, contacts_mean=10, contacts_dispersion=0.5, join_probability=0.3
        )
        res = run_cascade(spec, 100, 10, pool, 24 * 30, Streams(3), 0, "c")
        assert res.reach > pool / 2  # saturating
        return res.follows

    counts = [follows(p) for p in (0.5, 0.6, 0.7, 0.8)]
    assert counts == sorted(counts) and counts[0] < counts[-1], counts


def test_an_unbounded_supercritical_cascade_is_refused_by_name() -> None:
    spec = CascadeSpec(share_probability=1, contacts_mean=50, join_probability=1)
    with pytest.raises(ScenarioError, match=r"campaigns\.boom\.cascade\.pool: reached more"):
        run_cascade(spec, 1000, 10, None, 48, Streams(1), 0, "boom")


def test_task_fission_joins_per_sharer_match_the_stopped_invite_process() -> None:
    n, m, p = 3, 10, 0.25
    spec = CascadeSpec(
        kind="task",
        share_probability=1.0,
        join_probability=p,
        invite_target=n,
        max_invites=m,
        max_generations=1,
    )
    k = np.arange(m + 1)
    expected = float((np.minimum(k, n) * stats.binom.pmf(k, m, p)).sum())
    per = [
        run_cascade(spec, 2000, 0, None, 48, Streams(3, r), 0, "task").generations[0].joined / 2000
        for r in range(30)
    ]
    lo, hi = mean_ci95(per)
    assert lo <= expected <= hi


@pytest.mark.parametrize("p", [2.2250738585072014e-308, 5.7e-309])
def test_a_task_with_a_vanishing_join_probability_runs_and_brings_no_one(p: float) -> None:
    """SciPy 1.17's binomial pmfs overflowed here; a valid scenario must still run."""
    spec = CascadeSpec(
        kind="task", share_probability=1.0, join_probability=p, invite_target=2, max_invites=40
    )
    result = run_cascade(spec, 1000, 0, None, 48, Streams(3, 0), 0, "task")
    assert result.generations[0].joined == 0 and result.joined_by_hour.sum() == 0


def test_cascade_timing_follows_the_delay_and_is_byte_stable() -> None:
    spec = CascadeSpec(
        share_probability=1.0, contacts_mean=1.0, join_probability=1.0, max_generations=2,
        delay_hours_mean=10, delay_hours_cv=0.1,
    )  # fmt: skip
    a = run_cascade(spec, 1000, 5, None, 72, Streams(1), 0, "t")
    b = run_cascade(spec, 1000, 5, None, 72, Streams(1), 0, "t")
    assert np.array_equal(a.joined_by_hour, b.joined_by_hour)
    hours = np.arange(72)
    first = a.generations[0].joined
    mean_hour = (hours * a.joined_by_hour).sum() / a.joined_by_hour.sum()
    # generation 1 about 10 h after hour 5, generation 2 about 10 h later
    share_first = first / a.joined_by_hour.sum()
    assert mean_hour == pytest.approx(5 + 10 * (share_first + 2 * (1 - share_first)), abs=1.0)
