"""Staffing a chosen period: the scenario cut to those days, with the fans the model reaches.

A planner asks for the campaign week, not the whole quarter. Simulating only those days needs
the fan base on the first of them; guessing `fans.initial` by hand is how a plan goes wrong.
So the days before the period are simulated once (the scenario up to the day before, seed as
given, replication 0) and the period starts from the fans that run ends with. The period's
scenario is the one in force on its first day (earlier phases applied), with the later phases
that fall inside it, and each campaign's days within it (a campaign running across an edge
keeps the participation of its days inside, by the same daily weights the model uses).

What carries over is the number of fans. The service-quality memory, the churn clock of fans
who came for a gift and cascades under way at the start begin afresh, as for any scenario's
first day; `PeriodCut` says how many fans the warm-up reached so the plan can show it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sim.errors import OptionError, Problem
from sim.model.campaigns import day_weights
from sim.model.engine import RunSpec, run_one
from sim.scenario.load import scenario_from_dict
from sim.scenario.rules.spread import campaign_days
from sim.scenario.schema import CampaignSpec, Scenario
from sim.scenario.timeline import resolve_timeline

__all__ = ["PeriodCut", "campaign_period", "cut_to_period", "parse_period"]

Progress = Callable[..., None]


@dataclass(frozen=True)
class PeriodCut:
    """The scenario of the period and how it was made.

    Attributes:
        scenario: the period's scenario (its own start, end and `fans.initial`).
        first, last: the period's days, both included.
        fans_at_start: fans on the first day (the warm-up's last count, or the scenario's
            `fans.initial` when the period starts on the scenario's first day).
        warmup_days: days simulated before the period to reach them.
    """

    scenario: Scenario
    first: dt.date
    last: dt.date
    fans_at_start: int
    warmup_days: int


def _date(text: str, option: str, whole: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        rule = "must be two ISO dates, START..END (e.g. 2013-03-05..2013-03-11), no time or offset"
        raise OptionError([Problem(option, rule, whole, True)]) from None


def parse_period(text: str, option: str = "--period") -> tuple[dt.date, dt.date]:
    """`START..END` (ISO dates, both included) -> the two dates; `OptionError` otherwise."""
    start, sep, end = text.partition("..")
    if not sep:
        rule = "must be two ISO dates, START..END (e.g. 2013-03-05..2013-03-11)"
        raise OptionError([Problem(option, rule, text, True)])
    first, last = _date(start, option, text), _date(end, option, text)
    if last < first:
        raise OptionError([Problem(option, f"END must not be before START ({first})", text, True)])
    return first, last


def campaign_period(scenario: Scenario, name: str) -> tuple[dt.date, dt.date]:
    """The days campaign `name` runs (from any phase), first and last; `OptionError` if none."""
    days = [
        tl_day
        for tl_day, sc in _dated_days(scenario)
        if name in sc.campaigns and _runs_on(sc.campaigns[name], tl_day)
    ]
    if not days:
        known = sorted({n for _, sc in resolve_timeline(scenario).segments for n in sc.campaigns})
        rule = f"must name a campaign of the scenario ({', '.join(known) or 'it has none'})"
        raise OptionError([Problem("--campaign", rule, name, True)])
    return days[0], days[-1]


def _dated_days(scenario: Scenario) -> list[tuple[dt.date, Scenario]]:
    tl = resolve_timeline(scenario)
    return [(tl.date(d), tl.on(d)) for d in range(len(tl.days))]


def _runs_on(c: CampaignSpec, day: dt.date) -> bool:
    return 0 <= (day - c.start.date()).days < campaign_days(c)


def _cut_campaign(c: CampaignSpec, first: dt.date, last: dt.date) -> dict[str, Any] | None:
    """The campaign's days within [first, last] as a raw table; None when none is inside."""
    days = campaign_days(c)
    keep = [k for k in range(days) if first <= c.start.date() + dt.timedelta(days=k) <= last]
    if not keep:
        return None
    raw: dict[str, Any] = c.model_dump(mode="json")
    if len(keep) == days:
        return raw
    weights = day_weights(c)
    k0, k1 = keep[0], keep[-1]
    raw["start"] = dt.datetime.combine(
        c.start.date() + dt.timedelta(days=k0), c.start.time()
    ).isoformat()
    raw["end"] = dt.datetime.combine(
        c.start.date() + dt.timedelta(days=k1), c.end.time()
    ).isoformat()
    if c.participation is not None:  # typed in: the kept days' share of it
        raw["participation"] = c.participation * sum(weights[k0 : k1 + 1])
    # computed from the levers (None): the cut campaign's levers give its turnout afresh, an
    # approximation docs/staffing.md states
    raw["daily_shares"] = list(weights[k0 : k1 + 1])
    if k0 > 0:
        raw.pop("warmup", None)  # announced before the launch, which is outside the period
    return raw


def _window(scenario: Scenario, first: dt.date, last: dt.date, fans: int | None) -> Scenario:
    """The scenario in force on `first`, run from `first` to `last`, later phases kept."""
    tl = resolve_timeline(scenario)
    in_force = tl.on((first - tl.start).days)
    raw: dict[str, Any] = in_force.model_dump(mode="json")
    raw["scenario"]["start"] = first.isoformat()
    raw["scenario"]["end"] = last.isoformat()
    if fans is not None:
        raw["fans"]["initial"] = fans
    raw["campaigns"] = {}
    for name, c in in_force.campaigns.items():
        cut = _cut_campaign(c, first, last)
        if cut is not None:
            raw["campaigns"][name] = cut
    # later phases that fall inside the period, applied on their dates as in the whole run
    raw["phases"] = [p.model_dump(mode="json") for p in scenario.phases if first < p.date <= last]
    return scenario_from_dict(raw, f"{scenario.scenario.name} {first}..{last}")


def cut_to_period(
    scenario: Scenario,
    first: dt.date,
    last: dt.date,
    seed: int,
    progress: Progress | None = None,
) -> PeriodCut:
    """The period's scenario, its fans reached by simulating the days before it once."""
    meta = scenario.scenario
    end = meta.end or meta.start
    if not meta.start <= first <= last <= end:
        rule = f"must lie within the scenario's days, {meta.start}..{end}"
        raise OptionError([Problem("--period", rule, f"{first}..{last}", True)])
    warmup_days = (first - meta.start).days
    fans: int | None = None
    if warmup_days:
        day_before = first - dt.timedelta(days=1)
        raw: dict[str, Any] = scenario.model_dump(mode="json")
        raw["scenario"]["end"] = day_before.isoformat()
        raw["phases"] = [p for p in raw["phases"] if dt.date.fromisoformat(p["date"]) < first]
        raw["campaigns"] = {
            name: cut
            for name, c in scenario.campaigns.items()
            if (cut := _cut_campaign(c, meta.start, day_before)) is not None
        }
        warm = scenario_from_dict(raw, f"{meta.name} before {first}")
        result = run_one(RunSpec(warm, seed, 0), progress)
        if result.followers is not None:
            fans = int(result.followers.fans[-1])
    period = _window(scenario, first, last, fans)
    return PeriodCut(period, first, last, period.fans.initial, warmup_days)
