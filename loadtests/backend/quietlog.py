"""Warnings that repeat at request rate, written at most once per interval with a count.

A full disk fails every callback, an idle flood sheds thousands of connections: a line per
event would flood the log, and when nobody drains stderr (a pipe whose reader is gone or slow)
the write blocks the event loop itself. So each kind of event is logged the first time and
then at most once per `every` seconds, with how many happened since the last line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["QuietLog"]


class QuietLog:
    """Rate-limited warnings by key; `clock` is monotonic seconds (injectable for tests)."""

    def __init__(
        self,
        logger: logging.Logger,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._log = logger
        self._every = every
        self._clock = clock
        self._since: dict[str, int] = {}
        self._last: dict[str, float] = {}

    def warn(self, key: str, message: str) -> bool:
        """Count one `key` event; log `message` with the count if the interval has passed."""
        n = self._since.get(key, 0) + 1
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._every:
            self._since[key] = n
            return False
        self._last[key] = now
        self._since[key] = 0
        times = "" if n == 1 else f" ({n} times since the last such line)"
        self._log.warning("%s%s", message, times)
        return True
