"""Named random streams: one generator per mechanism, keyed by name, never by position.

Every stochastic mechanism asks for its own generator by a stream name and, where it acts per
day or per entity, by the day and the entity's name (a channel, a campaign, a message class):

    rng = streams.get("traffic.counts", day, "order")

The generator is `default_rng(SeedSequence(root, spawn_key=(replication, *key)))`, where the
key turns every name into a stable 32-bit number (the first four bytes of its SHA-256). So:
- adding a mechanism, a channel or a class never reshuffles the draws of the others (common
  random numbers survive model changes, which staffing search and strategy comparison rest on);
- replication r of root seed s is the same in any process or executor;
- nothing is ever seeded from the operating system: `Streams` needs an explicit root seed.

Streams are created on demand and not cached: a mechanism holds on to the generator it asked for
for as long as its draws must continue one sequence (e.g. one day of one class).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

__all__ = ["STREAMS", "Streams", "key_part"]

STREAMS = (
    "traffic.counts",  # Poisson counts of the everyday stream per interval (by day, class)
    "traffic.messages",  # each message's time in its interval, keyword coverage (by day, class)
    "traffic.handle",  # each message's handle time (by day, class)
    "traffic.patience",  # each message's patience (by day, class)
    "first_messages",  # new fans' first messages (by day, class)
    "inbound.counts",  # an inbound channel's Poisson counts per interval (by day, channel, class)
    "inbound.messages",  # its messages' times and keyword coverage (by day, channel, class)
    "inbound.handle",  # its messages' handle times (by day, channel, class)
    "inbound.patience",  # its messages' patience (by day, channel, class)
    "campaign.participants",  # who takes part and who follows to take part (by day, campaign)
    "campaign.burst",  # a campaign's burst messages (by day, campaign)
    "server.service",  # back-end service time per message (by day, source)
    "followers.follow",  # follows of one channel (by day, channel)
    "followers.gift",  # which new fans came for a gift (by day, source)
    "followers.unfollow",  # cohort unfollows, quantile-coupled (by day)
    "followers.unanswered",  # unfollows after an unanswered message (by day)
    "campaign.warmup",  # people a warm-up reached and who come at launch (by day, campaign)
    "campaign.warmup_messages",  # warm-up followers' messages (by day, class)
    "campaign.reach",  # people a campaign's promotion reached and who came (by day, campaign)
    "followers.tags",  # which leaving fans were a campaign's followers (by day, reason)
    "cascade.share",  # who shares: coupled marks (by day, campaign); task: sharers per generation
    "cascade.join",  # who joins and follows: coupled marks (by day, campaign); task: by generation
    "cascade.fanout",  # contacts per sharer: gamma sums, Poisson points (by day, campaign)
    "cascade.reach",  # pool members' reach thresholds (by day, campaign)
    "cascade.timing",  # task-fission outcomes; joiners' and followers' hours (by generation)
    "cascade.messages",  # joiners' messages (by day, class)
    "push.unfollow",  # one uniform per cohort cell, quantile-coupled (by day, push)
    "push.replies",  # replies to pushes (by day, class)
    "activation.replies",  # replies to the activation sequence (by day, class)
    "experiments.bootstrap",  # resampling replications to rank variants (by metric)
    "sizing.arrivals",  # server sizing: arrivals sampled from a profile CSV (no key)
    "sizing.service",  # server sizing: service times of those arrivals (no key)
    "fit.propose",  # ABC-SMC: prior draws, resampling and perturbation (by generation, batch)
    "fit.simulate",  # ABC-SMC: a candidate's simulation seed (by generation, candidate)
    "fit.draws",  # posterior draws for forecasts and outputs (by purpose)
)
"""Every stream name the model uses; `Streams.get` rejects any other (a typo is a bug)."""


def key_part(part: int | str) -> int:
    """A spawn-key element: integers as they are, names as a stable 32-bit hash."""
    if isinstance(part, int):
        if part < 0:
            raise ValueError(f"stream key integers must be >= 0 (got {part})")
        return part
    return int.from_bytes(hashlib.sha256(part.encode("utf-8")).digest()[:4], "little")


@dataclass(frozen=True)
class Streams:
    """The generators of one replication: root seed `seed`, replication index `replication`."""

    seed: int
    replication: int = 0

    def __post_init__(self) -> None:
        if self.seed < 0 or self.replication < 0:
            raise ValueError(
                f"seed(={self.seed}) and replication(={self.replication}) must be >= 0"
            )

    def sequence(self, name: str, *key: int | str) -> np.random.SeedSequence:
        """The seed sequence of stream `name` for `key` (e.g. a day and a class name)."""
        if name not in STREAMS:
            raise ValueError(f"unknown random stream {name!r}; add it to sim.model.rng.STREAMS")
        spawn_key = (self.replication, key_part(name), *(key_part(k) for k in key))
        return np.random.SeedSequence(self.seed, spawn_key=spawn_key)

    def get(self, name: str, *key: int | str) -> np.random.Generator:
        """A fresh generator for stream `name` and `key`; the same arguments give the same one."""
        return np.random.default_rng(self.sequence(name, *key))
