"""Give a Dask worker's memory allocator back the thresholds glibc would reach by itself.

Dask's nanny starts workers with `MALLOC_TRIM_THRESHOLD_=65536` (its `pre-spawn-environ`) so
that they hand freed memory back to the system. Setting any of glibc's thresholds turns off its
dynamic mmap threshold, so every array over 128 KiB is mapped and unmapped again: a year of 10M
fans took 3.4M page faults and 7 s of system time per run instead of 33k and 0.1 s, and two
such workers on two cores ran each job 1.5x slower than one process alone (docs/experiments.md).
Fixing the two thresholds at the ceilings glibc's dynamic rule would reach on a 64-bit system
(mapping from 32 MiB, trimming beyond 64 MiB free) restores the unset behaviour's cost while
still returning large frees. Only where the variable is set and the C library is glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping
from typing import Generic, TypeVar

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "TunedAllocator", "tune_allocator"]

J = TypeVar("J")
R = TypeVar("R")

MMAP_THRESHOLD = 32 * 2**20
"""glibc's ceiling for its dynamic mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)."""
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
"""glibc keeps the trim threshold at twice the mmap threshold when it moves it itself."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def tune_allocator(environ: Mapping[str, str] | None = None) -> bool:
    """Fix glibc's thresholds if a `MALLOC_*_THRESHOLD_` variable turned its dynamic rule off.

    Returns True if they were set. Idempotent and cheap, so a job may call it every time.
    """
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return False
    if not any(k in env for k in ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl or another C library: nothing to restore
        return False
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )


class TunedAllocator(Generic[J, R]):
    """`fn` wrapped to tune the allocator first in whatever process runs it (picklable)."""

    def __init__(self, fn: Callable[[J], R]) -> None:
        self.fn = fn

    def __call__(self, job: J) -> R:
        """Run `fn(job)` after tuning this process's allocator."""
        tune_allocator()
        return self.fn(job)
