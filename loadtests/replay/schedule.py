"""When each message of a replay is meant to be sent: a seeded open arrival schedule.

Fans and WeChat's retries do not wait for the back end, so the replay is an open workload: the
arrival times are fixed before the run, from the profile alone, and never from responses. Within
one profile second the rate is constant, so per class the arrivals of that second are a Poisson
count placed uniformly: exactly a non-homogeneous Poisson process with a piecewise-constant
rate. `scale` multiplies the rate; `speedup` compresses time (profile second j is replayed in
1/speedup wall seconds, with all its messages), so a 2-hour surge fits a short run.

Distributed runs split the schedule: worker i of N draws its own Poisson process at 1/N of the
rate from its own streams (keyed by run seed, N, i and class name). The superposition of N
independent Poisson processes at rate r/N is a Poisson process at rate r, so N workers together
offer the profile, and each worker's schedule is a pure function of (seed, N, i). MsgIds are
`msg_base + k * N + i`: unique across workers without talking to each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from loadtests.replay.profile import Profile
from sim.model.rng import key_part

__all__ = ["Arrivals", "ReplayPlan", "arrival_schedule"]


@dataclass(frozen=True)
class ReplayPlan:
    """What to replay and how: the parameters every worker of a run shares."""

    scale: float = 1.0  # multiplies the profile's rates
    speedup: float = 1.0  # profile seconds per wall second
    start: int = 0  # first profile second replayed
    duration: float | None = None  # wall seconds (default: to the profile's end)
    seed: int = 0
    workers: int = 1
    fans: int = 100_000  # size of the simulated fan pool (FromUserName)
    subscribe_share: float = 0.0  # share of arrivals that are subscribe events
    msg_base: int = 0  # MsgId of the first message (make it unique per run)

    def __post_init__(self) -> None:
        checks = (
            (self.scale > 0, f"scale(={self.scale}) must be > 0"),
            (self.speedup > 0, f"speedup(={self.speedup}) must be > 0"),
            (self.start >= 0, f"start(={self.start}) must be >= 0"),
            (self.duration is None or self.duration > 0, f"duration(={self.duration}) must be > 0"),
            (self.seed >= 0, f"seed(={self.seed}) must be >= 0"),
            (self.workers >= 1, f"workers(={self.workers}) must be >= 1"),
            (self.fans >= 1, f"fans(={self.fans}) must be >= 1"),
            (0 <= self.subscribe_share <= 1, "subscribe_share must be in [0, 1]"),
            (self.msg_base >= 0, f"msg_base(={self.msg_base}) must be >= 0"),
        )
        for ok, rule in checks:
            if not ok:
                raise ValueError(rule)

    def window(self, profile: Profile) -> tuple[int, NDArray[np.float64]]:
        """(first profile second, share of each replayed profile second inside the duration)."""
        if self.start >= profile.seconds:
            raise ValueError(f"start(={self.start}) is past the profile's {profile.seconds} s")
        available = profile.seconds - self.start
        span = available if self.duration is None else min(available, self.duration * self.speedup)
        n = int(np.ceil(span))
        share = np.clip(span - np.arange(n, dtype=np.float64), 0.0, 1.0)
        return self.start, share

    def expected(self, profile: Profile) -> float:
        """Messages all workers together are expected to offer."""
        first, share = self.window(profile)
        rates = profile.total[first : first + share.size]
        return float(self.scale * (rates * share).sum())

    def wall_seconds(self, profile: Profile) -> float:
        """Length of the replay in wall seconds."""
        return float(self.window(profile)[1].sum() / self.speedup)


@dataclass(frozen=True)
class Arrivals:
    """One worker's messages in intended-send order; times in wall seconds from the start."""

    intended: NDArray[np.float64]
    cls: NDArray[np.int64]  # index into classes
    fan: NDArray[np.int64]  # index into the fan pool
    subscribe: NDArray[np.bool_]  # a subscribe event rather than a text message
    msg_id: NDArray[np.int64]
    classes: tuple[str, ...]
    expected: float  # this worker's expected count (the sample's mean)

    @property
    def size(self) -> int:
        """Number of messages."""
        return int(self.intended.size)

    def rows(self, chunk: int = 4096) -> Iterator[tuple[float, str, int, int, bool]]:
        """(intended, class name, MsgId, fan index, subscribe) per message, in order.

        Plain Python values, converted a chunk at a time: the dispatcher reads one per arrival,
        and indexing numpy arrays element by element costs more than the rest of its loop.
        """
        for lo in range(0, self.size, chunk):
            part = slice(lo, lo + chunk)
            yield from zip(
                self.intended[part].tolist(),
                [self.classes[k] for k in self.cls[part].tolist()],
                self.msg_id[part].tolist(),
                self.fan[part].tolist(),
                self.subscribe[part].tolist(),
                strict=True,
            )


def _stream(plan: ReplayPlan, worker: int, *name: str) -> np.random.Generator:
    key = (key_part("replay"), plan.workers, worker, *(key_part(n) for n in name))
    return np.random.default_rng(np.random.SeedSequence(plan.seed, spawn_key=key))


def arrival_schedule(profile: Profile, plan: ReplayPlan, worker: int = 0) -> Arrivals:
    """Worker `worker`'s share of the replay: a pure function of the profile, plan and index."""
    if not 0 <= worker < plan.workers:
        raise ValueError(f"worker(={worker}) must be in 0..{plan.workers - 1}")
    first, share = plan.window(profile)
    slot = np.arange(share.size, dtype=np.float64)
    times: list[NDArray[np.float64]] = []
    classes: list[NDArray[np.int64]] = []
    for k, name in enumerate(profile.classes):
        rng = _stream(plan, worker, "arrivals", name)
        mean = plan.scale * profile.rates[first : first + share.size, k] * share / plan.workers
        count = rng.poisson(mean)
        at = np.repeat(slot, count) + rng.random(int(count.sum())) * np.repeat(share, count)
        times.append(at / plan.speedup)
        classes.append(np.full(at.size, k, np.int64))
    intended = np.concatenate(times)
    order = np.argsort(intended, kind="stable")
    n = int(intended.size)
    fan = _stream(plan, worker, "fans").integers(0, plan.fans, n)
    subscribe = _stream(plan, worker, "subscribe").random(n) < plan.subscribe_share
    expected = plan.expected(profile) / plan.workers
    return Arrivals(
        intended=intended[order],
        cls=np.concatenate(classes)[order],
        fan=fan.astype(np.int64),
        subscribe=subscribe,
        msg_id=plan.msg_base + np.arange(n, dtype=np.int64) * plan.workers + worker,
        classes=profile.classes,
        expected=expected,
    )
