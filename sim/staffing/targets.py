"""Planners' targets as typed values: "80% within 15 min", "5%", "5s".

Parsing lives here (not in the CLI) so the API and the command line accept the same text and
reject it with the same message: the option, the value and the rule, as an `OptionError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sim.errors import OptionError, Problem

__all__ = [
    "OpenHours",
    "Policy",
    "ServiceTarget",
    "parse_duration_seconds",
    "parse_open_hours",
    "parse_share",
    "parse_target",
]

_UNITS_MINUTES = {"s": 1 / 60, "m": 1.0, "h": 60.0}
_TARGET = re.compile(
    r"^\s*(?P<level>\d+(?:\.\d+)?)\s*%\s*(?:within|in)\s*(?P<time>\d+(?:\.\d+)?)\s*"
    r"(?P<unit>s|secs?|seconds?|m|mins?|minutes?|h|hours?)\s*$",
    re.IGNORECASE,
)
_DURATION = re.compile(r"^\s*(?P<v>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|secs?|seconds?)?\s*$")


def _bad(option: str, rule: str, value: str) -> OptionError:
    return OptionError([Problem(option, rule, value, True)])


@dataclass(frozen=True)
class ServiceTarget:
    """A share `level` of messages picked up within `minutes` of arriving."""

    level: float
    minutes: float

    def __str__(self) -> str:
        return f"{self.level:.0%} within {self.minutes:g} min"


@dataclass(frozen=True)
class Policy:
    """What a staffing plan must achieve, and the planner's caps.

    `max_abandon`: highest share of an interval's messages that may go unanswered (None: no cap);
    `shrinkage`: share of paid time off the phones (breaks, training, absence);
    `max_occupancy`: highest share of on-phone time an agent may be busy (None: no cap).
    """

    target: ServiceTarget
    max_abandon: float | None = None
    shrinkage: float = 0.0
    max_occupancy: float | None = None

    def __post_init__(self) -> None:
        if not 0 < self.target.level < 1 or self.target.minutes < 0:
            raise ValueError(f"target({self.target}) must be a level in (0, 1) and minutes >= 0")
        if self.max_abandon is not None and not 0 <= self.max_abandon < 1:
            raise ValueError(f"max_abandon(={self.max_abandon}) must be in [0, 1)")
        if not 0 <= self.shrinkage < 1:
            raise ValueError(f"shrinkage(={self.shrinkage}) must be in [0, 1)")
        if self.max_occupancy is not None and not 0 < self.max_occupancy <= 1:
            raise ValueError(f"max_occupancy(={self.max_occupancy}) must be in (0, 1]")


def parse_target(text: str, option: str = "--target") -> ServiceTarget:
    """Parse "80% within 15 min" (also "80 % in 900 s", "95% within 1 h")."""
    m = _TARGET.match(text)
    if m is None:
        raise _bad(
            option,
            'must read like "80% within 15 min" (a percentage, "within", a '
            "time with a unit s, min or h)",
            text,
        )
    level = float(m["level"]) / 100.0
    if not 0 < level < 1:
        raise _bad(option, "the percentage must be above 0% and below 100%", text)
    minutes = float(m["time"]) * _UNITS_MINUTES[m["unit"][0].lower()]
    return ServiceTarget(level, minutes)


def parse_share(text: str, option: str, upper: float = 1.0, inclusive: bool = False) -> float:
    """Parse "5%" or "0.05" into 0.05; it must lie in [0, upper) (or [0, upper] if inclusive)."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100.0 if t.endswith("%") else float(t)
    except ValueError:
        raise _bad(option, 'must be a percentage like "5%" or a fraction like 0.05', text) from None
    if not t.endswith("%") and value > 1:
        raise _bad(option, f'a bare number is a fraction; did you mean "{t}%"?', text)
    ok = 0 <= value <= upper if inclusive else 0 <= value < upper
    if not ok:
        bound = f"<= {upper:.0%}" if inclusive else f"< {upper:.0%}"
        raise _bad(option, f"must be >= 0% and {bound}", text)
    return value


def parse_duration_seconds(text: str, option: str) -> float:
    """Parse "5s", "500ms" or "5" (seconds) into seconds > 0."""
    m = _DURATION.match(text)
    if m is None:
        raise _bad(option, 'must be a duration like "5s" or "500ms"', text)
    value = float(m["v"]) / (1000.0 if m["unit"] == "ms" else 1.0)
    if value <= 0:
        raise _bad(option, "must be > 0", text)
    return value


@dataclass(frozen=True)
class OpenHours:
    """Daily opening hours [start, end) in minutes of the day; end may pass midnight."""

    start: float
    end: float

    def closed(self, interval_minutes: float, intervals: int) -> tuple[int, ...]:
        """Intervals (of every day) whose start lies outside the opening hours."""
        out = []
        for h in range(intervals):
            m = (h * interval_minutes) % 1440.0
            inside = (
                self.start <= m < self.end
                if self.start < self.end
                else not (self.end <= m < self.start)
            )
            if not inside:
                out.append(h)
        return tuple(out)


def parse_open_hours(text: str, option: str = "--open") -> OpenHours:
    """Parse "08:00-24:00" (opening hours; "22:00-06:00" runs past midnight)."""
    m = re.match(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$", text)
    if m is None:
        raise _bad(option, 'must read like "08:00-24:00" (HH:MM-HH:MM)', text)
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    start, end = h1 * 60.0 + m1, h2 * 60.0 + m2
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2) or start == end:
        raise _bad(option, "needs two different clock times between 00:00 and 24:00", text)
    return OpenHours(start, end)
