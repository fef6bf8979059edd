"""The harness's own running figures of a replay, kept out of Locust's request statistics.

Locust counts every entry of its statistics as a request: the per-message figures the replay
used to log there (lateness, latency from intended time, outcome) made its totals, RPS and
failure ratio about four times the real traffic. They live here instead: counts per outcome,
drops per reason, failures per cause, stale connections, and the generator's delay, written
as `replay_stats-<i>.csv` beside Locust's CSV and served by the web UI at `/replay/stats`.
Pure (no Locust, no gevent): updated from the replay's greenlets, read at any time.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from loadtests.wechat.delivery import Delivered

__all__ = ["Tally"]


@dataclass
class Tally:
    """Running counts of one worker's replay."""

    outcomes: Counter[str] = field(default_factory=Counter)
    drops: Counter[str] = field(default_factory=Counter)
    causes: Counter[str] = field(default_factory=Counter)
    deliveries: int = 0
    stale: int = 0
    max_delay: float = 0.0  # the generator's worst delay, intended -> started (s)

    def dropped(self, why: str) -> None:
        """An arrival the generator could not start in time."""
        self.outcomes["dropped"] += 1
        self.drops[why] += 1

    def delivered(self, result: Delivered, delay: float) -> None:
        """A message that went through the platform's rules; `delay` before its first send."""
        self.outcomes[result.outcome] += 1
        self.deliveries += len(result.attempts)
        for a in result.attempts:
            self.stale += a.stale
            if a.cause:
                self.causes[a.cause] += 1
        self.max_delay = max(self.max_delay, delay)

    def rows(self) -> list[tuple[str, str, float]]:
        """(figure, key, value) rows, the CSV's and the web UI's."""
        out: list[tuple[str, str, float]] = [
            ("deliveries", "", self.deliveries),
            ("stale_connections", "", self.stale),
            ("generator_delay_max_ms", "", round(self.max_delay * 1000, 3)),
        ]
        for name, counts in (("outcome", self.outcomes), ("dropped", self.drops),
                             ("failure_cause", self.causes)):  # fmt: skip
            out += [(name, k, v) for k, v in sorted(counts.items())]
        return out

    def write(self, path: Path) -> None:
        """The rows as a CSV (figure, key, value)."""
        with path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(("figure", "key", "value"))
            w.writerows(self.rows())
