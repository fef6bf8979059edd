"""Periods the service is judged over: each campaign's days and live hours, in minutes.

A campaign's windows come from the timeline (so a campaign a phase adds counts from its date):
`days`, from midnight of its first day to midnight after its last, and `live`, its clock hours
on each of those days (the same window `campaigns_on` gives the model). Windows are clipped to
the simulated horizon; a campaign outside it has no entry. The model tallies the messages of
these periods as it runs (`sim.model.tally`); `sim.results.service_periods` writes them.
"""

from __future__ import annotations

import datetime as dt

from sim.model.campaigns import campaigns_on
from sim.scenario.timeline import Timeline
from sim.units import DAY

__all__ = ["Span", "campaign_spans"]

Span = tuple[float, float]  # [from, to) in minutes since the run's start


def campaign_spans(tl: Timeline, horizon: float) -> dict[str, dict[str, list[Span]]]:
    """Each campaign's `days` and `live` spans (minutes since the start), within the horizon."""
    start = dt.datetime.combine(tl.start, dt.time())
    out: dict[str, dict[str, list[Span]]] = {}
    for d in range(len(tl.days)):
        for name, c in campaigns_on(tl.on(d).campaigns, tl.date(d)).items():
            spans = out.setdefault(name, {"days": [], "live": []})
            spans["days"].append((d * DAY, min((d + 1) * DAY, horizon)))
            lo = (c.start - start).total_seconds() / 60.0
            hi = min((c.end - start).total_seconds() / 60.0, horizon)
            if hi > lo:
                spans["live"].append((lo, hi))
    for spans in out.values():  # consecutive days as one span
        merged: list[Span] = []
        for lo, hi in spans["days"]:
            if merged and merged[-1][1] == lo:
                merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        spans["days"] = merged
    return out
