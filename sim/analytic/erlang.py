"""Analytic queueing formulas for a pool of identical agents (no simulation).

The staffing planner uses these closed forms to check how many agents a forecast needs, and
the discrete-event simulator is validated against them: with exponential inter-arrival,
handling and patience times its long-run statistics must converge to the numbers here.

* :class:`ErlangC` - M/M/c, FCFS, customers never give up (the textbook staffing model).
* :class:`ErlangA` - M/M/c+M (Palm), customers abandon after an exponential patience; it is
  stable at any load, so it also describes overloaded intervals.
* :func:`erlang_b` and :func:`agents_for_service_level` - helpers for sizing.

All rates share one time unit (e.g. per minute) and times are in that unit.  Everything is
computed with recursions or in log-space so that pools with thousands of agents neither
overflow nor lose precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
from scipy.special import betainc, logsumexp

__all__ = ["ErlangA", "ErlangC", "MMcK", "agents_for_service_level", "erlang_b"]

_TAIL_TOLERANCE = 1e-14
"""Upper bound on the stationary probability mass dropped when truncating the Erlang A chain."""

_MAX_QUEUE_STATES = 5_000_000
"""Refuse Erlang A chains whose queue would need more states than this (memory guard)."""


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, int | float | np.floating | np.integer) and math.isfinite(value)):
        raise ValueError(f"{name}(={value!r}) must be a finite number")
    if value <= 0:
        raise ValueError(f"{name}(={value!r}) must be > 0")


def _check_count(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name}(={value!r}) must be an integer")
    if value < minimum:
        raise ValueError(f"{name}(={value!r}) must be >= {minimum}")


def _check_time(t: float) -> None:
    if math.isnan(t) or t < 0:
        raise ValueError(f"t(={t!r}) must be >= 0")


def _next_erlang_b(load: float, agents: int, previous: float) -> float:
    """Step B(c-1) -> B(c); every factor is <= 1, so it never overflows."""
    return load * previous / (agents + load * previous)


def _erlang_c_from_b(load: float, agents: int, blocking: float) -> float:
    """Convert Erlang B to Erlang C for the same load and agent count (requires load < agents)."""
    return agents * blocking / (agents - load * (1.0 - blocking))


def erlang_b(load: float, agents: int) -> float:
    """Return the blocking probability of an M/M/c/c loss system with ``load`` Erlangs.

    Uses the recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)), which is exact, stable and
    linear in ``agents`` (the factorial formula overflows beyond ~170 agents).
    """
    if not (math.isfinite(load) and load >= 0):
        raise ValueError(f"load(={load!r}) must be a finite number >= 0")
    _check_count("agents", agents, 0)
    blocking = 1.0
    for k in range(1, int(agents) + 1):
        blocking = _next_erlang_b(load, k, blocking)
    return blocking


@dataclass(frozen=True)
class ErlangC:
    """M/M/c queue with FCFS service and infinitely patient customers.

    Needs ``arrival_rate < agents * service_rate``; otherwise the queue grows without bound and
    none of the steady-state quantities exist, so construction fails.
    """

    arrival_rate: float
    service_rate: float
    agents: int

    def __post_init__(self) -> None:
        _check_positive("arrival_rate", self.arrival_rate)
        _check_positive("service_rate", self.service_rate)
        _check_count("agents", self.agents, 1)
        if self.offered_load >= self.agents:
            raise ValueError(
                f"arrival_rate(={self.arrival_rate!r}) / service_rate(={self.service_rate!r}) "
                f"must be < agents(={self.agents!r}) for a stable M/M/c queue"
            )

    @property
    def offered_load(self) -> float:
        """Offered load a = lambda / mu in Erlangs (the mean number of busy agents)."""
        return self.arrival_rate / self.service_rate

    @property
    def utilization(self) -> float:
        """Fraction of time an agent is busy, rho = a / c."""
        return self.offered_load / self.agents

    @property
    def prob_wait(self) -> float:
        """Erlang C probability that an arrival has to queue, P(W > 0)."""
        a = self.offered_load
        return _erlang_c_from_b(a, self.agents, erlang_b(a, self.agents))

    @property
    def _drain_rate(self) -> float:
        """Rate c*mu - lambda of the exponential tail of the waiting time."""
        return self.agents * self.service_rate - self.arrival_rate

    @property
    def mean_wait(self) -> float:
        """Mean queueing delay over all arrivals, E[W] = C / (c mu - lambda)."""
        return self.prob_wait / self._drain_rate

    @property
    def mean_queue_length(self) -> float:
        """Mean number waiting (not in service), lambda E[W] by Little's law."""
        return self.arrival_rate * self.mean_wait

    def service_level(self, t: float) -> float:
        """Return P(W <= t) = 1 - C exp(-(c mu - lambda) t): the share answered within ``t``."""
        _check_time(t)
        return 1.0 - self.prob_wait * math.exp(-self._drain_rate * t)

    def wait_quantile(self, p: float) -> float:
        """Return the smallest t with P(W <= t) >= p, for 0 <= p < 1 (0 if p <= 1 - C)."""
        if math.isnan(p) or not 0.0 <= p < 1.0:
            raise ValueError(f"p(={p!r}) must satisfy 0 <= p < 1")
        c_prob = self.prob_wait
        if 1.0 - p >= c_prob:
            return 0.0
        return math.log(c_prob / (1.0 - p)) / self._drain_rate


