"""What each campaign did on each day: people reached, participants and shares.

The engine writes it as mechanisms act (warm-up days, the launch's promotion and participants,
the cascade's joiners on the days they join); follows and unfollows of a campaign's followers
are in the follower trace (`sim.model.campaign_tags`). `sim.results.campaign_tables` turns both
into campaigns.csv and the summary's `campaigns`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CampaignDay", "CampaignLog"]


@dataclass
class CampaignDay:
    """One campaign's counts on one day (days before the run are negative)."""

    reached: int = 0  # people outside the account reached for the first time (warm-up, promotion,
    # cascade)
    aware: int = 0  # of them, made aware by the warm-up's announcements
    participants: int = 0  # fans taking part, newcomers, warm-up arrivals, cascade joiners
    shares: int = 0  # sharers (one repost each on Weibo), generation 0 and after


class CampaignLog:
    """Per campaign and day, `CampaignDay` counts, written as the run goes."""

    def __init__(self) -> None:
        self.days: dict[str, dict[int, CampaignDay]] = {}

    def at(self, campaign: str, day: int) -> CampaignDay:
        """The (mutable) counts of `campaign` on `day`."""
        return self.days.setdefault(campaign, {}).setdefault(day, CampaignDay())

    def frozen(self) -> dict[str, dict[int, CampaignDay]]:
        """A copy, days in order."""
        return {
            name: {d: CampaignDay(**vars(c)) for d, c in sorted(days.items())}
            for name, days in self.days.items()
        }
