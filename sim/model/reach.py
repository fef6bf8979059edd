"""One reach pool per platform, shared by every campaign's warm-up, promotion and cascade.

People reached on a day stay tired for `reach.memory_days`: within that window a share
`reach.fatigue` of them cannot be reached anew by any campaign on the platform (they were
reached; they do not respond again), so a multi-day event does not re-ignite on people it
already reached, and a campaign soon after another meets a smaller fresh pool. After the window
they count as fresh again. The pool is counted, never simulated per person:

    fresh(t) = size - fatigue x sum of reached(d) for t - memory_days < d <= t

and a campaign can reach at most fresh(t) new people on day t. With fatigue = 1 and a window
longer than a campaign, its total reached never exceeds the pool (a property test checks it).
Days may be negative: a warm-up can start before the run.
"""

from __future__ import annotations

from collections import defaultdict

from sim.scenario.response import ReachSpec

__all__ = ["ReachPools"]


class ReachPools:
    """People reached per platform, day and source (a campaign's announcements or cascade)."""

    def __init__(self, spec: ReachSpec) -> None:
        self.spec = spec
        self._reached: dict[tuple[str, str], defaultdict[int, float]] = {}

    def size(self, platform: str) -> float:
        """People the platform's campaigns can reach."""
        return float(self.spec.weibo_pool if platform == "weibo" else self.spec.wechat_pool)

    def recent(self, platform: str, day: int, source: str | None = None) -> float:
        """People reached within the memory window ending on `day`, by `source` (None: any)."""
        lo = day - self.spec.memory_days
        return float(
            sum(
                n
                for (p, s), by_day in self._reached.items()
                if p == platform and (source is None or s == source)
                for d, n in by_day.items()
                if lo < d <= day
            )
        )

    def fresh(self, platform: str, day: int, besides: str | None = None) -> float:
        """People who can be reached anew on `day`.

        With `besides`, that source's reach tires nobody (a campaign's announcements do not
        tire people for its own cascade).
        """
        recent = self.recent(platform, day)
        if besides is not None:
            recent -= self.recent(platform, day, besides)
        return max(0.0, self.size(platform) - self.spec.fatigue * recent)

    def take(self, platform: str, day: int, reached: float, source: str = "") -> None:
        """Record `reached` people reached on `day` by `source`."""
        if reached > 0:
            self._reached.setdefault((platform, source), defaultdict(float))[day] += reached
