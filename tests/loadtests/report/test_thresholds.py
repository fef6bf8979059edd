"""Threshold expressions: parsing with units, and which figure of a report each one reads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.report.thresholds import crossed, figure, parse_threshold

REPORT = {
    "offered": 10,
    "sent": 8,
    "dropped": 2,
    "failed": 1,
    "answered_in_time": 6,
    "answered_after_retry": 1,
    "failed_share": 0.3,
    "dropped_share": 0.2,
    "attribution": {
        "stale_connections": 4,
        "failure_causes": {"connection_refused": 3},
        "fan_latency_ms": {"p50": 12.0, "p90": "inf", "p99": "inf", "p999": "inf", "max": "inf"},
        "server_latency_ms": {"p50": 1.0, "p90": 2.0, "p99": 3.5, "p999": 4.0, "max": 4.0},
        "generator_delay_ms": {"p50": 0.1, "p90": 0.2, "p99": 0.3, "p999": 0.4, "max": 0.5},
    },
}
FAN = np.array([0.01, 0.02, 1.0, 2.0, 20.0, 30.0, 100.0, np.inf, np.inf, np.inf])


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ("failed_share<0.1%", "failed_share", "<", 0.001),
        ("fan_p99 < 5s", "fan_p99", "<", 5.0),
        ("server_p99<=250ms", "server_p99", "<=", 0.25),
        ("answered_within_15min>80%", "answered_within_15min", ">", 0.8),
        ("dropped=0", "dropped", "=", 0.0),
        ("cause.connection_refused==0", "cause.connection_refused", "==", 0.0),
    ],
)
def test_expressions_parse_with_their_units(text: str, name: str, op: str, value: float) -> None:
    t = parse_threshold(text)
    assert (t.name, t.op) == (name, op) and t.value == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("fan_p99", "must be NAME OP VALUE"),
        ("latency<5s", "unknown figure 'latency'"),
        ("fan_p42<1s", "unknown figure"),
        ("answered_within_soon>1%", "unknown figure"),
        ("dropped<1x", "must be NAME OP VALUE"),
    ],
)
def test_bad_expressions_name_the_rule(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_threshold(text)


def test_figures_come_from_the_report_and_unanswered_messages_are_infinitely_late() -> None:
    assert figure(REPORT, "answered", FAN) == 7
    assert figure(REPORT, "cause.connection_refused", FAN) == 3
    assert figure(REPORT, "cause.timeout", FAN) == 0
    assert figure(REPORT, "server_p99", FAN) == pytest.approx(0.0035)
    assert figure(REPORT, "fan_p99", FAN) == np.inf
    assert figure(REPORT, "answered_within_1s", FAN) == pytest.approx(0.3)
    texts = ("dropped=0", "fan_p50<=12ms", "answered_within_1min>=60%")
    lines = crossed(REPORT, [parse_threshold(t) for t in texts], FAN)
    assert lines == ["threshold crossed: dropped=0 (measured 2)"]


def test_a_figure_of_a_run_with_nothing_offered_crosses() -> None:
    empty = {**REPORT, "offered": 0}
    lines = crossed(empty, [parse_threshold("failed_share<1%")], np.array([]))
    assert lines == ["threshold crossed: failed_share<1% (not measured in this run)"]


@given(st.floats(0, 1e6, allow_nan=False), st.sampled_from(["ms", "s", "min", "h"]))
def test_times_are_seconds_whatever_the_unit(x: float, unit: str) -> None:
    scale = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0}[unit]
    assert parse_threshold(f"fan_p50<{x!r}{unit}").value == pytest.approx(x * scale)
