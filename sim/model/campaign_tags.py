"""Which fans a campaign brought, and when each of them left: the base of net follows.

Fans are cohorts (source x day of follow x gift flag); a campaign's followers share cells with
other fans of the same source and day. Each campaign keeps its own count per cell. Whenever a
cell loses fans (the unfollow hazard, unanswered messages, a push), the leavers are split
between the campaigns' followers and the others by one multivariate hypergeometric draw per
touched cell: members of a cell are alike, so this is exact in law, and every unfollow of a
campaign's follower is recorded with its day of follow and day of leaving. The split draws from
its own stream (`followers.tags`), so it changes no other draw.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.model.rng import Streams

__all__ = ["CampaignTags"]

I64 = NDArray[np.int64]


class CampaignTags:
    """Per campaign: its followers still in each cohort cell, and their follows and unfollows."""

    def __init__(self, shape: tuple[int, ...], streams: Streams) -> None:
        self._shape = shape
        self._streams = streams
        self._names: list[str] = []
        self._counts: list[I64] = []
        self._follows: dict[str, dict[int, int]] = {}
        self._unfollows: dict[str, dict[tuple[int, int], int]] = {}
        self._calls: dict[tuple[int, str], int] = {}  # splits so far per (day, reason)

    def join(self, campaign: str, source: int, day: int, plain: int, gift: int) -> None:
        """`plain` + `gift` followers of `campaign` joined cohort (source, day)."""
        if campaign not in self._follows:
            self._names.append(campaign)
            self._counts.append(np.zeros(self._shape, np.int64))
            self._follows[campaign] = {}
            self._unfollows[campaign] = {}
        i = self._names.index(campaign)
        self._counts[i][source, day, 0] += plain
        self._counts[i][source, day, 1] += gift
        by_day = self._follows[campaign]
        by_day[day] = by_day.get(day, 0) + plain + gift

    def leave(self, day: int, reason: str, cohorts: I64, leaving: I64) -> None:
        """`leaving` fans per cell leave `cohorts` (before the decrement) on `day`."""
        if not self._counts:
            return
        tagged = np.stack(self._counts)  # (campaigns, *cells)
        cells = np.argwhere((leaving > 0) & (tagged.sum(axis=0) > 0))
        if cells.size == 0:
            return
        nth = self._calls.get((day, reason), 0)
        self._calls[(day, reason)] = nth + 1
        rng = self._streams.get("followers.tags", day, reason, nth)
        for s, d, g in cells.tolist():
            cell = (int(s), int(d), int(g))
            own = tagged[:, cell[0], cell[1], cell[2]]
            colors = np.append(own, cohorts[cell] - own.sum())
            gone = rng.multivariate_hypergeometric(colors, int(leaving[cell]))[:-1]
            for i in np.flatnonzero(gone).tolist():
                self._counts[i][cell] -= gone[i]
                key = (int(cell[1]), day)
                out = self._unfollows[self._names[i]]
                out[key] = out.get(key, 0) + int(gone[i])

    def follows(self) -> dict[str, dict[int, int]]:
        """Each campaign's followers by day of follow."""
        return {k: dict(v) for k, v in self._follows.items()}

    def unfollows(self) -> dict[str, dict[tuple[int, int], int]]:
        """Each campaign's followers who left, by (day of follow, day of leaving)."""
        return {k: dict(v) for k, v in self._unfollows.items()}

    def remaining(self, campaign: str) -> int:
        """The campaign's followers still following."""
        if campaign not in self._follows:
            return 0
        return int(self._counts[self._names.index(campaign)].sum())
