import math
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.dists import Distribution, Empirical, Exponential, Fixed, Gamma, LogNormal
from sim.scenario.schema import DistSpec

N = 200_000
Z = 5.0  # tolerance in standard errors; the seed is fixed, so this is about model error only

DISTRIBUTIONS: list[Distribution] = [
    Exponential(2.5),
    LogNormal(1.2, 0.8),
    LogNormal(30.0, 0.3),
    Gamma(3.0, 0.5),
    Gamma(2.0, 1.5),
    Fixed(4.0),
    Empirical((0.5, 1.0, 4.0, 10.0)),
]


def draw(dist: Distribution, seed: int = 123, size: int = N) -> np.ndarray:
    return dist.sample(np.random.default_rng(seed), size)


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=repr)
def test_sample_mean_matches_mean(dist: Distribution) -> None:
    x = draw(dist)
    se = math.sqrt(dist.variance / N)
    assert abs(x.mean() - dist.mean) <= Z * se + 1e-12


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=repr)
def test_sample_variance_matches_variance(dist: Distribution) -> None:
    x = draw(dist)
    dev2 = (x - x.mean()) ** 2
    se = dev2.std() / math.sqrt(N)
    assert abs(x.var(ddof=1) - dist.variance) <= Z * se + 1e-12


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=repr)
def test_samples_are_non_negative_floats_of_the_requested_size(dist: Distribution) -> None:
    x = draw(dist, size=1000)
    assert x.shape == (1000,)
    assert x.dtype == np.float64
    assert (x >= 0).all()
    assert np.isfinite(x).all()


@pytest.mark.parametrize("dist", DISTRIBUTIONS, ids=repr)
def test_same_generator_seed_gives_same_samples(dist: Distribution) -> None:
    np.testing.assert_array_equal(draw(dist, 7, 100), draw(dist, 7, 100))


@pytest.mark.parametrize("dist", [d for d in DISTRIBUTIONS if d.variance > 0], ids=repr)
def test_different_generator_seed_gives_different_samples(dist: Distribution) -> None:
    assert not np.array_equal(draw(dist, 7, 100), draw(dist, 8, 100))


def test_fixed_is_constant() -> None:
    np.testing.assert_array_equal(draw(Fixed(4.0), size=5), np.full(5, 4.0))
    assert Fixed(4.0).variance == 0.0


def test_empirical_only_returns_measured_values() -> None:
    values = (0.5, 1.0, 4.0, 10.0)
    x = draw(Empirical(values), size=10_000)
    assert set(np.unique(x)) == set(values)


def test_empirical_moments_are_population_moments() -> None:
    dist = Empirical((1.0, 3.0))
    assert dist.mean == 2.0
    assert dist.variance == 1.0


def test_moments_by_hand() -> None:
    assert Exponential(2.5).mean == 2.5
    assert Exponential(2.5).variance == 6.25
    assert LogNormal(2.0, 0.5).variance == pytest.approx(1.0)
    assert Gamma(4.0, 0.25).variance == pytest.approx(1.0)
    assert Gamma(4.0, 0.25).mean == 4.0


@pytest.mark.parametrize(
    ("dist", "text"),
    [
        (Exponential(2.5), "Exponential(mean=2.5)"),
        (LogNormal(1.2, 0.8), "LogNormal(mean=1.2, cv=0.8)"),
        (Gamma(3.0, 0.5), "Gamma(mean=3, cv=0.5)"),
        (Fixed(4.0), "Fixed(4)"),
        (Empirical((1.0, 2.0, 6.0)), "Empirical(n=3, mean=3)"),
    ],
)
def test_repr_shows_parameters(dist: Distribution, text: str) -> None:
    assert repr(dist) == text


@pytest.mark.parametrize(
    ("make", "pattern"),
    [
        (lambda: Exponential(0.0), r"^mean\(=0\.0\) must be a finite number > 0"),
        (lambda: Exponential(-1.0), r"^mean\(=-1\.0\)"),
        (lambda: Exponential(math.inf), r"^mean\(=inf\)"),
        (lambda: Exponential(math.nan), r"^mean\(=nan\)"),
        (lambda: LogNormal(0.0, 1.0), r"^mean\(=0\.0\)"),
        (lambda: LogNormal(1.0, 0.0), r"^cv\(=0\.0\)"),
        (lambda: Gamma(-2.0, 1.0), r"^mean\(=-2\.0\)"),
        (lambda: Gamma(1.0, -0.5), r"^cv\(=-0\.5\)"),
        (lambda: Fixed(0.0), r"^value\(=0\.0\)"),
        (lambda: Empirical(()), r"^values\(=\[\]\) must hold at least one"),
        (lambda: Empirical((1.0, -2.0)), r"^values\[1\]\(=-2\.0\) must be a finite number >= 0"),
        (lambda: Empirical((math.nan,)), r"^values\[0\]\(=nan\)"),
    ],
)
def test_invalid_parameters_raise_naming_the_parameter(make: Any, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        make()


def test_empirical_accepts_zero() -> None:
    assert Empirical((0.0,)).mean == 0.0


SPECS = TypeAdapter(DistSpec)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"dist": "exponential", "mean": 2.5}, Exponential(2.5)),
        ({"dist": "lognormal", "mean": 1.2, "cv": 0.8}, LogNormal(1.2, 0.8)),
        ({"dist": "gamma", "mean": 3, "cv": 0.5}, Gamma(3.0, 0.5)),
        ({"dist": "fixed", "value": 4}, Fixed(4.0)),
        ({"dist": "empirical", "values": [0.5, 1, 4]}, Empirical((0.5, 1.0, 4.0))),
    ],
)
def test_spec_builds_matching_distribution(spec: dict[str, Any], expected: Distribution) -> None:
    built = SPECS.validate_python(spec).build()
    assert type(built) is type(expected)
    assert built == expected
    assert repr(built) == repr(expected)


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "exponential", "mean": 0},
        {"dist": "lognormal", "mean": 1.0},
        {"dist": "gamma", "mean": 1.0, "cv": -1},
        {"dist": "fixed", "value": -3},
        {"dist": "empirical", "values": []},
        {"dist": "empirical", "values": [1, -1]},
        {"dist": "poisson", "mean": 1.0},
    ],
)
def test_invalid_spec_rejected_before_build(spec: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SPECS.validate_python(spec)
