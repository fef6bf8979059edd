"""Pushes: broadcast or targeted by tags; the replies they bring and the unfollows they cause.

A push (`pushes.sends.<name>`) goes out at a clock time to a segment of fans chosen by tags
(source channel, follow date, gift-driven, active), or to every fan. Fans are cohorts
(`sim.model.followers`): a cell [source, day of follow, gift] is in or out by its tags, and the
`active` tag takes the share `fans.active_share` of it. On the push's day, recipients in a cell
leave with probability `relevant_unfollow_per_recipient` if the push is relevant to them (they
are in `relevant_to`, by default the targeted segment) and `unfollow_per_recipient` otherwise,
each count drawn by inverting one uniform per cell from the push's own stream: cells outside the
segment draw nothing, so a targeted push leaves every other segment's fans exactly as they were
under common random numbers. Replies: `reply_rate` per recipient, arriving exponentially over
`reply_mean_hours` after the send (exact integral per interval). The weekly push policy
(`pushes.per_week` above `policy_per_week`) still raises everyone's hazard as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from sim.scenario.schema import Scenario
from sim.scenario.spread import PushSendSpec, SegmentSpec

__all__ = ["PushResult", "push_unfollows", "reply_means", "segment_shares", "sms_price"]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class PushResult:
    """One push's recipients and what they did."""

    name: str
    day: int
    recipients: int
    relevant: int  # recipients it was relevant to
    unfollows: int
    replies_expected: float
    sms_cost: float  # what the same notifications would have cost as SMS


def sms_price(scenario: Scenario) -> float:
    """The one price of an SMS: `costs.sms_per_message` if given, else the pushes' own.

    `pushes.sms_cost_per_message` predates `[costs]`; scenarios without a price in `[costs]`
    keep it, so their outputs do not change.
    """
    costs = scenario.costs
    if costs is not None and costs.sms_per_message is not None:
        return costs.sms_per_message
    return scenario.pushes.sms_cost_per_message


def segment_shares(
    segment: SegmentSpec | None,
    sources: tuple[str, ...],
    start: dt.date,
    days: int,
    active_share: float,
) -> F64:
    """Share of each cohort cell [source, day of follow, gift] that is in `segment`."""
    shape = (len(sources), days, 2)
    if segment is None:
        return np.ones(shape)
    share = np.ones(shape)
    if segment.sources is not None:
        share *= np.isin(np.asarray(sources), segment.sources)[:, None, None]
    dates = np.asarray([start + dt.timedelta(days=d) for d in range(days)])
    if segment.followed_from is not None:
        share *= (dates >= segment.followed_from)[None, :, None]
    if segment.followed_to is not None:
        share *= (dates <= segment.followed_to)[None, :, None]
    if segment.gift_driven is not None:
        share *= (np.arange(2) == int(segment.gift_driven))[None, None, :]
    if segment.active is not None:
        share *= active_share if segment.active else 1.0 - active_share
    return share


def _both(a: SegmentSpec | None, b: SegmentSpec | None) -> SegmentSpec | None:
    """The tags of both segments (a fan in both); an impossible active pair keeps `b`'s."""
    if a is None or b is None:
        return b if a is None else a
    merged = a.model_dump()
    for key, value in b.model_dump().items():
        if value is not None:
            merged[key] = value
    return SegmentSpec.model_validate(merged)


def push_unfollows(
    push: PushSendSpec,
    cohorts: I64,
    sources: tuple[str, ...],
    start: dt.date,
    active_share: float,
    u: F64,
) -> tuple[I64, int, int]:
    """(leaving per cell, recipients, relevant recipients); `u` holds two uniforms per cell."""
    days = cohorts.shape[1]
    to = segment_shares(push.segment, sources, start, days, active_share)
    relevant_to = push.relevant_to if push.relevant_to is not None else push.segment
    if push.segment is None and push.relevant_to is None:
        relevant_share = np.zeros_like(to)
    else:
        both = _both(push.segment, relevant_to)
        relevant_share = np.minimum(to, segment_shares(both, sources, start, days, active_share))
    n_to = np.floor(cohorts * to).astype(np.int64)
    n_rel = np.minimum(np.floor(cohorts * relevant_share).astype(np.int64), n_to)
    n_other = n_to - n_rel
    p_other = push.unfollow_per_recipient
    p_rel = push.relevant_unfollow_per_recipient
    p_rel = p_other if p_rel is None else p_rel
    leaving = np.zeros_like(cohorts)
    for n, p, uu in ((n_rel, p_rel, u[0]), (n_other, p_other, u[1])):
        live = n > 0
        if p > 0 and live.any():
            k = stats.binom.ppf(np.maximum(uu[live], 1e-300), n[live], p).astype(np.int64)
            leaving[live] += k
    return leaving, int(n_to.sum()), int(n_rel.sum())


def reply_means(
    total: float,
    sent_minute: float,
    first_minute: float,
    interval: float,
    n: int,
    mean_hours: float,
) -> F64:
    """Expected replies per interval (n from `first_minute`), arriving exponentially."""
    edges = first_minute + interval * np.arange(n + 1)
    tau = mean_hours * 60.0
    cdf = -np.expm1(-np.maximum(edges - sent_minute, 0.0) / tau)
    return np.asarray(total * np.diff(cdf), np.float64)
