"""Cascades: participants pass a campaign on, generation by generation, drawn per cohort.

A share fission, a repost lottery (有奖转发) or a quiz fission is a branching process. The
participants of a campaign day are generation 0. In each generation g, counted for the whole
cohort, never per person:

1. sharers `S ~ Binomial(J_g, share_probability)` of the generation's `J_g` participants;
2. contacts `X`: the sum of S independent negative-binomial fan-outs (shape k, mean
   `contacts_mean`), which is exactly `NegBin(S k, k / (k + mean))`; Poisson without a shape;
3. people reached for the first time `R ~ Binomial(U, 1 - exp(-X / P))`, where P is the pool
   the shares fall on and U the part of it not yet reached: each of the U people escapes all X
   contacts, spread uniformly over the pool, with probability (1 - 1/P)^X ~ exp(-X/P) (this is
   the increment of the Sellke construction: a person is reached when the contact pressure X/P
   passes an exponential threshold). Without a pool every contact reaches someone new (R = X);
4. joiners `J_{g+1} ~ Binomial(R, join_probability)`, followers among them
   `Binomial(J_{g+1}, follow_probability)`.

Task fission ("invite n friends to unlock the prize") replaces 2-4: each sharer invites friends
one at a time, each joining with probability p (join_probability x the share of the pool not yet
reached), and stops at the n-th join or after `max_invites` invites. The outcome of one sharer
(joins, invites) takes n + (max_invites - n + 1) values with known probabilities, so the whole
cohort is one multinomial draw over them.

Every binomial, negative-binomial and Poisson count is drawn by inverting one uniform from the
campaign's own streams (quantile coupling, keyed by day, campaign and generation): under common
random numbers, more sharing gives at least as many sharers, contacts and joiners in every
generation of an unsaturated cascade (see docs/model.md for what saturation changes).

Timing: generation g+1 joins `delay` hours after generation g, with a gamma delay; the joiners
of a generation are placed on an hourly grid by one multinomial draw over the parent
generation's hours convolved with the delay distribution. Messages and follows follow that
grid across days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from sim.model.rng import Streams
from sim.scenario.spread import CascadeSpec

__all__ = ["CascadeResult", "Generation", "run_cascade"]

I64 = NDArray[np.int64]
TINY = 1e-300  # a uniform of exactly 0 would invert to -1


@dataclass(frozen=True)
class Generation:
    """One generation's counts: its participants and what their sharing brought."""

    index: int
    participants: int  # J_g (generation 0: the campaign's participants)
    follows: int  # followers among them (generation 0: counted by the campaign)
    sharers: int
    shares: int  # contacts (share/repost/quiz) or invites (task)
    reached: int  # people reached for the first time by those shares
    joined: int  # J_{g+1}: the next generation's participants
    passed_on: bool = True  # False for a last generation whose sharing was not followed

    @property
    def effective_r(self) -> float:
        """Next-generation participants per participant of this one."""
        return self.joined / self.participants if self.participants else float("nan")


@dataclass(frozen=True)
class CascadeResult:
    """A campaign day's cascade: its generations, and its joiners and followers by hour.

    The hourly grid starts at the launch day's midnight; it holds generations 1 and up (hours
    past the grid are not placed).
    """

    campaign: str
    day: int
    seeds: int
    pool: float | None
    generations: tuple[Generation, ...]
    joined_by_hour: I64
    follows_by_hour: I64

    @property
    def participants(self) -> int:
        """Everyone who took part: the seeds and every generation after them."""
        return self.seeds + sum(g.joined for g in self.generations)

    @property
    def follows(self) -> int:
        """Followers the cascade brought (generations 1 and up)."""
        return sum(g.follows for g in self.generations)

    @property
    def reach(self) -> int:
        """People reached for the first time."""
        return sum(g.reached for g in self.generations)

    @property
    def shares(self) -> int:
        """Contacts (or invites) sent."""
        return sum(g.shares for g in self.generations)

    @property
    def effective_r(self) -> float:
        """Joiners per participant over the generations that could pass it on."""
        parents = sum(g.participants for g in self.generations if g.passed_on)
        return (self.participants - self.seeds) / parents if parents else float("nan")


def _ppf(dist: stats.rv_discrete, u: float, *args: float) -> int:
    return int(dist.ppf(max(u, TINY), *args))


