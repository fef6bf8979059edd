"""Campaign message bursts as pure functions of time.

A live quiz ("reply GO to join; a phone every 10 minutes") sends an opening burst when it starts
and a spike at every round. Each spike is a difference of exponentials: it rises over
`rise_seconds` and decays over `decay_seconds`, and integrates to one, so a spike of weight A
brings A messages. `rate_at(t)` is a pure function: the simulator integrates it to sample
arrivals, the load tests read it to pace requests, and tests check it without running anything.
Times are seconds from the start of the scenario's first day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["BurstSchedule"]

F64 = NDArray[np.float64]


@dataclass(frozen=True)
class BurstSchedule:
    """Spikes at `times` (s) carrying `weights` messages each, with one rise/decay shape."""

    times: tuple[float, ...]
    weights: tuple[float, ...]
    rise_seconds: float
    decay_seconds: float

    def __post_init__(self) -> None:
        if len(self.times) != len(self.weights):
            raise ValueError("times and weights must pair one-to-one")
        if not 0 < self.rise_seconds < self.decay_seconds:
            raise ValueError(
                f"rise_seconds(={self.rise_seconds}) must be > 0 and < "
                f"decay_seconds(={self.decay_seconds})"
            )
        if any(w < 0 for w in self.weights):
            raise ValueError("weights must be >= 0")

    @classmethod
    def rounds(
        cls,
        start: float,
        end: float,
        total: float,
        every_seconds: float | None,
        first_share: float,
        rise_seconds: float,
        decay_seconds: float,
    ) -> BurstSchedule:
        """An opening spike with `first_share` of `total`, the rest spread over rounds."""
        rounds = (
            []
            if every_seconds is None
            else list(np.arange(start + every_seconds, end, every_seconds))
        )
        if not rounds:
            return cls((start,), (total,), rise_seconds, decay_seconds)
        rest = total * (1 - first_share) / len(rounds)
        return cls(
            (start, *(float(t) for t in rounds)),
            (total * first_share, *([rest] * len(rounds))),
            rise_seconds,
            decay_seconds,
        )

    @property
    def total(self) -> float:
        """Messages over all time."""
        return float(sum(self.weights))

    def _kernel_integral(self, x: F64) -> F64:
        """Integral of the unit spike from 0 to x (x may be negative: 0)."""
        r, d = self.rise_seconds, self.decay_seconds
        x = np.maximum(x, 0.0)
        return (d * -np.expm1(-x / d) - r * -np.expm1(-x / r)) / (d - r)

    def rate_at(self, t: ArrayLike) -> F64:
        """Expected messages per second at time(s) `t`."""
        tt = np.asarray(t, np.float64)
        r, d = self.rise_seconds, self.decay_seconds
        out = np.zeros(tt.shape)
        for when, weight in zip(self.times, self.weights, strict=True):  # memory O(len(t))
            x = np.maximum(tt - when, 0.0)
            out += np.where(tt >= when, weight * (np.exp(-x / d) - np.exp(-x / r)) / (d - r), 0.0)
        return out

    def expected(self, t0: ArrayLike, t1: ArrayLike) -> F64:
        """Expected messages in [t0, t1), exactly (the integral of `rate_at`).

        Spike by spike, so memory stays O(len(t0)) however many rounds a campaign has (a
        spikes x seconds array took 1.9 GB for a day of rounds every minute).
        """
        a = np.asarray(t0, np.float64)
        b = np.asarray(t1, np.float64)
        out = np.zeros(np.broadcast_shapes(a.shape, b.shape))
        for when, weight in zip(self.times, self.weights, strict=True):
            out += weight * (self._kernel_integral(b - when) - self._kernel_integral(a - when))
        return out

    def peak(self) -> tuple[float, float]:
        """(time, rate) of the highest instantaneous rate, found on a 1-second grid."""
        if not self.times:
            return (0.0, 0.0)
        grid = np.arange(min(self.times), max(self.times) + 10 * self.decay_seconds, 1.0)
        rates = self.rate_at(grid)
        k = int(np.argmax(rates))
        return float(grid[k]), float(rates[k])
