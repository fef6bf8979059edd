import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sim.inference.fitted import fitted_toml, toml_value
from sim.inference.simulator import Simulator
from sim.scenario import load_scenario

from .conftest import DATA

PHASED = DATA / "phased.toml"

scalars = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.dates()
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


@given(values)
def test_a_value_reads_back_as_it_was(value: Any) -> None:
    got = tomllib.loads(f"x = {toml_value(value)}")["x"]
    assert got == value


def test_a_phase_s_field_is_set_in_the_repeated_phases(tmp_path: Path) -> None:
    paths = ("phases[0].set.channels.search.conversion", "followers.unfollow_per_day")
    sim = Simulator(str(PHASED), paths)
    medians = {paths[0]: 0.0123, paths[1]: 0.0031}
    (tmp_path / "fitted.toml").write_text(
        fitted_toml(str(PHASED), sim.base, medians, sim.integers, tmp_path), encoding="utf-8"
    )
    sc = load_scenario(tmp_path / "fitted.toml")
    assert sc.followers.unfollow_per_day == 0.0031
    assert sc.channels["search"].conversion == 0.01  # the base's, before the phase
    (phase,) = sc.phases
    assert phase.date == dt.date(2025, 2, 1)
    assert phase.note == "a better landing page"
    assert phase.set == {"channels.search.conversion": 0.0123, "followers.gift_window_days": 5}
