"""Locust's statistics at sub-millisecond resolution, without stalling the generator.

Locust rounds response times to whole milliseconds (and to tens above 100 ms); the replay keeps 3
significant digits instead (`fine_bucket`), so percentiles resolve below a millisecond. Finer
buckets mean thousands of keys per statistic, and Locust computes every percentile by sorting
all keys again: its CSV writer asks 11 percentiles of every statistic each second, which took
~15 ms of a single-threaded generator per second at 4,000 messages/s (every arrival due in that
time left late). `Percentiles` gives Locust's exact answer from one sort per statistic and state:
the sorted keys and their cumulative counts are kept until the statistic changes, and each
percentile is then a binary search.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

__all__ = ["Percentiles", "fine_bucket"]


def fine_bucket(response_time: float) -> float:
    """Round to 3 significant digits (0.347 ms, 12.3 ms, 4,630 ms): sub-millisecond keys."""
    if response_time <= 0:
        return 0.0
    return round(response_time, 2 - math.floor(math.log10(response_time)))


_Sorted = tuple[Mapping[float, int], int, int, list[float], NDArray[np.int64]]


class Percentiles:
    """A drop-in for `locust.stats.calculate_response_time_percentile`, same results, cached.

    Keyed by the dictionary itself (held while cached, so its id cannot be reused), its number
    of keys and the request count: Locust only adds keys and every logged response raises the
    count, so an unchanged (keys, count) pair means unchanged counts.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._cache: OrderedDict[int, _Sorted] = OrderedDict()

    def _sorted(self, times: Mapping[float, int], n: int) -> _Sorted:
        hit = self._cache.get(id(times))
        if hit is not None and hit[1] == len(times) and hit[2] == n:
            self._cache.move_to_end(id(times))  # least recently used leave first
            return hit
        keys = list(times)
        values = np.fromiter(keys, np.float64, len(keys))
        order = np.argsort(-values, kind="stable")
        counts = np.fromiter(times.values(), np.int64, len(keys))[order]
        entry = (times, len(times), n, [keys[i] for i in order], np.cumsum(counts))
        self._cache[id(times)] = entry
        self._cache.move_to_end(id(times))
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return entry

    def __call__(
        self, response_times: Mapping[float, int], num_requests: int, percent: float
    ) -> float:
        """The largest bucket such that at most `1 - percent` of the requests lie above it.

        As Locust: walk the buckets from the top, return the first whose running count leaves
        at most `int(num_requests * percent)` requests; 0 when there is none.
        """
        if not response_times:
            return 0
        _, _, _, keys, processed = self._sorted(response_times, num_requests)
        need = num_requests - int(num_requests * percent)
        i = int(np.searchsorted(processed, need, side="left"))
        return keys[i] if i < len(keys) else 0
