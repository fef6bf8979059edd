"""Progress of long commands, one system for all: a rich bar on a terminal, plain lines in logs.

Every long command (run, profile, calibrate, staff, size-servers, replications, compare,
sweep) reports `progress(done, total, note="")`. Short work shows nothing (the first report
waits `after_seconds`). On a terminal rich draws one bar with the count, the note, the elapsed
time and the time remaining; in a log (not a terminal) a plain line goes out at most every
`every_seconds` with the same figures, so a CI log gets a handful of lines, not a redraw each
step. Use it as a context manager so the bar is closed (and the line ended) whatever happens.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Self, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bar

__all__ = ["Progress"]


def _seconds(s: float) -> str:
    return f"{s:.0f} s" if s < 120 else f"{s / 60:.0f} min"


class Progress:
    """`progress(done, total, note="")` callback; the unit (`day`, `run`, ...) names the count.

    With `resumes`, the first report's `done` counts as finished before the clock started
    (resumed rows of a sweep): the time remaining is estimated from this session's work only.
    """

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        after_seconds: float = 2.0,
        every_seconds: float = 5.0,
        unit: str = "day",
        resumes: bool = False,
    ) -> None:
        self._label = label
        self._unit = unit
        self._stream = stream or sys.stderr
        self._t0 = time.monotonic()
        self._after = after_seconds
        self._every = every_seconds
        self._resumes = resumes
        self._base: int | None = None
        self._last = float("-inf")  # the first line goes out as soon as it is due
        self._bar: Bar | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int, note: str = "") -> None:
        """`done` of `total` units finished; `note` says what is under way."""
        if self._base is None:
            self._base = done if self._resumes else 0
        now = time.monotonic() - self._t0
        if now < self._after:
            return
        if self._stream.isatty():
            self._draw(done, total, note)
        elif now - self._last >= self._every or done == total:
            self._line(done, total, note, now)
            self._last = now

    def _draw(self, done: int, total: int, note: str) -> None:
        base = self._base or 0
        if self._bar is None:
            self._bar = Bar(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(self._unit + "s" + (f" ({base} resumed)" if base else "")),
                TextColumn("{task.fields[note]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(file=self._stream),
                auto_refresh=False,  # no drawing thread: the bar moves when work is done
            )
            self._bar.start()
            self._task = self._bar.add_task(self._label, total=total - base, note="")
        assert self._task is not None
        self._bar.update(self._task, completed=done - base, total=total - base, note=note)
        self._bar.refresh()
        if done == total:
            self.close()

    def _line(self, done: int, total: int, note: str, now: float) -> None:
        base = self._base or 0
        eta = ""
        if done > base and done < total:
            eta = f", ETA {_seconds(now / (done - base) * (total - done))}"
        more = f", {note}" if note else ""
        self._stream.write(
            f"{self._label}: {self._unit} {done}/{total}{more} ({_seconds(now)}{eta})\n"
        )
        self._stream.flush()

    def close(self) -> None:
        """End the bar (its line stays on the terminal); safe to call twice."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
