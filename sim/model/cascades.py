"""Cascades: participants pass a campaign on, generation by generation, drawn per cohort.

A share fission, a repost lottery (有奖转发) or a quiz fission is a branching process. The
participants of a campaign day are generation 0. Every count is cumulative, never per person
and never drawn afresh per generation: participants are numbered in the order they joined
(seeds first), and after generation g

1. sharers = the marked among the first (seeds + joiners so far) participants, each marked
   with `share_probability`;
2. contacts = the fan-outs of those sharers added up: points of a unit Poisson process up to
   sharers x `contacts_mean` (Poisson fan-outs), or up to a gamma sum of shape k per sharer,
   scaled by mean / k (negative-binomial fan-outs of shape k, exactly);
3. reached = people of the pool P whose Exp(1) threshold lies below the contact pressure
   contacts / P (the Sellke construction: contacts spread uniformly over the pool, so a
   saturating cascade follows the final-size equation), the thresholds taken in order
   (`ReachOrder`) so that a larger pool never reaches fewer; without a pool every contact is a
   new person (reached = contacts);
4. joiners = the marked (`join_probability`) among the reached, in the order they were
   reached; followers = the marked (`follow_probability`) among the joiners.

A generation's counts are the differences of consecutive cumulative ones. Each step is a fixed
random non-decreasing function of its argument, realised once per replication from the
campaign's streams (`sim.model.coupled`), so under common random numbers more sharing (a higher
`share_probability` or `contacts_mean`) never gives fewer sharers, contacts, reached people,
joiners or followers so far, at any generation, saturating or not; nor does a larger pool
give fewer reached.

Task fission ("invite n friends to unlock the prize") replaces 2-4: each sharer invites friends
one at a time, each joining with probability p (join_probability x the share of the pool not yet
reached), and stops at the n-th join or after `max_invites` invites. The outcome of one sharer
(joins, invites) takes n + (max_invites - n + 1) values with known probabilities, so the whole
cohort is one multinomial draw over them, generation by generation (not coupled).

Timing: generation g+1 joins `delay` hours after generation g, with a gamma delay; the joiners
of a generation are placed on an hourly grid by one multinomial draw over the parent
generation's hours convolved with the delay distribution. Messages and follows follow that
grid across days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from sim.errors import Problem, ScenarioError
from sim.model.coupled import GammaSums, Marks, PoissonPoints, ReachOrder
from sim.model.rng import Streams
from sim.pmf import binomial_pmf, negative_binomial_pmf
from sim.scenario.bounds import MAX_FANS
from sim.scenario.spread import CascadeSpec

__all__ = ["EARLY_GENERATIONS", "CascadeResult", "Generation", "early_r", "run_cascade"]

I64 = NDArray[np.int64]
TINY = 1e-300  # a uniform of exactly 0 would invert to -1
EARLY_GENERATIONS = 3
"""Generations a cascade's early R is measured over: enough seeds' offspring to be precise,
few enough that the pool is still fresh."""


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


def early_r(cascades: Iterable[CascadeResult]) -> float:
    """Joiners per participant over the first `EARLY_GENERATIONS` generations, pooled.

    In a fresh pool this estimates the reproduction number R of any kind of cascade
    (`sim.analytic.branching.reproduction_number`), whose tipping point is 1. NaN where no
    generation passed on.
    """
    joined = parents = 0
    for c in cascades:
        for g in c.generations[:EARLY_GENERATIONS]:
            if g.passed_on:
                joined += g.joined
                parents += g.participants
    return joined / parents if parents else float("nan")


def _binomial(u: float, n: int, p: float) -> int:
    """The Binomial(n, p) count at quantile `u` (task fission's per-generation draws)."""
    if n <= 0 or p <= 0:
        return 0
    return n if p >= 1 else int(stats.binom.ppf(max(u, TINY), n, p))


def _closed(generations: list[Generation], current: int, follows: int) -> list[Generation]:
    """`generations` with the last one appended: it joined and followed, its sharing not drawn."""
    if current > 0:
        generations.append(Generation(len(generations), current, follows, 0, 0, 0, 0, False))
    return generations


def _task(spec: CascadeSpec, rng: np.random.Generator, sharers: int, p: float) -> tuple[int, int]:
    """(joins, invites) of `sharers` doing task fission with join probability `p` per invite."""
    n, m = spec.invite_target or 1, spec.max_invites
    if sharers <= 0 or p <= 0:
        return 0, sharers * m
    # gave up: k < n joins among m invites; done: the n-th join came with invite j (n <= j <= m)
    short = binomial_pmf(np.arange(n), m, p)
    j = np.arange(n, m + 1)
    done = negative_binomial_pmf(j - n, n, p)
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


class _Spread:
    """The cumulative counts of a share, repost or quiz cascade, as coupled processes.

    Participants are numbered in the order they joined (the seeds first), people of the pool
    in the order the contact pressure reaches them. Every count below is a non-decreasing
    function of a cumulative argument (`sim.model.coupled`).
    """

    def __init__(
        self,
        spec: CascadeSpec,
        pool: float | None,
        streams: Streams,
        day: int,
        name: str,
        over: float | None = None,
    ) -> None:
        key = (day, name)
        self.spec = spec
        self.pool = pool
        # contacts fall uniformly on `over` people, of whom the `pool` can still be reached
        self.over = pool if over is None or pool is None else max(over, pool)
        self.share = Marks(streams, "cascade.share", (*key, "share"), spec.share_probability)
        self.join = Marks(streams, "cascade.join", (*key, "join"), spec.join_probability)
        self.follow = Marks(streams, "cascade.join", (*key, "follow"), spec.follow_probability)
        self.contacts = PoissonPoints(streams, "cascade.fanout", (*key, "contacts"))
        k = spec.contacts_dispersion
        self.fanout = None if k is None else GammaSums(streams, "cascade.fanout", key, k)
        # whole people: a fraction of a pool neither reaches nor spreads (keeps reach monotone)
        self.order = (
            None
            if pool is None or self.over is None
            else ReachOrder(streams, "cascade.reach", key, int(pool), int(self.over))
        )

    def contacts_of(self, sharers: int) -> int:
        """Contacts made by the first `sharers` sharers (Poisson or negative-binomial fan-outs)."""
        mean = self.spec.contacts_mean
        if sharers <= 0 or mean <= 0:
            return 0
        if self.fanout is None:
            return self.contacts.count(sharers * mean)
        k = self.spec.contacts_dispersion or 1.0
        return self.contacts.count(self.fanout.total(sharers) * mean / k)

    def reached_by(self, contacts: int) -> int:
        """People reached once `contacts` contacts fell uniformly on the pool (Sellke).

        Person i of the pool is reached when the pressure contacts / over passes an Exp(1)
        threshold T_i; the thresholds are taken in order (`ReachOrder`), so a larger pool never
        reaches fewer people under common random numbers.
        """
        if self.order is None:
            return contacts
        return self.order.count(contacts)


def _spread_generations(
    spec: CascadeSpec,
    seeds: int,
    pool: float | None,
    streams: Streams,
    day: int,
    name: str,
    over: float | None = None,
) -> list[Generation]:
    """Generations of a share/repost/quiz cascade from cumulative coupled counts."""
    spread = _Spread(spec, pool, streams, day, name, over)
    generations: list[Generation] = []
    shared = contacted = reached = joined = followed = 0
    participants = seeds  # generations 0..g together
    current, current_follows = seeds, 0
    for g in range(spec.max_generations):
        if current <= 0:
            break
        all_sharers = spread.share.count(participants)
        all_contacts = spread.contacts_of(all_sharers)
        all_reached = spread.reached_by(all_contacts)
        if all_reached > MAX_FANS:
            rule = (
                f"reached more than {MAX_FANS:,} people by generation {g} with no pool to "
                "saturate; give cascade.pool (the people its shares can reach)"
            )
            raise ScenarioError([Problem(f"campaigns.{name}.cascade.pool", rule)])
        all_joined = spread.join.count(all_reached)
        all_followed = spread.follow.count(all_joined)
        generations.append(
            Generation(
                g,
                current,
                current_follows,
                all_sharers - shared,
                all_contacts - contacted,
                all_reached - reached,
                all_joined - joined,
            )
        )
        current, current_follows = all_joined - joined, all_followed - followed
        shared, contacted, reached = all_sharers, all_contacts, all_reached
        joined, followed = all_joined, all_followed
        participants = seeds + joined
    return _closed(generations, current, current_follows)


def _task_generations(
    spec: CascadeSpec,
    seeds: int,
    pool: float | None,
    streams: Streams,
    day: int,
    name: str,
    over: float | None = None,
) -> list[Generation]:
    """Generations of a task fission, drawn generation by generation."""
    unreached = pool
    spread = pool if over is None or pool is None else max(over, pool)
    generations: list[Generation] = []
    current, current_follows = seeds, 0
    for g in range(spec.max_generations):
        if current <= 0:
            break
        u_share = streams.get("cascade.share", day, name, g).random(2)
        u_join = streams.get("cascade.join", day, name, g).random(3)
        timing = streams.get("cascade.timing", day, name, g)
        sharers = _binomial(float(u_share[0]), current, spec.share_probability)
        fresh = 1.0 if unreached is None or not spread else unreached / spread
        joins, shares = _task(spec, timing, sharers, spec.join_probability * fresh)
        if unreached is None or pool is None:
            reached = shares
        else:
            p_reach = float(-np.expm1(-shares / spread)) if spread else 0.0
            reached = _binomial(float(u_join[0]), int(unreached), p_reach)
            unreached = max(0.0, unreached - reached)
        joined = min(joins, reached)  # an invite to someone already reached brings nobody
        follows = _binomial(float(u_join[2]), joined, spec.follow_probability)
        generations.append(
            Generation(g, current, current_follows, sharers, shares, reached, joined)
        )
        current, current_follows = joined, follows
    return _closed(generations, current, current_follows)


def run_cascade(
    spec: CascadeSpec,
    seeds: int,
    seed_hour: int,
    pool: float | None,
    hours: int,
    streams: Streams,
    day: int,
    name: str,
    over: float | None = None,
) -> CascadeResult:
    """The cascade of `seeds` participants starting in hour `seed_hour` of day `day`.

    `pool` is the number of people the shares can reach (None: unlimited); the contacts fall
    uniformly on `over` people (default: the pool), the others being already reached or tired;
    `hours` is the length of the hourly grid from the launch day's midnight.
    """
    draw = _task_generations if spec.kind == "task" else _spread_generations
    generations = draw(spec, seeds, pool, streams, day, name, over)
    joined_by_hour, follows_by_hour = _timing(
        spec, generations, seed_hour, hours, streams, day, name
    )
    return CascadeResult(
        name, day, seeds, pool, tuple(generations), joined_by_hour, follows_by_hour
    )


def _timing(
    spec: CascadeSpec,
    generations: list[Generation],
    seed_hour: int,
    hours: int,
    streams: Streams,
    day: int,
    name: str,
) -> tuple[I64, I64]:
    """Joiners and followers by hour: each generation placed after its parents' hours."""
    delay = _delay_pmf(spec, hours)
    parents = np.zeros(hours, np.float64)
    parents[min(max(seed_hour, 0), hours - 1)] = 1.0
    joined_by_hour = np.zeros(hours, np.int64)
    follows_by_hour = np.zeros(hours, np.int64)
    for g, (gen, child) in enumerate(pairwise(generations)):
        timing = streams.get("cascade.timing", day, name, g, "hours")
        placed = _place(timing, gen.joined, parents, delay)
        if placed.sum() > 0:
            picked = timing.multivariate_hypergeometric(
                placed, min(child.follows, int(placed.sum()))
            )
            follows_by_hour += picked.astype(np.int64)
        joined_by_hour += placed
        parents = placed.astype(np.float64)
    return joined_by_hour, follows_by_hour