def _binomial(u: float, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    return n if p >= 1 else _ppf(stats.binom, u, n, p)


def _contacts(spec: CascadeSpec, u: float, sharers: int) -> int:
    mean = sharers * spec.contacts_mean
    if mean <= 0:
        return 0
    k = spec.contacts_dispersion
    if k is None:
        return _ppf(stats.poisson, u, mean)
    return _ppf(stats.nbinom, u, sharers * k, k / (k + spec.contacts_mean))


def _task(spec: CascadeSpec, rng: np.random.Generator, sharers: int, p: float) -> tuple[int, int]:
    """(joins, invites) of `sharers` doing task fission with join probability `p` per invite."""
    n, m = spec.invite_target or 1, spec.max_invites
    if sharers <= 0 or p <= 0:
        return 0, sharers * m
    # gave up: k < n joins among m invites; done: the n-th join came with invite j (n <= j <= m)
    short = stats.binom.pmf(np.arange(n), m, p)
    j = np.arange(n, m + 1)
    done = stats.nbinom.pmf(j - n, n, p)
    probs = np.concatenate([short, done])
    probs = probs / probs.sum()
    counts = rng.multinomial(sharers, probs)
    joins = int(counts[:n] @ np.arange(n)) + n * int(counts[n:].sum())
    invites = m * int(counts[:n].sum()) + int(counts[n:] @ j)
    return joins, invites


def _delay_pmf(spec: CascadeSpec, hours: int) -> NDArray[np.float64]:
    shape = 1.0 / spec.delay_hours_cv**2
    scale = spec.delay_hours_mean / shape
    cdf = stats.gamma.cdf(np.arange(hours + 1, dtype=float), shape, scale=scale)
    return np.asarray(np.diff(cdf), np.float64)


def _place(
    rng: np.random.Generator, count: int, parents: NDArray[np.float64], delay: NDArray[np.float64]
) -> I64:
    """Hours of `count` children of parents spread as `parents`, each after a drawn delay."""
    hours = parents.size
    if count <= 0 or parents.sum() <= 0:
        return np.zeros(hours, np.int64)
    pmf = np.convolve(parents / parents.sum(), delay)[:hours]
    probs = np.append(pmf, max(0.0, 1.0 - pmf.sum()))  # last: past the grid
    return rng.multinomial(count, probs / probs.sum())[:hours].astype(np.int64)


def run_cascade(
    spec: CascadeSpec,
    seeds: int,
    seed_hour: int,
    pool: float | None,
    hours: int,
    streams: Streams,
    day: int,
    name: str,
) -> CascadeResult:
    """The cascade of `seeds` participants starting in hour `seed_hour` of day `day`.

    `pool` is the number of people the shares can reach (None: unlimited); `hours` is the
    length of the hourly grid from the launch day's midnight.
    """
    delay = _delay_pmf(spec, hours)
    parents = np.zeros(hours, np.float64)
    parents[min(max(seed_hour, 0), hours - 1)] = 1.0
    joined_by_hour = np.zeros(hours, np.int64)
    follows_by_hour = np.zeros(hours, np.int64)
    unreached = pool
    generations: list[Generation] = []
    current, current_follows = seeds, 0
    for g in range(spec.max_generations):
        if current <= 0:
            break
        u_share = streams.get("cascade.share", day, name, g).random(2)
        u_join = streams.get("cascade.join", day, name, g).random(3)
        timing = streams.get("cascade.timing", day, name, g)
        sharers = _binomial(float(u_share[0]), current, spec.share_probability)
        if spec.kind == "task":
            fresh = 1.0 if unreached is None or not pool else unreached / pool
            joins, shares = _task(spec, timing, sharers, spec.join_probability * fresh)
        else:
            shares = _contacts(spec, float(u_share[1]), sharers)
        if unreached is None or pool is None:
            reached = shares
        else:
            p_reach = float(-np.expm1(-shares / pool)) if pool > 0 else 0.0
            reached = _binomial(float(u_join[0]), int(unreached), p_reach)
            unreached = max(0.0, unreached - reached)
        if spec.kind == "task":
            joined = min(joins, reached)  # an invite to someone already reached brings nobody
        else:
            joined = _binomial(float(u_join[1]), reached, spec.join_probability)
        follows = _binomial(float(u_join[2]), joined, spec.follow_probability)
        generations.append(
            Generation(g, current, current_follows, sharers, shares, reached, joined)
        )
        placed = _place(timing, joined, parents, delay)
        if placed.sum() > 0:
            picked = timing.multivariate_hypergeometric(placed, min(follows, int(placed.sum())))
            follows_by_hour += picked.astype(np.int64)
        joined_by_hour += placed
        parents = placed.astype(np.float64)
        current, current_follows = joined, follows
    if current > 0:  # the last generation followed, with no further sharing drawn
        last = Generation(len(generations), current, current_follows, 0, 0, 0, 0, False)
        generations.append(last)
    return CascadeResult(
        name, day, seeds, pool, tuple(generations), joined_by_hour, follows_by_hour
    )
