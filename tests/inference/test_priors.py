import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import OptionError
from sim.inference.priors import Prior, load_fit_config, parse_priors
from sim.model.rng import Streams

from .conftest import PATHS, PRIORS


def _rng() -> np.random.Generator:
    return Streams(5).get("fit.propose", 0)


@pytest.mark.parametrize(
    "prior",
    [
        Prior("a", "uniform", 1.0, 3.0),
        Prior("a", "loguniform", 0.01, 1.0),
        Prior("a", "normal", 0.0, 10.0, mean=2.0, sd=3.0),
        Prior("a", "lognormal", 0.1, 100.0, mean=5.0, sd=1.0),
    ],
    ids=str,
)
def test_draws_stay_in_bounds_and_match_the_density(prior: Prior) -> None:
    z = prior.sample_z(_rng(), 20_000)
    x = prior.from_z(z)
    assert x.min() >= prior.low and x.max() <= prior.high
    # the density integrates to 1 over the bounds, and the draws' sd matches the analytic one
    a, b = prior.z_bounds
    grid = np.linspace(a, b, 20_001)
    assert np.trapezoid(np.exp(prior.logpdf_z(grid)), grid) == pytest.approx(1.0, abs=1e-3)
    assert z.std() == pytest.approx(prior.z_sd(), rel=0.03)
    assert np.isneginf(prior.logpdf_z(np.array([b + 1.0])))[0]


@given(st.floats(1e-6, 1e3), st.floats(1.001, 1e3))
def test_working_space_round_trips(low: float, ratio: float) -> None:
    prior = Prior("a", "loguniform", low, low * ratio)
    x = np.array([low, low * math.sqrt(ratio), low * ratio])
    assert np.allclose(prior.from_z(prior.to_z(x)), x)


def test_fit_table_reads() -> None:
    cfg = load_fit_config(PRIORS)
    assert cfg.paths == PATHS and cfg.particles == 30 and cfg.generations == 3
    assert "loguniform(low=0.002, high=0.05)" in str(cfg.priors[0])


def test_bad_priors_are_all_listed() -> None:
    raw = {
        "particles": 1,
        "parameters": {
            "a.b": {"prior": "unifrom", "low": 0, "high": 1},
            "c.d": {"prior": "loguniform", "low": 0, "high": 1},
            "e.f": {"prior": "normal", "low": 2, "high": 1, "mean": 0, "sd": -1},
        },
    }
    with pytest.raises(OptionError) as info:
        parse_priors(raw, "fit.toml")
    msg = str(info.value)
    assert "did you mean 'uniform'" in msg
    assert "fit.parameters.'c.d'.low: must be > 0 for a loguniform prior (got 0.0)" in msg
    assert "fit.parameters.'e.f'.high: must be greater than low (2.0)" in msg
    assert "fit.parameters.'e.f'.sd: must be > 0" in msg
    assert "fit.particles: must be a whole number from 2" in msg