def agents_for_service_level(
    arrival_rate: float, service_rate: float, target_time: float, target_level: float
) -> int:
    """Return the fewest agents giving a stable Erlang C queue with P(W <= target_time) >= level.

    This is the classic "80% answered within 20 s" staffing rule.  Erlang B is advanced one
    agent at a time, so the whole search costs O(answer) rather than O(answer^2).
    """
    _check_positive("arrival_rate", arrival_rate)
    _check_positive("service_rate", service_rate)
    if not (math.isfinite(target_time) and target_time >= 0):
        raise ValueError(f"target_time(={target_time!r}) must be a finite number >= 0")
    if math.isnan(target_level) or not 0.0 <= target_level < 1.0:
        raise ValueError(f"target_level(={target_level!r}) must satisfy 0 <= target_level < 1")
    load = arrival_rate / service_rate
    blocking = 1.0
    agents = 0
    while True:
        agents += 1
        blocking = _next_erlang_b(load, agents, blocking)
        if load >= agents:
            continue
        c_prob = _erlang_c_from_b(load, agents, blocking)
        drain = agents * service_rate - arrival_rate
        if 1.0 - c_prob * math.exp(-drain * target_time) >= target_level:
            return agents


@dataclass(frozen=True)
class ErlangA:
    """M/M/c+M queue (Palm / Erlang A): waiting customers abandon at rate ``abandon_rate``.

    Abandonment bounds the queue, so the model is stable at any load.  The state is the number
    in system n; its stationary law is that of a birth-death chain with birth rate lambda and
    death rate min(n, c) mu + max(n - c, 0) theta, summed in log-space and truncated once the
    dropped tail mass is provably below 1e-14.
    """

    arrival_rate: float
    service_rate: float
    agents: int
    abandon_rate: float

    def __post_init__(self) -> None:
        _check_positive("arrival_rate", self.arrival_rate)
        _check_positive("service_rate", self.service_rate)
        _check_count("agents", self.agents, 1)
        _check_positive("abandon_rate", self.abandon_rate)

    @cached_property
    def _stationary(self) -> npt.NDArray[np.float64]:
        """Stationary probabilities pi_0..pi_N of the number in system (sums to 1)."""
        lam, mu, theta = self.arrival_rate, self.service_rate, self.abandon_rate
        c = int(self.agents)
        # log pi_n - log pi_0 for n <= c: the Poisson-like part where every arrival is served.
        head = np.concatenate(([0.0], np.cumsum(np.log(lam / (mu * np.arange(1, c + 1))))))
        # Past the mode (where lam equals the death rate) the ratios pi_{n+1}/pi_n keep falling,
        # so the tail beyond N is at most pi_N r / (1 - r) with r the next ratio.
        extra = max(math.ceil((lam - c * mu) / theta), 0) + 64
        while True:
            if extra > _MAX_QUEUE_STATES:
                raise ValueError(
                    f"abandon_rate(={theta!r}) is too small for arrival_rate(={lam!r}) with "
                    f"agents(={c!r}): the queue would need more than {_MAX_QUEUE_STATES} states"
                )
            deaths = c * mu + theta * np.arange(1, extra + 1)
            log_terms = np.concatenate((head, head[-1] + np.cumsum(np.log(lam / deaths))))
            ratio = lam / (c * mu + theta * (extra + 1))
            log_total = float(logsumexp(log_terms))
            log_tail = float(log_terms[-1]) + math.log(ratio / (1.0 - ratio))
            if log_tail - log_total < math.log(_TAIL_TOLERANCE):
                probs: npt.NDArray[np.float64] = np.exp(log_terms - log_total)
                probs /= probs.sum()
                return probs
            extra *= 2

    @property
    def _queue_probs(self) -> npt.NDArray[np.float64]:
        """P(n = c + j) for j = 0, 1, ...: j is the number an arrival finds waiting."""
        return self._stationary[self.agents :]

    @property
    def offered_load(self) -> float:
        """Offered load a = lambda / mu in Erlangs (may exceed ``agents`` here)."""
        return self.arrival_rate / self.service_rate

    @property
    def prob_wait(self) -> float:
        """Probability an arrival finds all agents busy (PASTA: time-average of n >= c)."""
        return float(self._queue_probs.sum())

    @property
    def mean_queue_length(self) -> float:
        """Mean number waiting, E[(n - c)^+]."""
        probs = self._queue_probs
        return float(np.dot(np.arange(probs.size), probs))

    @property
    def prob_abandon(self) -> float:
        """Share of arrivals that abandon: theta E[Q] / lambda (abandonment flow over arrivals)."""
        return self.abandon_rate * self.mean_queue_length / self.arrival_rate

    @property
    def prob_answered_eventually(self) -> float:
        """Share of arrivals that reach an agent, 1 - P(abandon)."""
        return 1.0 - self.prob_abandon

    @property
    def mean_wait(self) -> float:
        """Mean time in queue over all arrivals, abandoners included, E[Q] / lambda (Little)."""
        return self.mean_queue_length / self.arrival_rate

    @property
    def utilization(self) -> float:
        """Fraction of time an agent is busy, lambda (1 - P(abandon)) / (c mu)."""
        return self.arrival_rate * self.prob_answered_eventually / (self.agents * self.service_rate)

    def service_level(self, t: float) -> float:
        """Return P(an arrival reaches an agent after waiting <= t); abandoners never count.

        An arrival finding j customers waiting is answered at time T_j, the sum of independent
        exponentials with rates c mu + k theta (k = j..0), unless its own Exp(theta) patience
        runs out first, so P(answered by t | j) = E[exp(-theta T_j); T_j <= t].  Because the
        rates form an arithmetic progression, exp(-theta T_j) ~ Beta(m, j + 1) with
        m = c mu / theta (a Renyi order-statistics identity), which gives the closed form
        m / (m + j + 1) * I_x(j + 1, m + 1) with x = 1 - exp(-theta t) for every j at once.
        As t -> inf it tends to 1 - prob_abandon; at t = 0 it is P(no wait).
        """
        _check_time(t)
        probs = self._queue_probs
        m = self.agents * self.service_rate / self.abandon_rate
        ahead = np.arange(1, probs.size + 1, dtype=np.float64)
        x = -math.expm1(-self.abandon_rate * t)
        answered = m / (m + ahead) * betainc(ahead, m + 1.0, x)
        served_at_once = float(self._stationary[: self.agents].sum())
        return served_at_once + float(np.dot(probs, answered))


