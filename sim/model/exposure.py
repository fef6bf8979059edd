"""Exposure: how many people in a channel's pool see the account each day.

The scenario says how a pool is reached (`[channels.<name>.exposure]`, by `kind`); what that
means in exposures per day is the model's, so it lives here and not on the config classes.
"""

from __future__ import annotations

from sim.scenario.schema import (
    ExposureSpec,
    OrdersExposure,
    PostsExposure,
    ReferralsExposure,
    VisitorsExposure,
)

__all__ = ["exposures_per_day"]


def exposures_per_day(exposure: ExposureSpec, active_fans: float) -> float:
    """Exposures per day; only word of mouth (`referrals`) grows with the active fans."""
    if isinstance(exposure, PostsExposure):
        return exposure.posts_per_week / 7.0 * exposure.reach_per_post
    if isinstance(exposure, OrdersExposure):
        return exposure.orders_per_day * exposure.prompt_share
    if isinstance(exposure, VisitorsExposure):
        return exposure.visitors_per_day
    assert isinstance(exposure, ReferralsExposure)  # the union's last member
    return exposure.per_active_fan_per_day * active_fans
