import numpy as np

from sim.inference.fit import at_bound


def test_a_posterior_piled_at_a_bound_is_named() -> None:
    w = np.full(8, 1 / 8)
    spread = np.linspace(0.2, 0.8, 8)
    assert at_bound(spread, w, 0.0, 1.0) is None
    upper = np.array([0.3, 0.5, 0.6, 0.7, 0.995, 1.0, 1.0, 0.4])
    assert at_bound(upper, w, 0.0, 1.0) == "upper"  # 3/8 of the weight within 1% of 1
    lower = np.array([-2.0, -2.0, 0.0, 1.0])
    assert at_bound(lower, np.array([0.2, 0.1, 0.3, 0.4]), -2.0, 2.0) == "lower"
    assert at_bound(lower, np.array([0.1, 0.1, 0.4, 0.4]), -2.0, 2.0) is None
