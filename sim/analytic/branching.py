"""A cascade's reproduction number and mean size from branching-process theory.

The model draws cascades cohort by cohort (`sim.model.cascades`); in a fresh pool (nobody yet
reached) each participant brings on average R next-generation participants, whatever the
cascade's kind, and a Galton-Watson process with mean offspring R < 1 has mean total progeny
1 / (1 - R) per seed, whatever its offspring distribution; from R = 1 on it can grow until its
pool or its days run out. So R = 1 is the tipping point of every kind; only how widely sizes
scatter around the mean depends on the kind (through the offspring variance). These closed
forms are what the tests hold the model's cascades, and its early R (`Trajectory.cascade_r`),
to.
"""

from __future__ import annotations

import math

import numpy as np

from sim.pmf import binomial_pmf
from sim.scenario.spread import CascadeSpec

__all__ = ["mean_size", "reproduction_number"]


def _task_joins(target: int, invites: int, p: float) -> float:
    """Mean joins of one sharer who invites until `target` joined or `invites` were sent."""
    k = np.arange(invites + 1)
    return float((np.minimum(k, target) * binomial_pmf(k, invites, p)).sum())


def reproduction_number(spec: CascadeSpec, share_probability: float | None = None) -> float:
    """Mean next-generation participants per participant while the pool is fresh.

    `share_probability` replaces the spec's (the model lifts it by the prizes: `Levers`).
    Share, repost and quiz: s x contacts_mean x join_probability (each contact a new person).
    Task fission: s x E[min(n, Binomial(max_invites, join_probability))], the sharer stopping
    at the n-th join (`invite_target`, default 1).
    """
    s = spec.share_probability if share_probability is None else share_probability
    if spec.kind == "task":
        return s * _task_joins(spec.invite_target or 1, spec.max_invites, spec.join_probability)
    return s * spec.contacts_mean * spec.join_probability


def mean_size(seeds: float, r: float) -> float:
    """Mean participants of a cascade of `seeds` with R = `r` and no limit: seeds / (1 - r).

    Infinite from the tipping point on (r >= 1): then only the pool or the days bound it.
    """
    return seeds / (1.0 - r) if r < 1 else math.inf
