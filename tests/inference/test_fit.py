import datetime as dt

import numpy as np
import pytest

from sim.errors import OptionError
from sim.inference.events import Fact
from sim.inference.fit import at_bound, check_inputs
from sim.inference.priors import parse_priors
from sim.inference.simulator import Simulator

from .conftest import DATA

PHASED = DATA / "phased.toml"
PATH = "channels.search.conversion"
PRIOR = {"prior": "loguniform", "low": 0.002, "high": 0.05}
FACTS = (Fact(2, dt.date(2025, 2, 28), "cumulative_follows", 30_000.0, 5_000.0),)


def test_a_posterior_piled_at_a_bound_is_named() -> None:
    w = np.full(8, 1 / 8)
    spread = np.linspace(0.2, 0.8, 8)
    assert at_bound(spread, w, 0.0, 1.0) is None
    upper = np.array([0.3, 0.5, 0.6, 0.7, 0.995, 1.0, 1.0, 0.4])
    assert at_bound(upper, w, 0.0, 1.0) == "upper"  # 3/8 of the weight within 1% of 1
    lower = np.array([-2.0, -2.0, 0.0, 1.0])
    assert at_bound(lower, np.array([0.2, 0.1, 0.3, 0.4]), -2.0, 2.0) == "lower"
    assert at_bound(lower, np.array([0.1, 0.1, 0.4, 0.4]), -2.0, 2.0) is None


def test_a_free_parameter_that_a_phase_replaces_is_named_with_the_phase_s_field() -> None:
    config = parse_priors({"parameters": {PATH: PRIOR, "followers.unfollow_per_day": PRIOR}})
    with pytest.raises(OptionError, match=r"phases\[0\] sets `channels.search.conversion`") as e:
        check_inputs(str(PHASED), config, None, facts=FACTS)
    assert len(e.value.problems) == 1
    assert "phases[0].set.channels.search.conversion" in str(e.value)
    both = {PATH: PRIOR, f"phases[0].set.{PATH}": PRIOR}
    check_inputs(str(PHASED), parse_priors({"parameters": both}), None, facts=FACTS)


def test_the_phase_s_field_can_be_fitted() -> None:
    config = parse_priors({"parameters": {f"phases[0].set.{PATH}": PRIOR}})
    check_inputs(str(PHASED), config, None, facts=FACTS)
    sim = Simulator(str(PHASED), config.paths, end=dt.date(2025, 2, 28))
    low, high = sim.simulate((0.005,), 3), sim.simulate((0.04,), 3)
    assert np.array_equal(low.follows[:31], high.follows[:31])  # January: the base's value
    assert high.follows[31:].sum() > 4 * low.follows[31:].sum()  # February: the phase's
