"""Run jobs on an executor into a resumable table: the loop every experiment shares.

Jobs whose rows are already in the table are skipped; every row is journalled as it finishes;
the table is written when the loop ends for any reason (Ctrl-C included), so what finished is
never lost and a rerun computes only what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.experiments.executors import Executor, Progress
from sim.experiments.rows import Row, run_row
from sim.experiments.specs import Job
from sim.experiments.table import ResumableTable

__all__ = ["run_jobs"]


def run_jobs(
    jobs: Sequence[Job],
    executor: Executor,
    table: ResumableTable,
    progress: Progress | None = None,
) -> list[Row]:
    """Rows of `jobs` in job order, computing only those the table does not hold."""
    todo = [j for j in jobs if table.get(j) is None]
    done = len(jobs) - len(todo)
    try:
        if progress is not None:
            progress(done, len(jobs))
        for i, row in executor.imap_unordered(run_row, todo):
            table.add(todo[i], row)
            done += 1
            if progress is not None:
                progress(done, len(jobs))
    finally:
        table.write(jobs)
    rows = [table.get(j) for j in jobs]
    return [r for r in rows if r is not None]
