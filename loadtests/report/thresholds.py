"""Pass/fail thresholds on a load report, so a CI job can fail (k6's idea, in the report's terms).

An expression is `NAME OP VALUE`: OP one of `<`, `<=`, `>`, `>=`, `=`; VALUE a number with an
optional unit: `%` for shares, `ms`, `s`, `min`, `h` for times (seconds otherwise). Names:

- counts: `offered`, `sent`, `dropped`, `failed`, `answered`, `stale_connections`, and
  `cause.<name>` (failed deliveries by cause, e.g. `cause.connection_refused=0`);
- shares of the offered messages: `failed_share` (not answered: failed or dropped),
  `dropped_share`, `answered_within_<time>` (e.g. `answered_within_15min`);
- times over the offered messages, a message never answered counting as infinitely late:
  `fan_p50`, `fan_p90`, `fan_p99`, `fan_p999`, `fan_max` (intended time -> answer); over the
  deliveries: `server_p50` ... `server_max` (request written -> response), and the generator's
  delay `generator_p50` ... `generator_max` (intended -> started); with the customer-service
  stub, `answer_p50` ... `answer_max`: intended -> the first answer the fan received (a passive
  reply or the API), and `answered_within_<time>` counts those answers.

Times are wall seconds, as measured (a speed-up compresses arrivals, not the platform's
deadline). A figure the run could not measure (nothing offered) crosses its threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["Threshold", "crossed", "figure", "parse_threshold"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
    "=": lambda a, b: a == b,
}
_UNITS = {"%": 0.01, "ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "": 1.0}
_EXPR = re.compile(
    r"^\s*([a-z_][a-z0-9_.]*)\s*(<=|>=|==|<|>|=)\s*([0-9.eE+-]+)\s*(%|ms|s|min|h)?\s*$"
)
_DURATION = re.compile(r"^([0-9.]+)(ms|s|min|h)$")
_COUNTS = ("offered", "sent", "dropped", "failed", "answered", "stale_connections")
_QUANTILES = ("p50", "p90", "p99", "p999", "max")
_FAMILIES = {"fan": "fan_latency_ms", "server": "server_latency_ms",
             "generator": "generator_delay_ms", "answer": "first_answer_ms"}  # fmt: skip
RULE = (
    "must be NAME OP VALUE, e.g. failed_share<0.1% or fan_p99<5s "
    "(OP: < <= > >= =; units: % ms s min h)"
)


@dataclass(frozen=True)
class Threshold:
    """One parsed expression."""

    text: str
    name: str
    op: str
    value: float  # in the figure's unit: seconds, a share (0-1) or a count


def _known(name: str) -> bool:
    if name in _COUNTS or name in ("failed_share", "dropped_share"):
        return True
    if name.startswith("cause.") and len(name) > len("cause."):
        return True
    if name.startswith("answered_within_"):
        return _DURATION.match(name.removeprefix("answered_within_")) is not None
    family, _, q = name.partition("_")
    return family in _FAMILIES and q in _QUANTILES


def parse_threshold(text: str) -> Threshold:
    """Parse one expression; ValueError (naming the rule) when it is not one."""
    m = _EXPR.match(text)
    if m is None:
        raise ValueError(RULE)
    name, op, number, unit = m.group(1), m.group(2), m.group(3), m.group(4) or ""
    if not _known(name):
        raise ValueError(f"unknown figure {name!r}; see `fansim loadreport --help`")
    try:
        value = float(number) * _UNITS[unit]
    except ValueError:
        raise ValueError(RULE) from None
    return Threshold(text.strip(), name, op, value)


def _seconds(duration: str) -> float:
    m = _DURATION.match(duration)
    assert m is not None  # checked by parse_threshold
    return float(m.group(1)) * _UNITS[m.group(2)]


def _ms(value: Any) -> float | None:
    if value is None:
        return None
    return math.inf if value == "inf" else float(value) / 1000


def figure(report: dict[str, Any], name: str, fan: NDArray[np.float64]) -> float | None:
    """The report's value of a threshold's figure (seconds, share or count), None if unknown.

    `fan`: each offered message's latency from intended time to answer (inf: not answered).
    """
    offered = report["offered"]
    if name == "answered":
        return float(report["answered_in_time"] + report["answered_after_retry"])
    if name == "stale_connections":
        return float(report["attribution"]["stale_connections"])
    if name in _COUNTS:
        return float(report[name])
    if name.startswith("cause."):
        return float(report["attribution"]["failure_causes"].get(name.removeprefix("cause."), 0))
    if name in ("failed_share", "dropped_share"):
        return None if not offered else float(report[name])
    if name.startswith("answered_within_"):
        within = _seconds(name.removeprefix("answered_within_"))
        return None if not offered else float((fan <= within).sum()) / offered
    family, _, q = name.partition("_")
    values = report["attribution"].get(_FAMILIES[family])
    return None if values is None else _ms(values[q])


def crossed(
    report: dict[str, Any], thresholds: list[Threshold], fan: NDArray[np.float64]
) -> list[str]:
    """A line per threshold the report crosses (empty: all hold); `fan` as in `figure`."""
    out = []
    for t in thresholds:
        value = figure(report, t.name, fan)
        if value is None:
            out.append(f"threshold crossed: {t.text} (not measured in this run)")
        elif not _OPS[t.op](value, t.value):
            out.append(f"threshold crossed: {t.text} (measured {value:g})")
    return out
