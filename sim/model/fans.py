"""Where the message stream gets its fan count from.

The service model only asks `fans_at(t)` and `active_at(t)`; the follower model (growth,
unfollows, feedback from service quality) implements the same protocol, so the service side does
not change when fans vary in time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["FanBase", "FixedFanBase"]


class FanBase(Protocol):
    """Anything that can say how many fans there are at time `t` (minutes from start)."""

    def fans_at(self, t: float) -> float:
        """Fans following the account at time `t`."""
        ...

    def active_at(self, t: float) -> float:
        """Active fans (who message) at time `t`."""
        ...


@dataclass(frozen=True)
class FixedFanBase:
    """A constant fan count: one day of service at a given audience size."""

    count: float
    active_share: float = 1.0

    def fans_at(self, t: float) -> float:
        """The same count at every time."""
        return self.count

    def active_at(self, t: float) -> float:
        """The active share of that count."""
        return self.count * self.active_share
