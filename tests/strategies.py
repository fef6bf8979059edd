"""Shared hypothesis strategies: small queue instances and rosters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from numpy.typing import NDArray


@dataclass(frozen=True)
class Instance:
    arrival: NDArray[np.float64]
    priority: NDArray[np.int64]
    handle: NDArray[np.float64]
    deadline: NDArray[np.float64]
    times: tuple[float, ...]
    levels: tuple[int, ...]


@st.composite
def instances(
    draw: st.DrawFn,
    max_n: int = 250,
    priorities: int = 3,
    abandon: bool = True,
    roster_changes: bool = True,
) -> Instance:
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(1, 5))
    load = draw(st.floats(0.3, 1.5))
    arrival = np.cumsum(rng.exponential(1.0 / (c * load), n))
    priority = rng.integers(0, priorities, n)
    handle = rng.exponential(1.0, n)
    if abandon:
        share_patient = draw(st.floats(0.0, 1.0))
        patience = np.where(rng.random(n) < share_patient, np.inf, rng.exponential(2.0, n))
    else:
        patience = np.full(n, np.inf)
    times: tuple[float, ...] = (0.0,)
    levels: tuple[int, ...] = (c,)
    if roster_changes:
        k = draw(st.integers(0, 6))
        cuts = np.sort(rng.uniform(0.1, float(arrival[-1]) + 1.0, k)).round(3)
        times = (0.0, *dict.fromkeys(float(x) for x in cuts if x > 0))
        levels = (c, *(int(v) for v in rng.integers(0, 6, len(times) - 1)))
    return Instance(arrival, priority, handle, arrival + patience, times, levels)
