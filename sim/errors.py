"""The one error root users see (`FansimError`), its kinds, and the problems they carry.

Every rejected input becomes a `Problem` naming the dotted path (or the option), the value and the
rule, so a planner can fix a scenario file or a command line in one pass instead of one error at a
time. `ScenarioError` is for scenarios (files, overrides, API calls); `OptionError` for command-line
options and a server's configuration, which are not scenarios. The CLI turns either into exit 2.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = ["MAX_SHOWN", "FansimError", "OptionError", "Problem", "ScenarioError"]

MAX_SHOWN = 50
"""Problems listed in the message; a generated file can have a million, the rest are counted."""
MAX_VALUE_CHARS = 120
"""Longest value shown in a problem; longer ones are cut with an ellipsis."""


def _shown(value: object) -> str:
    """`repr(value)`, safe for huge integers (Python refuses to print > 4,300 digits) and cut.

    Dates and times show in ISO form, as a scenario writes them (`2013-04-09T14:00:00+08:00`).
    """
    try:
        text = value.isoformat() if isinstance(value, dt.date | dt.time) else repr(value)
    except ValueError:
        bits = value.bit_length() if isinstance(value, int) else 0
        text = f"an integer of {bits:,} bits"
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 3] + "..."
    return text


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was given, which rule it breaks."""

    path: str
    message: str
    value: object = None
    has_value: bool = False

    def __str__(self) -> str:
        shown = f" (got {_shown(self.value)})" if self.has_value else ""
        where = self.path or "<scenario>"
        return f"{where}: {self.message}{shown}"


class FansimError(ValueError):
    """Input breaks one or more rules; all are listed (the root of fansim's user errors)."""

    def __init__(self, problems: list[Problem], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        count = len(self.problems)
        lines = [f"{head}{count} problem{'s' if count != 1 else ''}"]
        lines += [f"  - {p}" for p in self.problems[:MAX_SHOWN]]
        if count > MAX_SHOWN:
            lines.append(f"  ... and {count - MAX_SHOWN:,} more (`problems` holds them all)")
        self.message = "\n".join(lines)
        # args rebuild the error: SimPy re-raises a process's exception as type(exc)(*exc.args)
        super().__init__(self.problems, source)

    def __str__(self) -> str:
        return self.message


class ScenarioError(FansimError):
    """A scenario (file, override or API call) breaks one or more rules; all are listed."""


class OptionError(FansimError):
    """A command-line option or a server's configuration breaks one or more rules."""
