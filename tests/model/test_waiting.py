import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.waiting import WaitingLevels

PROBES = np.arange(0.0, 121.0, 10.0)


@st.composite
def waits(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Arrivals in order, each with its leave (at or after it), and batch cuts."""
    n = draw(st.integers(0, 60))
    arrival = np.sort(
        np.asarray(draw(st.lists(st.integers(0, 119), min_size=n, max_size=n)), float)
    )
    stay = np.asarray(draw(st.lists(st.integers(0, 30), min_size=n, max_size=n)), float)
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    return arrival, arrival + stay, cuts


def level(arrival: np.ndarray, leave: np.ndarray, t: float) -> int:
    """Waiting at t: arrived by t, not left by t."""
    return int(((arrival <= t) & (leave > t)).sum())


@settings(max_examples=150, deadline=None)
@given(case=waits())
def test_the_sweep_counts_as_every_event_sorted_at_once(
    case: tuple[np.ndarray, np.ndarray, list[int]],
) -> None:
    arrival, leave, cuts = case
    w = WaitingLevels(PROBES)
    lo = 0
    for hi in [*cuts, arrival.size]:
        # a batch's leaves may lie past the next arrivals; the frontier is the next arrival
        frontier = float(arrival[hi]) if hi < arrival.size else float("inf")
        if hi > lo or hi == arrival.size:
            w.add(arrival[lo:hi], leave[lo:hi], frontier)
        lo = max(lo, hi)
    for i, t in enumerate(PROBES.tolist()):
        assert w.level[i] == level(arrival, leave, t)
    after = [level(arrival, leave, a) for a in arrival]  # leaves at the same instant first
    assert w.peak() == max(after, default=0)
    spans = [(20.0, 50.0), (90.0, 110.0)]
    inside = [x for a, x in zip(arrival, after, strict=True) if any(s <= a < e for s, e in spans)]
    edges = [level(arrival, leave, t) for span in spans for t in span]
    assert w.peak_within(spans) == max([*inside, *edges])


def test_a_span_must_end_on_probes() -> None:
    with pytest.raises(ValueError, match=r"15\.0 is not a probe"):
        WaitingLevels(PROBES).peak_within([(0.0, 15.0)])
