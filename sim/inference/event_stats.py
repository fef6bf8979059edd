"""Past campaigns in the fit: each event row matched to a campaign, its figures as statistics.

An event (a row of `--events`) is matched to the one campaign of the scenario with the same
platform (the campaign's own, else the scenario's) and type whose days overlap the event's
start..end; none or several is an error naming the file, line and column. Each figure the row
gives (participants, shares, follows gained) becomes one statistic: the campaign's total from
its first logged day (a warm-up included) through the event's `end` date, on a log(1 + x)
scale, so a 10% miss weighs the same for a campaign of 100 participants as for one of 100,000.
Like the history's weekly totals, each is scaled by its spread across the first generation's
simulations (`sim.inference.distance.mad_scales`). A fixed noise (10%) was measured first:
beside a half year of weekly totals and with fewer particles than statistics, the ridge
projection (`sim.inference.adjust`) leaned on the events, ten times the others' scale, and the
unfollow rate's posterior widened (docs/inference.md). Campaign figures need the whole model
(the follower model alone does not run campaigns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.errors import OptionError, Problem
from sim.inference.events import Event
from sim.model.campaigns import brings_fans
from sim.scenario import Scenario
from sim.scenario.schema import CampaignSpec
from sim.scenario.timeline import resolve_timeline

__all__ = [
    "EVENT_FIGURES",
    "EventTarget",
    "cannot_give",
    "event_targets",
    "figure_total",
    "first_day",
    "last_launch",
    "match_events",
    "scenario_campaigns",
]

EVENT_FIGURES = ("participants", "shares", "follows_gained")
"""The reported figures that become statistics, in the order of a trajectory's campaign columns."""

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class EventTarget:
    """One reported figure of one event, tied to the campaign that produced it."""

    event: Event
    campaign: str
    figure: str  # one of EVENT_FIGURES
    last_day: int  # scenario day of the event's end: the figure counts days up to it
    value: int

    @property
    def label(self) -> str:
        """How the figure is named in outputs: line, campaign and figure."""
        return f"line {self.event.line} ({self.campaign}) {self.figure}"


def scenario_campaigns(scenario: Scenario) -> dict[str, CampaignSpec]:
    """Every campaign the scenario runs, its phases' included, by name (the first spec seen)."""
    out: dict[str, CampaignSpec] = {}
    for day in resolve_timeline(scenario).days:
        for name, c in day.campaigns.items():
            out.setdefault(name, c)
    return out


def first_day(c: CampaignSpec) -> dt.date:
    """A campaign's first logged day: its warm-up's first, else its launch (promotion is on it)."""
    return c.start.date() - dt.timedelta(days=c.warmup.days if c.warmup is not None else 0)


def last_launch(scenario: Scenario) -> dt.date | None:
    """The latest campaign start: a simulation cut short must still reach it (the schema's rule).

    A run's end changes its earlier days' random draws (not their distribution), so a run cut
    here is another draw of the same model, not the full run cut short.
    """
    starts = [c.start.date() for c in scenario_campaigns(scenario).values()]
    return max(starts, default=None)


def _describe(name: str, c: CampaignSpec, platform: str) -> str:
    return f"{name} ({platform} {c.type} {c.start.date()}..{c.end.date()})"


def match_events(scenario: Scenario, events: Sequence[Event]) -> list[str]:
    """The campaign each event matches; `OptionError` naming every event that matches 0 or 2+."""
    campaigns = scenario_campaigns(scenario)
    platform = scenario.scenario.platform
    problems: list[Problem] = []
    names: list[str] = []
    taken: dict[str, int] = {}
    for e in events:
        same = {
            n: c
            for n, c in campaigns.items()
            if (c.platform or platform) == e.platform.lower() and c.type == e.type.lower()
        }
        hits = [n for n, c in same.items() if c.start.date() <= e.end and e.start <= c.end.date()]
        where = f"line {e.line}, column start"
        if not hits:
            known = ", ".join(_describe(n, c, c.platform or platform) for n, c in same.items())
            rule = (
                f"matches no campaign of the scenario: none of platform {e.platform!r} and type "
                f"{e.type!r} runs between {e.start} and {e.end}"
                + (f" (of that platform and type: {known})" if known else "")
            )
            problems.append(Problem(where, rule, e.start.isoformat(), True))
        elif len(hits) > 1:
            rule = (
                f"matches several campaigns of the scenario ({', '.join(hits)}); give dates "
                "that overlap only one"
            )
            problems.append(Problem(where, rule, e.start.isoformat(), True))
        elif hits[0] in taken:
            rule = f"matches campaign {hits[0]}, as line {taken[hits[0]]} does already"
            problems.append(Problem(where, rule, e.start.isoformat(), True))
        else:
            taken[hits[0]] = e.line
            names.append(hits[0])
    if problems:
        raise OptionError(problems, events[0].source or "--events")
    return names


def cannot_give(c: CampaignSpec, figure: str) -> str | None:
    """Why the model gives campaign `c` no `figure` (always 0), or None if it can give one."""
    if figure == "shares" and c.cascade is None:
        return "has no cascade, so the model gives it no shares"
    if figure == "follows_gained" and not brings_fans(c):
        return "brings no new fans (no new_fans_per_participant, warm-up or cascade)"
    return None


def event_targets(
    scenario: Scenario, events: Sequence[Event], start: dt.date
) -> tuple[EventTarget, ...]:
    """The statistics the events give: one per figure reported (blank cells give none).

    A figure the matched campaign cannot produce is an error: its simulated value is always 0,
    so it would add the same large distance to every particle and score nothing.
    """
    campaigns = scenario_campaigns(scenario)
    out = []
    problems = []
    for e, name in zip(events, match_events(scenario, events), strict=True):
        for figure in EVENT_FIGURES:
            value = e.counts.get(figure)
            if value is None:
                continue
            why = cannot_give(campaigns[name], figure)
            if why is not None:
                rule = f"campaign {name} {why}; leave the cell blank or describe it in the scenario"
                problems.append(Problem(f"line {e.line}, column {figure}", rule, value, True))
            out.append(EventTarget(e, name, figure, (e.end - start).days, value))
    if problems:
        raise OptionError(problems, events[0].source or "--events")
    return tuple(out)


def figure_total(daily: I64 | None, figure: str, last_day: int) -> int:
    """A campaign's figure summed over its days up to `last_day` (0 if it logged nothing).

    `daily` is (days, figures) from the scenario's start, as `Trajectory.campaigns` holds it.
    """
    if daily is None:
        return 0
    return int(daily[: last_day + 1, EVENT_FIGURES.index(figure)].sum())
