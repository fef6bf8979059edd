"""`agent_times.summarize`: counts, times and the share within target of one side."""

import numpy as np

from loadtests.report.agent_times import summarize


def test_a_message_still_waiting_counts_only_once_its_target_has_passed() -> None:
    nan = np.nan
    arrival = np.array([0.0, 1.0, 9.0])
    claimed = np.array([2.0, 8.0, nan])  # the last still waits at the end (10)
    answered = np.array([5.0, nan, nan])
    out = summarize(arrival, claimed, answered, end=10.0, targets=(3.0, 20.0))
    assert (out["routed"], out["claimed"], out["answered"]) == (3, 2, 1)
    assert out["first_response_minutes"]["max"] == 7.0
    assert out["first_response_met_share"] == 0.5  # the third's outcome is not known yet
    assert out["resolution_met_share"] == 1.0  # only the first is known (answered)
