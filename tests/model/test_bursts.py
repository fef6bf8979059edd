import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from sim.model.bursts import BurstSchedule


def quiz() -> BurstSchedule:
    return BurstSchedule.rounds(50_400, 57_600, 600_000, 600, 0.35, 10, 90)


def test_rounds_put_the_first_share_in_the_opening_spike() -> None:
    b = quiz()
    assert b.times[0] == 50_400 and len(b.times) == 12  # opening + 11 rounds before the end
    assert b.weights[0] == pytest.approx(0.35 * 600_000)
    assert b.total == pytest.approx(600_000)
    assert np.diff(b.times).tolist() == [600.0] * 11


@settings(max_examples=40, deadline=None)
@given(t0=st.floats(50_000, 58_000), width=st.floats(0.5, 3000))
def test_expected_is_the_integral_of_rate_at(t0: float, width: float) -> None:
    b = quiz()
    numeric, _ = integrate.quad(
        lambda t: float(b.rate_at(t)),
        t0,
        t0 + width,
        limit=400,
        points=[t for t in b.times if t0 < t < t0 + width],
    )
    assert float(b.expected(t0, t0 + width)) == pytest.approx(numeric, rel=1e-6, abs=1e-6)


def test_rate_is_zero_before_and_decays_after() -> None:
    b = quiz()
    assert float(b.rate_at(50_399.9)) == 0.0
    t_peak, rate = b.peak()
    assert 50_400 < t_peak < 50_400 + 90 and rate > 1000
    assert float(b.rate_at(70_000)) < 1e-6
    assert float(b.expected(0, 200_000)) == pytest.approx(b.total)


def test_same_inputs_same_outputs_vectorised() -> None:
    b = quiz()
    grid = np.arange(50_000.0, 52_000.0, 7.0)
    assert np.array_equal(b.rate_at(grid), np.array([float(b.rate_at(t)) for t in grid]))


def test_invalid_shapes_are_rejected() -> None:
    with pytest.raises(ValueError, match="rise_seconds"):
        BurstSchedule((0.0,), (1.0,), 90, 10)
    with pytest.raises(ValueError, match="weights"):
        BurstSchedule((0.0,), (-1.0,), 1, 10)
