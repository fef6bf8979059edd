"""The garbage collector's settings of a serving worker, shared by the back end and the hello-world.

A worker's startup objects live as long as it does, and a request makes few reference cycles.
With the defaults, full collections rescan the whole startup heap and pause the event loop for
tens of milliseconds (the p99 of an open loop at 80% of the maximum showed them: 76 ms before,
17-24 ms after), and young collections run every 700 allocations for little to collect. So
once started, a worker freezes what it has and collects the youngest generation every 20,000
allocations. The hello-world ceiling gets the same settings, so the benchmark's ratio stays
the cost of the back end's own work.
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "settle_heap"]

THRESHOLDS = (20_000, 10, 10)


def settle_heap() -> None:
    """Collect once, move every surviving object out of the collector's reach, raise thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
