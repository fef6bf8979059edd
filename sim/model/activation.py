"""The activation sequence: messages scheduled for every new fan after the follow.

Each step (`activation.steps`: by default intro at once, an article within 1 h, a best-seller
within 12 h, a new campaign within 48 h [C]) is sent `after_hours` after a fan follows. Fans are
cohorts by day of follow, so a cohort counts as having received a step once its age in days
times 24 reaches `after_hours`; from then until `first_week_days` after the follow the step's
`unfollow_factor` multiplies the cohort's unfollow hazard. Replies: `reply_rate` per new fan and
step, of class `activation.reply_class`, sent after the step exponentially over
`reply_mean_hours`; follow times are taken as spread evenly over the day of follow.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.model.pushes import reply_means
from sim.scenario.spread import ActivationSpec

__all__ = ["activation_reply_means", "age_factors"]

F64 = NDArray[np.float64]


def age_factors(spec: ActivationSpec) -> F64:
    """Hazard multiplier of cohorts aged 0, 1, ... `first_week_days` - 1 days."""
    out = np.ones(spec.first_week_days)
    for step in spec.steps:
        for age in range(spec.first_week_days):
            if step.after_hours <= 24 * age:
                out[age] *= step.unfollow_factor
    return out


def activation_reply_means(
    spec: ActivationSpec, follows: int, day_start: float, interval: float, n: int
) -> F64:
    """Expected replies per interval (n from the day of follow's midnight) to all steps."""
    out = np.zeros(n)
    hours = (np.arange(24) + 0.5) * 60.0  # follows spread evenly over the day
    for step in spec.steps:
        total = follows * step.reply_rate / hours.size
        if total <= 0:
            continue
        for h in hours:
            sent = day_start + h + step.after_hours * 60.0
            out += reply_means(total, sent, day_start, interval, n, spec.reply_mean_hours)
    return out