@dataclass(frozen=True)
class MMcK:
    """M/M/c/K: c servers and room for K requests in all (c in service, K - c waiting).

    The back-end server without retries: a request finding K in the system is refused.
    """

    arrival_rate: float
    service_rate: float
    servers: int
    capacity: int  # K >= servers

    def __post_init__(self) -> None:
        _check_positive("arrival_rate", self.arrival_rate)
        _check_positive("service_rate", self.service_rate)
        _check_count("servers", self.servers, 1)
        _check_count("capacity", self.capacity, self.servers)

    @cached_property
    def _probs(self) -> npt.NDArray[np.float64]:
        n = np.arange(self.capacity + 1)
        rates = np.minimum(n[1:], self.servers) * self.service_rate
        log_terms = np.concatenate([[0.0], np.cumsum(np.log(self.arrival_rate / rates))])
        return np.asarray(np.exp(log_terms - logsumexp(log_terms)), np.float64)

    @property
    def prob_block(self) -> float:
        """Share of arrivals refused (they find the system full; PASTA)."""
        return float(self._probs[-1])

    @property
    def prob_wait(self) -> float:
        """Share of arrivals that are accepted but wait (all servers busy, room left)."""
        return float(self._probs[self.servers : self.capacity].sum())

    @property
    def mean_in_system(self) -> float:
        """Time-average number of requests in the system."""
        return float(np.dot(np.arange(self.capacity + 1), self._probs))

    @property
    def mean_response(self) -> float:
        """Mean time in system of accepted requests (Little's law on the accepted flow)."""
        return self.mean_in_system / (self.arrival_rate * (1.0 - self.prob_block))
