"""Where runs execute: in this process, in local worker processes, or on a Dask cluster.

Every executor takes a picklable top-level function and a list of jobs and yields
`(index, result)` pairs as jobs finish, in whatever order they finish. Results never depend on
the executor: a job carries its whole `RunSpec` (scenario, root seed, replication), so the same
jobs give the same results in any process on any machine. Callers that need the input order use
`run_ordered`.

Dask is an optional extra (`pip install fansim[dask]`) and is imported only when a scheduler
address is given.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from types import TracebackType
from typing import Any, Protocol, TypeVar

from sim.errors import OptionError, Problem
from sim.experiments.allocator import TunedAllocator

__all__ = [
    "DaskExecutor",
    "Executor",
    "ProcessExecutor",
    "SerialExecutor",
    "default_workers",
    "make_executor",
    "run_ordered",
]

J = TypeVar("J")
R = TypeVar("R")
Progress = Callable[[int, int], None]
"""`progress(done, total)`: called after each finished job."""


class Executor(Protocol):
    """Runs jobs; a context manager that releases its workers on exit."""

    @property
    def parallelism(self) -> int:
        """How many jobs run at once (batch sizes of sequential rules use it)."""
        ...

    def imap_unordered(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[int, R]]:
        """Yield `(index into jobs, result)` as each job finishes."""
        ...

    def __enter__(self) -> Executor: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class SerialExecutor:
    """One job after another in this process: the reference the others must match."""

    parallelism = 1

    def imap_unordered(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[int, R]]:
        """Yield results in input order (finishing order is input order here)."""
        for i, job in enumerate(jobs):
            yield i, fn(job)

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _ignore_sigint() -> None:
    """Worker initialiser: Ctrl-C is the parent's to handle (it keeps the finished rows)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor:
    """Local worker processes; at most `workers` jobs in flight, so Ctrl-C loses little."""

    def __init__(self, workers: int) -> None:
        self.parallelism = workers
        self._pool: ProcessPoolExecutor | None = None

    def imap_unordered(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[int, R]]:
        """Submit a job whenever one finishes, so cancelling leaves no queue behind."""
        if self._pool is None:
            raise RuntimeError("use ProcessExecutor as a context manager")
        pending: dict[Future[R], int] = {}
        todo = iter(enumerate(jobs))
        for i, job in todo:
            pending[self._pool.submit(fn, job)] = i
            if len(pending) >= 2 * self.parallelism:
                break
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=pending.__getitem__):
                i = pending.pop(future)
                yield i, future.result()
                nxt = next(todo, None)
                if nxt is not None:
                    pending[self._pool.submit(fn, nxt[1])] = nxt[0]

    def __enter__(self) -> ProcessExecutor:
        self._pool = ProcessPoolExecutor(self.parallelism, initializer=_ignore_sigint)
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self._pool is not None:
            # on an interrupt, drop queued jobs and do not wait for the running ones
            interrupted = kind is not None
            self._pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
            self._pool = None


class DaskExecutor:
    """A Dask distributed cluster at `address` (e.g. tcp://10.0.0.5:8786), or a given client.

    Workers need fansim installed (the same version): jobs carry resolved scenarios, never file
    paths, so no scenario file has to exist on the workers.
    """

    def __init__(self, address: str | None = None, client: Any = None) -> None:
        if (address is None) == (client is None):
            raise ValueError("give exactly one of a scheduler address or a client")
        self._address = address
        self._client: Any = client
        self._own_client = client is None

    @property
    def parallelism(self) -> int:
        """Threads across the cluster's workers (at least 1)."""
        return max(1, sum(int(n) for n in self._client.nthreads().values()))

    def imap_unordered(self, fn: Callable[[J], R], jobs: Sequence[J]) -> Iterator[tuple[int, R]]:
        """Submit every job (pure=False: each is its own task), yield as they complete."""
        from distributed import as_completed

        tuned = TunedAllocator(fn)  # Dask's nanny turns glibc's dynamic thresholds off
        futures = [self._client.submit(tuned, job, pure=False) for job in jobs]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                yield index[future.key], future.result()
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def __enter__(self) -> DaskExecutor:
        if self._own_client:
            try:
                from distributed import Client
            except ImportError:
                raise OptionError(
                    [
                        Problem(
                            "--scheduler",
                            "needs Dask distributed: pip install 'fansim[dask]'",
                            self._address,
                            True,
                        )
                    ]
                ) from None
            try:
                self._client = Client(self._address, timeout="10s")  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise OptionError(
                    [
                        Problem(
                            "--scheduler",
                            f"cannot reach the scheduler ({exc})",
                            self._address,
                            True,
                        )
                    ]
                ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own_client and self._client is not None:
            self._client.close()
            self._client = None


def make_executor(workers: int | None = None, scheduler: str | None = None) -> Executor:
    """Dask when a scheduler is given, else processes for `workers` > 1, else serial.

    `workers=None` means all cores.
    """
    if scheduler is not None:
        return DaskExecutor(scheduler)
    n = default_workers() if workers is None else workers
    if n <= 1:
        return SerialExecutor()
    return ProcessExecutor(n)


def run_ordered(
    executor: Executor,
    fn: Callable[[J], R],
    jobs: Sequence[J],
    progress: Progress | None = None,
) -> list[R]:
    """Results in input order, reporting progress as jobs finish."""
    out: dict[int, R] = {}
    for i, result in executor.imap_unordered(fn, jobs):
        out[i] = result
        if progress is not None:
            progress(len(out), len(jobs))
    return [out[i] for i in range(len(jobs))]
