"""Server sizing: the fewest back-end instances that survive a surge, three ways side by side.

The surge is every message that reaches the back end in the scenario's campaign windows (or
arrivals sampled from a profile CSV), each with a service time drawn once (from a load test's
measured sample, or fixed at workers / capacity when only a capacity is known), so every
candidate sees the same messages (common random numbers). A candidate is a number of instances;
it passes when the share of messages that failed all deliveries is at most `max_failed` and the
p99 response of the requests the back end took (wait + service, what WeChat waits for) is
within `p99_seconds`. Three back ends are sized: plain synchronous replies; with
de-duplication of repeated MsgIds; with asynchronous replies (acknowledge at once, answer from
background workers, whose answer time is reported beside, since fans wait for it).

Search: a gallop from a guess (the busiest 5 seconds' work spread over the workers) to bracket
the answer, then bisection: the fewest n that passes with n - 1 failing. The server model is
monotone in workers except in rare cases with a waiting room (see `sim.model.server`), so
the bracketed boundary is the fewest in practice; both neighbours are reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.errors import Problem, ScenarioError
from sim.model.engine import RunSpec
from sim.model.replay import sample_traffic
from sim.model.rng import Streams
from sim.model.server import FAILED, REPLIES, BackEnd, Reply, serve
from sim.scenario.load import scenario_from_dict
from sim.scenario.schema import Scenario
from sim.scenario.timeline import resolve_timeline
from sim.staffing.measurements import Profile

__all__ = [
    "VARIANTS",
    "BackEnd",
    "Sizing",
    "SizingTarget",
    "Surge",
    "Trial",
    "size_servers",
    "surge_from_profile",
    "surge_from_scenario",
    "try_instances",
]

F64 = NDArray[np.float64]
Variant = Reply  # how the candidate back end replies
VARIANTS = REPLIES
MAX_INSTANCES = 100_000  # a surge that needs more is a mistake in the inputs
_PEAK_SECONDS = 5.0  # the guess spreads the busiest stretch of this length over the workers


@dataclass(frozen=True)
class Surge:
    """First deliveries (s, sorted) and their service times (s), one pair per replication."""

    arrival_s: tuple[F64, ...]
    service_s: tuple[F64, ...]


@dataclass(frozen=True)
class SizingTarget:
    """Highest share of failed messages and highest p99 response (s) allowed."""

    max_failed: float
    p99_seconds: float


@dataclass(frozen=True)
class Trial:
    """One candidate served on the surge, pooled over replications."""

    instances: int
    messages: int
    requests: int
    failed: int
    p99_seconds: float  # requests the back end took: wait + service (async: the acknowledgement)
    answer_p99_seconds: float  # arrival to the answer leaving, over answered messages

    @property
    def failed_share(self) -> float:
        """Share of messages that failed every delivery."""
        return self.failed / self.messages if self.messages else 0.0

    def passes(self, target: SizingTarget) -> bool:
        """Failed share and p99 within the target."""
        p99_ok = math.isnan(self.p99_seconds) or self.p99_seconds <= target.p99_seconds
        return self.failed_share <= target.max_failed and p99_ok


@dataclass(frozen=True)
class Sizing:
    """The answer for one back end: fewest instances, that trial and the one below it."""

    variant: Variant
    workers_per_instance: int
    instances: int
    at: Trial
    below: Trial | None  # instances - 1 (None when the answer is 1)
    trials: int  # candidates simulated


def surge_from_scenario(
    scenario: Scenario, seed: int, replications: int, service: dict[str, Any], workers: int
) -> tuple[Scenario, Surge]:
    """Sample the campaign windows' messages with service times drawn from `service`.

    `service` is a distribution table (`{"dist": "empirical", "values": [...]}`); the scenario
    gets it as its server's service time (a server with `workers` per instance is added when it
    has none). Returns the variant scenario (for provenance) and the surge.
    """
    if not any(sc.campaigns for sc in resolve_timeline(scenario).days):
        rule = "the scenario has no campaign window to size servers for"
        raise ScenarioError([Problem("campaigns", rule)], scenario.scenario.name)
    raw = scenario.model_dump(mode="json")
    base = raw.get("server") or {"instances": 1, "workers_per_instance": workers}
    raw["server"] = {**base, "service_time_seconds": service}
    variant = scenario_from_dict(raw, scenario.scenario.name)
    arrivals, services = [], []
    for r in range(replications):
        windows = sample_traffic(RunSpec(variant, seed, r)).result.windows
        arrivals.append(np.concatenate([w.arrival_s for w in windows]))
        services.append(np.concatenate([w.service_s for w in windows]))
    return variant, Surge(tuple(arrivals), tuple(services))


def surge_from_profile(
    profile: Profile,
    seed: int,
    replications: int,
    service: Callable[[np.random.Generator, int], F64],
) -> Surge:
    """Non-homogeneous Poisson arrivals from the profile's rates, each second uniform inside.

    `service(rng, n)` draws n service times (s). Replication r uses the named streams of
    (seed, r), so the same seed gives the same surge.
    """
    arrivals, services = [], []
    for r in range(replications):
        streams = Streams(seed, r)
        g = streams.get("sizing.arrivals")
        counts = g.poisson(profile.rate)
        t = np.repeat(profile.offset_s, counts) + g.random(int(counts.sum()))
        t.sort()
        arrivals.append(t)
        services.append(service(streams.get("sizing.service"), t.size))
    return Surge(tuple(arrivals), tuple(services))


def try_instances(surge: Surge, back_end: BackEnd, variant: Variant, instances: int) -> Trial:
    """Serve the surge with `instances` of `back_end` run as `variant`."""
    messages = requests = failed = 0
    responses, answers = [], []
    for arrival, service in zip(surge.arrival_s, surge.service_s, strict=True):
        rec = serve(arrival, service, back_end, instances, variant)
        messages += rec.outcome.size
        requests += rec.request_time.size
        failed += int((rec.outcome == FAILED).sum())
        responses.append(rec.request_response[~rec.request_refused])
        wait = rec.answered_at - arrival
        answers.append(wait[~np.isnan(wait)])
    resp, ans = np.concatenate(responses), np.concatenate(answers)
    p99 = float(np.quantile(resp, 0.99)) if resp.size else float("nan")
    answer = float(np.quantile(ans, 0.99)) if ans.size else float("nan")
    return Trial(instances, messages, requests, failed, p99, answer)


def _guess(surge: Surge, back_end: BackEnd, variant: Variant) -> int:
    """The busiest 5 seconds' work (first deliveries only) over one instance's workers."""
    best = 0.0
    for arrival, service in zip(surge.arrival_s, surge.service_s, strict=True):
        if not arrival.size:
            continue
        per = service if variant != "async" else np.full(arrival.size, back_end.ack_seconds)
        slot = ((arrival - arrival[0]) // _PEAK_SECONDS).astype(np.int64)
        work = np.bincount(slot, per)
        best = max(best, float(work.max()) / _PEAK_SECONDS)
    return max(1, math.ceil(best / back_end.workers_per_instance))


def size_servers(surge: Surge, back_end: BackEnd, variant: Variant, target: SizingTarget) -> Sizing:
    """Fewest instances of `back_end` (run as `variant`) meeting `target` on `surge`."""
    trials: dict[int, Trial] = {}

    def passes(n: int) -> bool:
        if n < 1:
            return False
        if n not in trials:
            trials[n] = try_instances(surge, back_end, variant, n)
        return trials[n].passes(target)

    guess = _guess(surge, back_end, variant)
    step = 1
    if passes(guess):
        hi, lo = guess, guess - 1
        while passes(lo):
            hi, step = lo, step * 2
            lo = max(0, hi - step)
    else:
        lo, hi = guess, guess + 1
        while not passes(hi):
            if hi >= MAX_INSTANCES:
                rule = f"needs more than {MAX_INSTANCES:,} instances; check the capacity or sample"
                raise ScenarioError([Problem("instances", rule, hi, True)])
            lo, step = hi, step * 2
            hi = min(MAX_INSTANCES, lo + step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if passes(mid):
            hi = mid
        else:
            lo = mid
    below = trials.get(hi - 1)  # bisection leaves hi - 1 simulated (and failing) when >= 1
    return Sizing(variant, back_end.workers_per_instance, hi, trials[hi], below, len(trials))
