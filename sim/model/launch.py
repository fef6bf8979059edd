"""Campaign launches: turnout from the levers, warm-ups, promotion and cascades on one reach pool.

The engine hands each day's campaigns here. For each campaign running today `resolve` sets its
participation (typed in, or from `[response]`, its promotion and prizes: `sim.model.response`).
`warm_up` runs a warm-up as a day-by-day process (`sim.model.warmup`) on the day it starts (day
0 for one that started before the run), schedules its followers and their messages, and keeps
who is aware at launch. `launch` adds to the day's participants the warm-up's arrivals and the
people the promotion brought, and starts the cascade with the prizes' lift on its share
probability. Every reach (warm-up, promotion, cascade) is taken from one pool per platform
(`sim.model.reach`) and from the campaign's own: the people a campaign reached are never reached
anew by it, and people reached recently by any campaign are tired.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from sim.model.campaign_log import CampaignLog
from sim.model.campaigns import Follows, Scheduled, resolved_on
from sim.model.cascades import CascadeResult, run_cascade
from sim.model.coupled import binomial_at
from sim.model.reach import ReachPools
from sim.model.response import Levers
from sim.model.rng import Streams
from sim.model.surge import Campaigning, NewFans
from sim.model.warmup import WarmupDays, launch_arrivals, run_warmup
from sim.scenario.schema import CampaignSpec, Scenario
from sim.scenario.timeline import Timeline

__all__ = ["Launcher"]


@dataclass(frozen=True)
class _Pool:
    """People a campaign can still reach today, and the people its views fall on."""

    reachable: float
    over: float


def _whole(reachable: float, base: float) -> _Pool:
    """The pool in whole people (a fraction of a person neither is reached nor spreads).

    Whole counts keep reach monotone in the pool: both numbers grow together by whole people.
    """
    people = float(math.floor(max(0.0, reachable)))
    return _Pool(people, max(float(math.floor(base)), people))


class Launcher:
    """Everything a run's campaigns reach, bring and log, day by day."""

    def __init__(
        self, timeline: Timeline, streams: Streams, scheduled: Scheduled, classes: tuple[str, ...]
    ) -> None:
        self.timeline = timeline
        self.streams = streams
        self.scheduled = scheduled
        self.classes = classes
        self.reach = ReachPools(timeline.days[0].reach)
        self.log = CampaignLog()
        self.cascades: list[CascadeResult] = []
        # people each campaign reached so far: by its announcements (warm-up, promotion), by its
        # cascades (all contacts' first reach, announced people among them), and in all (distinct)
        self._announced: dict[str, float] = {}
        self._cascaded: dict[str, float] = {}
        self._distinct: dict[str, float] = {}
        self._levers: dict[str, Levers] = {}
        self._warm: dict[str, WarmupDays] = {}
        self._started: set[str] = set()  # warm-ups run
        self._promoted: set[str] = set()
        self._warmups: dict[str, int] = {}  # launch day of every campaign with a warm-up
        for _, sc in timeline.segments:
            for name, c in sc.campaigns.items():
                launch = (c.start.date() - timeline.start).days
                if c.warmup is not None and 0 <= launch < len(timeline.days):
                    self._warmups[name] = launch

    def platform(self, c: CampaignSpec, sc: Scenario) -> str:
        """The platform whose reach pool the campaign draws on."""
        return c.platform or sc.scenario.platform

    def resolve(self, day: int, sc: Scenario, active: float) -> dict[str, CampaignSpec]:
        """Today's campaigns (one-day parts), their participation resolved from the levers."""
        today_parts, found = resolved_on(sc.campaigns, sc.response, active, self.timeline.date(day))
        self._levers.update(found)
        return today_parts

    def _base(self, c: CampaignSpec, sc: Scenario, left: float | None) -> float:
        """The campaign's own pool.

        Its `cascade.pool`, else what is left of its channel's pool (`left`), else the
        platform's whole pool.
        """
        if c.cascade is not None and c.cascade.pool is not None:
            return c.cascade.pool
        if left is not None:
            return left
        return self.reach.size(self.platform(c, sc))

    def _pool(
        self, c: CampaignSpec, name: str, day: int, sc: Scenario, left: float | None
    ) -> _Pool:
        """People the campaign's announcements can reach.

        Its own pool less whom it reached, and only people not tired by any campaign.
        """
        base = self._base(c, sc, left)
        fresh = self.reach.fresh(self.platform(c, sc), day)
        return _whole(min(base - self._distinct.get(name, 0.0), fresh), base)

    def _cascade_pool(
        self, c: CampaignSpec, name: str, day: int, sc: Scenario, left: float | None
    ) -> _Pool:
        """People its cascade can reach.

        Its own pool less whom its cascades reached, and not tired by other campaigns or its
        own cascades. People its announcements reached but who did not come can still join
        through a friend's share (another stimulus), so promotion and a warm-up never shrink
        the cascade's pool.
        """
        base = self._base(c, sc, left)
        fresh = self.reach.fresh(self.platform(c, sc), day, besides=name)
        return _whole(min(base - self._cascaded.get(name, 0.0), fresh), base)

    def _announced_to(self, c: CampaignSpec, name: str, day: int, sc: Scenario, n: float) -> None:
        self._announced[name] = self._announced.get(name, 0.0) + n
        self._distinct[name] = self._distinct.get(name, 0.0) + n
        self.reach.take(self.platform(c, sc), day, n, name)

    def _cascade_reached(
        self, c: CampaignSpec, name: str, day: int, sc: Scenario, pool: _Pool, reach: int
    ) -> int:
        """Record a cascade's `reach`; returns the people among them not reached before.

        The reached are a uniform draw from the cascade's pool, so those its announcements had
        reached are hypergeometric (one uniform, inverted); the distinct total never passes the
        campaign's own pool.
        """
        self._cascaded[name] = self._cascaded.get(name, 0.0) + reach
        population = int(pool.reachable)
        announced = min(population, int(self._announced.get(name, 0.0)))
        overlap = 0
        if reach > 0 and announced > 0 and population > 0:
            u = float(self.streams.get("campaign.reach", day, name, "overlap").random())
            overlap = int(stats.hypergeom.ppf(max(u, 1e-300), population, announced, reach))
        room = pool.over - self._distinct.get(name, 0.0)  # over: the campaign's own pool
        new = int(max(0.0, min(reach - overlap, room)))
        self._distinct[name] = self._distinct.get(name, 0.0) + new
        self.reach.take(self.platform(c, sc), day, new, f"{name}/cascade")
        return new

    def warm_up(self, day: int, pools: dict[str, float] | None) -> None:
        """Run the warm-ups that start today (or started before the run, on day 0)."""
        for name, launch in self._warmups.items():
            c = self.timeline.days[launch].campaigns.get(name)
            if c is None or c.warmup is None or name in self._started:
                continue
            if max(0, launch - c.warmup.days) != day:
                continue
            self._started.add(name)
            sc = self.timeline.days[day]
            left = pools.get(c.channel) if pools is not None and c.channel is not None else None
            pool = self._pool(c, name, day, sc, left)
            w = run_warmup(
                c.warmup, sc.response, pool.reachable, pool.over, self.streams, launch, name
            )
            self._warm[name] = w
            cls = self.classes.index(c.message_class)
            per_day = self.scheduled.per_day
            for j, (aware, follows) in enumerate(
                zip(w.aware.tolist(), w.follows.tolist(), strict=True)
            ):
                d = w.first_day + j
                self._announced_to(c, name, d, sc, aware)
                rec = self.log.at(name, d)
                rec.reached += aware
                rec.aware += aware
                if d < day or follows <= 0:
                    continue  # before the run: they are among the initial fans
                self.scheduled.add_follows(
                    d, Follows(name, follows, c.source, c.gift_share, c.channel)
                )
                sent = follows * sc.response.warmup_messages_per_follow
                if sent > 0:  # spread evenly over the day (assumed)
                    means = np.full(per_day, sent / per_day)
                    self.scheduled.add_messages("campaign.warmup_messages", d * per_day, means, cls)

    def _promote(
        self, c: CampaignSpec, name: str, day: int, sc: Scenario, left: float | None
    ) -> tuple[int, int]:
        """(people reached, people who came) by the campaign's posts and paid reach."""
        p = c.promotion
        views = 0.0 if p is None else p.posts * p.reach_per_post + p.paid_reach
        if name in self._promoted or views <= 0:
            return 0, 0
        self._promoted.add(name)
        pool = self._pool(c, name, day, sc, left)
        u = self.streams.get("campaign.reach", day, name).random(2)
        p_reach = float(-np.expm1(-views / pool.over)) if pool.over > 0 else 0.0
        reached = binomial_at(float(u[0]), pool.reachable, p_reach)
        came = binomial_at(float(u[1]), reached, self._levers[name].outsider_take_up)
        self._announced_to(c, name, day, sc, reached)
        return reached, came

    def launch(
        self,
        day: int,
        campaigns: dict[str, CampaignSpec],
        drawn: tuple[Campaigning, ...],
        pools: dict[str, float] | None,
    ) -> tuple[Campaigning, ...]:
        """Add warm-up and promotion arrivals to today's participants; start today's cascades."""
        sc = self.timeline.days[day]
        days = len(self.timeline.days)
        out = []
        # what today's campaigns left of each channel's pool, before any arrivals
        remaining = dict(pools) if pools is not None else None
        for d in drawn:
            ch = campaigns[d.name].channel
            if remaining is not None and ch is not None:
                remaining[ch] = max(0.0, remaining.get(ch, 0.0) - d.new_fans.count)
        for d in drawn:
            c = campaigns[d.name]
            lev = self._levers[d.name]
            rec = self.log.at(d.name, day)
            left = None if c.channel is None or remaining is None else remaining[c.channel]
            extra = 0
            w = self._warm.pop(d.name, None)
            if w is not None and c.warmup is not None:
                join = c.warmup.join_share
                join = lev.outsider_take_up if join is None else join
                extra += launch_arrivals(w, join, self.streams, day)
            reached, came = self._promote(c, d.name, day, sc, left)
            rec.reached += reached
            extra += came
            if left is not None and remaining is not None and c.channel is not None:
                extra = min(extra, int(left))
                left = remaining[c.channel] = left - extra
            if extra:
                new = d.new_fans
                bigger = NewFans(
                    new.source, new.count + extra, new.gift_share, new.channel, new.start_minute
                )
                d = Campaigning(d.name, d.participants + extra, bigger)
            rec.participants += d.participants
            out.append(d)
            if c.cascade is None or d.participants <= 0:
                continue
            share = lev.share_probability(c.cascade.share_probability)
            spec = c.cascade.model_copy(update={"share_probability": share})
            pool = self._cascade_pool(c, d.name, day, sc, left)
            hours = min(c.cascade.max_days, days - day) * 24
            result = run_cascade(
                spec,
                d.participants,
                c.start.hour,
                pool.reachable,
                hours,
                self.streams,
                day,
                d.name,
                pool.over,
            )
            rec.reached += self._cascade_reached(c, d.name, day, sc, pool, result.reach)
            rec.shares += sum(g.sharers for g in result.generations)
            joined = result.joined_by_hour
            for k, n in enumerate(joined[: joined.size // 24 * 24].reshape(-1, 24).sum(1).tolist()):
                if n:
                    self.log.at(d.name, day + k).participants += n
            self.cascades.append(result)
            cls = self.classes.index(c.message_class)
            self.scheduled.add_joiners(
                day, d.name, c, result.joined_by_hour, result.follows_by_hour, cls
            )
        return tuple(out)
