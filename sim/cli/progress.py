"""Progress for long runs: silent for short ones, a bar on a terminal, plain lines in logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["DayProgress"]


class DayProgress:
    """Reports units done (simulated days, runs), once work has taken over `after_seconds`."""

    def __init__(
        self,
        label: str,
        stream: TextIO | None = None,
        after_seconds: float = 2.0,
        every_seconds: float = 5.0,
        unit: str = "day",
    ) -> None:
        self._label = label
        self._unit = unit
        self._stream = stream or sys.stderr
        self._t0 = time.monotonic()
        self._after = after_seconds
        self._every = every_seconds
        self._last = float("-inf")  # the first report goes out as soon as it is due
        self._tty = self._stream.isatty()
        self._shown = False

    def __call__(self, done: int, total: int, note: str = "") -> None:
        """Callback for the model: `done` of `total` simulated days finished; `note` says more."""
        now = time.monotonic() - self._t0
        if now < self._after:
            return
        if self._tty:
            width = 30
            fill = int(width * done / total)
            self._stream.write(
                f"\r{self._label}: [{'#' * fill}{'.' * (width - fill)}] {self._unit} "
                f"{done}/{total}{', ' + note if note else ''} ({now:.0f} s)\x1b[K"
            )
            self._shown = True
            if done == total:
                self._stream.write("\n")
        elif now - self._last >= self._every or done == total:
            more = f", {note}" if note else ""
            self._stream.write(f"{self._label}: {self._unit} {done}/{total}{more} ({now:.0f} s)\n")
            self._last = now
        self._stream.flush()
