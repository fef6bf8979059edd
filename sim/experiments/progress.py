"""A progress bar with ETA for many runs (rich): runs done of total, elapsed and remaining time.

On a terminal it redraws in place; in a log (not a terminal) rich prints nothing until the end,
so logs stay small. Resumed rows count as done from the start, and the ETA is estimated from the
runs of this session.
"""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["RunProgress"]


class RunProgress:
    """`progress(done, total)` callback drawing a bar; use as a context manager."""

    def __init__(self, label: str, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("runs"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._label = label
        self._task: TaskID | None = None
        self._resumed: int | None = None

    def __call__(self, done: int, total: int) -> None:
        """Record that `done` of `total` runs have finished."""
        if self._task is None:
            # resumed rows are done before the clock starts: the ETA counts only new runs
            self._resumed = done
            label = f"{self._label} ({done} resumed)" if done else self._label
            self._task = self._progress.add_task(label, total=total - done)
        resumed = self._resumed or 0
        self._progress.update(self._task, completed=done - resumed, total=total - resumed)

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()
