"""Scalar field types of the schema and the bounds of what a scenario may say.

TOML gives real types (integers, floats, booleans, dates), so numbers and flags are strict:
`back_end = "yes"` or `agents = true` is a mistake to report, not to coerce. Floats are finite
(`inf` and `nan` are rejected; integers are accepted where floats go). Every number has an upper
bound far beyond what a real planner needs, so an absurd value (a horizon of centuries, a
handle time of years, 10**30 fans) is refused with the rule instead of exhausting memory or time.
Date-times are local time, without a time-zone offset: a scenario has one local clock, and an
offset would make campaign windows ambiguous. The bounds are in docs/scenario-reference.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    AllowInfNan,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    Strict,
)
from pydantic_core import core_schema

__all__ = [
    "DAY_MINUTES",
    "DAY_SECONDS",
    "EARLIEST",
    "LATEST",
    "MAX_AGENTS",
    "MAX_CV",
    "MAX_DAYS",
    "MAX_FANS",
    "MAX_INSTANCES",
    "MAX_ITEMS",
    "MAX_MEASUREMENTS",
    "MAX_MESSAGES_PER_FAN",
    "MAX_NAME",
    "MAX_NEW_FANS_PER_PARTICIPANT",
    "MAX_POSTS_PER_WEEK",
    "MAX_PUSHES_PER_WEEK",
    "MAX_QUEUE_LIMIT",
    "MAX_SEED",
    "MAX_SENSITIVITY",
    "MAX_SERVICE_SECONDS",
    "MAX_TARGET_MINUTES",
    "MAX_TEXT",
    "MAX_WEIGHT",
    "MAX_WORKERS",
    "ClockEnd",
    "ClockTime",
    "Date",
    "Flag",
    "Frozen",
    "LocalDateTime",
    "Name",
    "Probability",
    "Real",
    "Rule",
    "Text",
    "Whole",
]

MAX_DAYS = 3_660
"""Longest horizon: ten years (start and end day included)."""
MAX_FANS = 2_000_000_000
"""Largest fan count or pool: about the number of people on the largest social networks."""
MAX_AGENTS = 100_000
"""Most agents on duty at once."""
MAX_TARGET_MINUTES = 43_200.0
"""Longest handle time, patience or SLA target: 30 days, in minutes."""
MAX_SERVICE_SECONDS = 3_600.0
"""Longest server service time, deadline or acknowledgement: one hour, in seconds."""
MAX_NAME = 200
"""Longest name, label or keyword, in characters."""
MAX_TEXT = 5_000
"""Longest free text (descriptions, notes), in characters."""
MAX_ITEMS = 1_000
"""Most message classes, channels, campaigns, phases or shifts in one scenario."""
MAX_SEED = 2**63 - 1
"""Largest root seed: what a signed 64-bit integer holds."""
MAX_CV = 10.0
"""Largest coefficient of variation of a duration."""
MAX_MEASUREMENTS = 1_000_000
"""Most values of an empirical distribution."""
MAX_MESSAGES_PER_FAN = 1_000.0
"""Most messages (or referral contacts) per fan per day, or per campaign participant."""
MAX_NEW_FANS_PER_PARTICIPANT = 1_000.0
"""Most people who follow to take part in a campaign, per participating fan."""
MAX_WEIGHT = 1e6
"""Largest relative weight of one hour in the hourly profile."""
MAX_POSTS_PER_WEEK = 10_000.0
"""Most posts per week a channel's exposure may assume."""
MAX_PUSHES_PER_WEEK = 100.0
"""Most broadcast pushes per week (policy included)."""
MAX_SENSITIVITY = 100.0
"""Largest exponent of the service-quality feedback on conversion."""
MAX_INSTANCES = 1_000
"""Most back-end server instances."""
MAX_WORKERS = 1_000
"""Most workers (or background workers) per server instance."""
MAX_QUEUE_LIMIT = 1_000_000
"""Most waiting requests per server instance."""
DAY_MINUTES = 1_440.0
DAY_SECONDS = 86_400.0
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


class Frozen(BaseModel):
    """Base of every scenario table: unknown keys are errors, values never change after load."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Rule:
    """A check pydantic runs after the type's own; `text` is shown in the scenario reference."""

    text: str
    check: Callable[[Any], Any]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


Real = Annotated[float, Strict(), AllowInfNan(False)]
"""A finite number; an integer is accepted, a boolean or a string is not."""
Whole = Annotated[int, Strict()]
"""An integer; a float (even 3.0), a boolean or a string is not."""
Flag = Annotated[bool, Strict()]
"""`true` or `false`; not a string ("yes") and not a number."""
Probability = Annotated[Real, Field(ge=0, le=1)]
"""A probability or a share: between 0 and 1."""
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
"""A non-empty name or label of at most `MAX_NAME` characters."""
Text = Annotated[str, Field(max_length=MAX_TEXT)]
"""Free text of at most `MAX_TEXT` characters."""


def _not_a_number(value: Any) -> Any:
    """Pydantic reads numbers as Unix times in date fields; a scenario never means that."""
    if isinstance(value, bool | int | float):
        raise ValueError("must be an ISO date or date-time, not a number")
    return value


def _a_date(value: Any) -> Any:
    """A date field given a date-time would silently drop its time (and any offset)."""
    if isinstance(value, dt.datetime):
        lost = "time and time-zone offset" if value.tzinfo is not None else "time"
        raise ValueError(
            f"must be a date such as {value.date()}, not a date-time (its {lost} would be lost)"
        )
    if isinstance(value, str) and ("T" in value or " " in value.strip()):
        raise ValueError("must be a date such as 2013-04-10, not a date-time")
    return _not_a_number(value)


def _end_of_day(value: Any) -> Any:
    """`24:00` closes a day: the same clock time as `00:00` (midnight), which an end means."""
    if isinstance(value, str) and value.strip() in ("24:00", "24:00:00"):
        return dt.time(0, 0)
    return value


def _in_range(value: dt.date) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")


def _local_date(value: dt.date) -> dt.date:
    _in_range(value)
    return value


def _local_datetime(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        raise ValueError(
            "must be local time without an offset (e.g. 2013-04-09T14:00:00); "
            "convert it to the scenario's local clock"
        )
    _in_range(value)
    return value


def _local_time(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("must be a local clock time without an offset (e.g. 08:30)")
    return value


_RANGE = f"{EARLIEST}..{LATEST}"
Date = Annotated[dt.date, BeforeValidator(_a_date), Rule(f"within {_RANGE}", _local_date)]
"""An ISO date within `EARLIEST`..`LATEST`."""
LocalDateTime = Annotated[
    dt.datetime,
    BeforeValidator(_not_a_number),
    Rule(f"local time, no offset; within {_RANGE}", _local_datetime),
]
"""An ISO date-time in the scenario's local time: an offset (`+08:00`, `Z`) is rejected."""
ClockTime = Annotated[
    dt.time, BeforeValidator(_not_a_number), Rule("local, no offset", _local_time)
]
"""A clock time (HH:MM) without an offset."""
ClockEnd = Annotated[
    dt.time,
    BeforeValidator(_end_of_day),
    BeforeValidator(_not_a_number),
    Rule("local, no offset; 24:00 = 00:00, the end of the day", _local_time),
]
"""A clock time that ends something: `24:00` is accepted for midnight at the day's end."""
