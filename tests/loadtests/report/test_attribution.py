"""Whose time: percentiles over offered messages with unanswered ones infinitely late, ranges."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from loadtests.replay.platforms import Message
from loadtests.replay.records import Recorder, read_run
from loadtests.report.attribution import INF, attribution, quantiles_ms
from loadtests.wechat.delivery import FAILED, IN_TIME, Attempt, Delivered


@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=50),
       st.integers(0, 50))  # fmt: skip
def test_unanswered_messages_never_make_a_percentile_look_better(
    answered: list[float], lost: int
) -> None:
    honest = quantiles_ms(np.array(answered + [np.inf] * lost))
    flattering = quantiles_ms(np.array(answered))
    for key, value in honest.items():
        assert value == INF or value >= flattering[key]  # type: ignore[operator]
    assert (honest["max"] == INF) == (lost > 0)


def test_the_split_causes_and_saturated_ranges(tmp_path: Path) -> None:
    rec = Recorder(0)
    # written 0.25 s after it started (connect), answered 0.5 s later
    ok = Attempt(1, 1.35, 0.5, 200, True, 1.1)
    rec.delivered(Message(1, "fan1", "hi", False, 0), "k", 0.1, Delivered((ok,), IN_TIME), 1.0)
    refused = Attempt(1, 1.2, 0.001, 0, False, 1.2, "connection_refused")
    rec.delivered(Message(2, "fan2", "hi", False, 0), "k", 0.2, Delivered((refused,), FAILED), 1.0)
    for i, at in enumerate((3.2, 3.7, 4.1, 7.5)):
        rec.dropped(Message(10 + i, "f", "hi", False, 0), "k", at, 0.06, "generator_behind")
    rec.write(tmp_path, {"plan": {}})
    split = attribution(read_run(tmp_path))
    assert split["connect_and_write_ms"]["max"] == 250.0
    assert split["server_latency_ms"]["max"] == 500.0
    assert split["generator_delay_ms"]["max"] == 0.0  # both started on time
    assert split["fan_latency_answered_only_ms"]["p50"] == 750.0
    assert split["fan_latency_ms"]["p50"] == INF  # 5 of 6 offered never answered
    assert split["failure_causes"] == {"connection_refused": 1}
    assert split["dropped_by_reason"] == {"generator_behind": 4}
    assert split["generator_saturated"]
    assert split["generator_saturated_seconds"] == [[3.0, 5.0], [7.0, 8.0]]
