"""Costs of a run: each item as quantity x unit price, traced to the counts the model keeps.

Only for a scenario with `[costs]`. A `CostLine` is one priced item: what was counted (agent-
hours, instance-hours, posts, exposures, weeks, participants, gift-driven follows, prizes), its
unit, the price from the scenario and the fan source it acquires (channel and campaign items;
agents and servers serve every fan and belong to no source). `kind = "avoided"` lines are the SMS
the WeChat messages replaced, priced at the one SMS price; they are not costs and are not in any
total. Prices change no simulated number: the same seed gives the same run with any prices.
Definitions and assumptions are in docs/model.md ("Costs").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sim.model.engine import ModelResult
from sim.model.followers import INITIAL_SOURCE, channel_runs
from sim.model.groups import scenario_groups
from sim.model.inbound import wechat_classes
from sim.model.pushes import sms_price
from sim.results.provenance import provenance
from sim.scenario.costs import CostsSpec
from sim.scenario.schema import CampaignSpec, ChannelSpec, Scenario
from sim.scenario.timeline import resolve_timeline
from sim.units import DAY

__all__ = ["CostLine", "cost_lines", "cost_rows", "cost_summary"]

HOURS_PER_DAY = 24


@dataclass(frozen=True)
class CostLine:
    """One priced item of a run."""

    kind: Literal["cost", "avoided"]
    item: str  # e.g. agent_hours, channel_exposures, sms_pushes
    subject: str  # the group, channel or campaign it is for ("" for the whole account)
    source: str  # the fan source it acquires ("" for none)
    quantity: float
    unit: str
    unit_price: float

    @property
    def amount(self) -> float:
        """Quantity x unit price."""
        return self.quantity * self.unit_price


def _agent_lines(result: ModelResult, costs: CostsSpec) -> Iterator[CostLine]:
    """Rostered agent-hours over the horizon, per group when agents are grouped."""
    tl = result.spec.timeline
    horizon = len(tl.days) * DAY
    grouped = scenario_groups([sc.service for sc in tl.days], tl.class_names, dict(tl.channels))
    if grouped is None:
        if costs.agent_hour is not None:
            hours = result.schedule.agent_minutes(horizon) / 60.0
            yield CostLine("cost", "agent_hours", "", "", hours, "agent-hour", costs.agent_hour)
        return
    for g in grouped.groups:
        own = costs.groups.get(g.name)
        price = costs.agent_hour if own is None or own.agent_hour is None else own.agent_hour
        if price is not None:
            hours = g.schedule.agent_minutes(horizon) / 60.0
            yield CostLine("cost", "agent_hours", g.name, "", hours, "agent-hour", price)


def _server_lines(scenario: Scenario, costs: CostsSpec) -> Iterator[CostLine]:
    """Instance-hours: all day, every day the back end is live, at the instances deployed."""
    if costs.instance_hour is None:
        return
    total = 0.0
    for sc in resolve_timeline(scenario).days:
        if not sc.service.back_end:
            continue
        instances = costs.instances
        if instances is None and sc.server is not None:
            instances = sc.server.instances
        total += (instances or 0) * HOURS_PER_DAY
    yield CostLine(
        "cost", "server_instance_hours", "", "", total, "instance-hour", costs.instance_hour
    )


Count = tuple[str, float, str, float | None]
"""(item, quantity, unit, unit price or None when the scenario gives no price)."""


def _priced(counts: tuple[Count, ...], subject: str, source: str) -> Iterator[CostLine]:
    """Cost lines of the counts that have a price."""
    for item, quantity, unit, unit_price in counts:
        if unit_price is not None:
            yield CostLine("cost", item, subject, source, float(quantity), unit, unit_price)


def _first(scenario: Scenario, table: str, name: str) -> Any:
    """The spec of a channel or campaign on the first day it exists (None if never)."""
    for sc in resolve_timeline(scenario).days:
        spec = getattr(sc, table).get(name)
        if spec is not None:
            return spec
    return None


def _posts_and_weeks(scenario: Scenario, name: str) -> tuple[float, float]:
    """Posts (posts_per_week / 7 a day) and weeks over the days channel `name` runs."""
    days = weekly_posts = 0.0
    tl = resolve_timeline(scenario)
    for d, sc in enumerate(tl.days):
        ch = sc.channels.get(name)
        if ch is None or not channel_runs(ch, tl.date(d)):
            continue
        days += 1
        if ch.exposure.kind == "posts":
            weekly_posts += ch.exposure.posts_per_week
    return weekly_posts / 7, days / 7


def _channel_source(scenario: Scenario, name: str) -> str | None:
    """The fan source channel `name` acquires (its `source`, else its name); None if never on."""
    ch: ChannelSpec | None = _first(scenario, "channels", name)
    return None if ch is None else ch.source or name


def _channel_lines(result: ModelResult, costs: CostsSpec) -> Iterator[CostLine]:
    """Posts, exposures, weeks and gift-driven follows of each priced channel."""
    sc = result.spec.scenario
    tr = result.followers
    for name, price in costs.channels.items():
        source = _channel_source(sc, name)
        if source is None:
            continue
        posts, weeks = _posts_and_weeks(sc, name)
        exposures = float(tr.exposures[name].sum()) if tr and name in tr.exposures else 0.0
        gifts = tr.gift_follows.get(name, 0) if tr is not None else 0
        counts: tuple[Count, ...] = (
            ("channel_posts", posts, "post", price.per_post),
            ("channel_exposures", exposures / 1000, "1,000 exposures", price.per_1000_exposures),
            ("channel_weeks", weeks, "week", price.per_week),
            ("channel_gift_follows", gifts, "gift-driven follow", price.per_gift_follow),
        )
        yield from _priced(counts, name, source)


def _campaign_lines(result: ModelResult, costs: CostsSpec) -> Iterator[CostLine]:
    """Participants, gift-driven follows, prizes and the prize budget of each priced campaign."""
    sc = result.spec.scenario
    tr = result.followers
    for name, price in costs.campaigns.items():
        c: CampaignSpec | None = _first(sc, "campaigns", name)
        if c is None:
            continue
        source = c.source
        if c.channel is not None:  # through a channel: that channel's source
            source = _channel_source(sc, c.channel) or source
        joined = sum(r.participants - r.seeds for r in result.cascades if r.campaign == name)
        participants = result.participants.get(name, 0) + joined
        gifts = tr.gift_follows.get(f"campaign:{name}", 0) if tr is not None else 0
        counts: tuple[Count, ...] = (
            ("campaign_participants", participants, "participant", price.per_participant),
            ("campaign_gift_follows", gifts, "gift-driven follow", price.per_gift_follow),
            ("campaign_prizes", c.prizes, "prize", price.per_prize),
            ("campaign_prize_budget", 1, "campaign", price.prize_budget),
        )
        yield from _priced(counts, name, source)


def _activation_messages(result: ModelResult) -> float:
    """Activation steps sent before the horizon: new fans of each day x steps then due."""
    tr = result.followers
    tl = result.spec.timeline
    if tr is None:
        return 0.0
    hours_left = HOURS_PER_DAY * (len(tl.days) - np.arange(len(tl.days)))
    total = 0.0
    for d, sc in enumerate(tl.days):
        if sc.activation is None:
            continue
        due = sum(1 for s in sc.activation.steps if s.after_hours < hours_left[d])
        total += float(tr.follows[d].sum()) * due
    return total


def _sms_lines(result: ModelResult) -> Iterator[CostLine]:
    """SMS the WeChat messages replaced: pushes, weekly broadcasts, activation, service replies.

    Service replies count WeChat's classes only: answers on Weibo or a forum replace no SMS.
    """
    tl = result.spec.timeline
    tr = result.followers
    price = sms_price(result.spec.scenario)
    fans = tr.fans.astype(np.float64) if tr is not None else None
    broadcasts = 0.0
    for d, sc in enumerate(tl.days):
        on_day = float(fans[d]) if fans is not None else float(sc.fans.initial)
        broadcasts += on_day * sc.pushes.per_week / 7
    wechat = list(range(wechat_classes(tl)))
    picked_up = int(result.tally.by_class["answered"][wechat].sum())
    replies = float(result.auto_replied[:, wechat].sum()) + float(picked_up)
    counts = (
        ("sms_pushes", float(sum(p.recipients for p in result.pushes))),
        ("sms_broadcasts", broadcasts),
        ("sms_activation", _activation_messages(result)),
        ("sms_service_replies", replies),
    )
    for item, quantity in counts:
        yield CostLine("avoided", item, "", "", quantity, "SMS", price)


def cost_lines(result: ModelResult) -> list[CostLine]:
    """Every priced item of the run, costs first, then the SMS avoided ([] without `[costs]`)."""
    costs = result.spec.scenario.costs
    if costs is None:
        return []
    return [
        *_agent_lines(result, costs),
        *_server_lines(result.spec.scenario, costs),
        *_channel_lines(result, costs),
        *_campaign_lines(result, costs),
        *_sms_lines(result),
    ]


def cost_rows(result: ModelResult) -> list[dict[str, Any]]:
    """costs.csv: one tidy row per priced item, with provenance columns ([] without costs)."""
    costs = result.spec.scenario.costs
    if costs is None:
        return []
    meta = provenance(result.spec)
    return [
        {
            **meta,
            "currency": costs.currency,
            "kind": line.kind,
            "item": line.item,
            "subject": line.subject,
            "source": line.source,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price": line.unit_price,
            "amount": line.amount,
        }
        for line in cost_lines(result)
    ]


def _per(amount: float, count: float) -> float | None:
    return amount / count if count > 0 else None


def cost_summary(result: ModelResult) -> dict[str, Any]:
    """The summary's `costs` ({} without `[costs]`): totals, per follow and per retained fan.

    By source: the cost of the channel and campaign items that acquire fans of that source,
    over its follows and over its fans still following at the end. Overall: every cost item
    over all follows and over the new fans still following at the end (the initial fans left
    out); `acquisition` counts channel and campaign items only.
    """
    costs = result.spec.scenario.costs
    if costs is None:
        return {}
    lines = cost_lines(result)
    spent = [x for x in lines if x.kind == "cost"]
    by_item: dict[str, float] = {}
    for x in spent:
        by_item[x.item] = by_item.get(x.item, 0.0) + x.amount
    total = sum((x.amount for x in spent), 0.0)
    acquisition = sum((x.amount for x in spent if x.source), 0.0)
    tr = result.followers
    follows = retained = 0
    by_source: dict[str, dict[str, Any]] = {}
    if tr is not None:
        for s, name in enumerate(tr.sources):
            if name == INITIAL_SOURCE:
                continue
            cost = sum((x.amount for x in spent if x.source == name), 0.0)
            n_follow, n_kept = int(tr.follows[:, s].sum()), int(tr.fans_by_source[s])
            follows, retained = follows + n_follow, retained + n_kept
            by_source[name] = {
                "cost": cost,
                "follows": n_follow,
                "retained": n_kept,
                "per_follow": _per(cost, n_follow),
                "per_retained_fan": _per(cost, n_kept),
            }
    avoided = {x.item.removeprefix("sms_"): x.amount for x in lines if x.kind == "avoided"}
    return {
        "costs": {
            "currency": costs.currency,
            "total": total,
            "by_item": by_item,
            "by_source": by_source,
            "acquisition": acquisition,
            "per_follow": _per(total, follows),
            "per_retained_fan": _per(total, retained),
            "acquisition_per_retained_fan": _per(acquisition, retained),
            "sms_price": sms_price(result.spec.scenario),
            "sms_avoided": {**avoided, "total": sum(avoided.values())},
        }
    }
