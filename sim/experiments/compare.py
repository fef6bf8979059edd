"""Comparing variants run on common random numbers: paired differences and a ranking.

Replication r of every variant uses the same named streams, so the difference of a metric
between two variants in replication r cancels most of the randomness they share; its CI
(Student t over the paired differences) is far narrower than one from independent runs.

The probability of being best is a bootstrap over paired replications: each resample draws
replication indices with replacement and takes the same indices for every variant (keeping the
pairing), then counts which variant has the best mean; ties share the win. The resampling uses
the `experiments.bootstrap` stream of the root seed, so the figure is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.experiments.replications import summary_stats
from sim.experiments.rows import Row
from sim.experiments.specs import Cell
from sim.model.rng import Streams

__all__ = ["BOOTSTRAP_RESAMPLES", "Ranking", "compare_rows", "p_best"]

BOOTSTRAP_RESAMPLES = 10_000
_CHUNK = 1_000  # resamples per block, so memory stays small with many replications


@dataclass(frozen=True)
class Ranking:
    """The metric variants are ranked by, and whether more is better."""

    metric: str = "fans_final"
    maximize: bool = True


def _by_replication(rows: Sequence[Row], run_id: str, metric: str) -> dict[int, float]:
    out: dict[int, float] = {}
    for r in rows:
        v = r.get(metric)
        if r["run_id"] == run_id and isinstance(v, int | float) and not isinstance(v, bool):
            out[int(str(r["replication"]))] = float(v)
    return out


def _paired(values: Sequence[Mapping[int, float]]) -> NDArray[np.float64]:
    """Replications x variants, over the replications every variant has."""
    common = sorted(set.intersection(*(set(v) for v in values))) if values else []
    return np.asarray([[v[r] for v in values] for r in common], np.float64).reshape(
        len(common), len(values)
    )


def p_best(
    rows: Sequence[Row],
    run_ids: Sequence[str],
    ranking: Ranking,
    seed: int,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> dict[str, float]:
    """Probability that each variant has the best mean `ranking.metric` (paired bootstrap)."""
    x = _paired([_by_replication(rows, i, ranking.metric) for i in run_ids])
    if x.size == 0:
        return {i: float("nan") for i in run_ids}
    if not ranking.maximize:
        x = -x
    rng = Streams(seed).get("experiments.bootstrap", ranking.metric)
    n, k = x.shape
    wins = np.zeros(k)
    left = resamples
    while left > 0:
        b = min(_CHUNK, left)
        means = x[rng.integers(0, n, size=(b, n))].mean(axis=1)  # (b, k)
        best = means == means.max(axis=1, keepdims=True)
        wins += (best / best.sum(axis=1, keepdims=True)).sum(axis=0)
        left -= b
    return {i: float(w / resamples) for i, w in zip(run_ids, wins, strict=True)}


def compare_rows(
    rows: Sequence[Row],
    run_ids: Sequence[str],
    metrics: Sequence[str],
    ranking: Ranking,
    seed: int,
) -> list[dict[str, Cell]]:
    """One row per variant and metric, in the order given.

    Each row has the variant's mean and CI, its paired difference from the first variant with
    CI, and for the ranking metric its rank and probability of being best.
    """
    best = p_best(rows, run_ids, ranking, seed)
    means = {
        i: float(np.mean(list(_by_replication(rows, i, ranking.metric).values()) or [np.nan]))
        for i in run_ids
    }
    sign = -1.0 if ranking.maximize else 1.0
    order = sorted(run_ids, key=lambda i: (np.isnan(means[i]), sign * means[i], run_ids.index(i)))
    scenario = {str(r["run_id"]): r.get("scenario") for r in rows}
    out: list[dict[str, Cell]] = []
    for m in metrics:
        per = [_by_replication(rows, i, m) for i in run_ids]
        for k, run_id in enumerate(run_ids):
            row: dict[str, Cell] = {
                "variant": run_id,
                "scenario": scenario.get(run_id),
                "metric": m,
            }
            row |= summary_stats(list(per[k].values()))
            x = _paired([per[0], per[k]])
            diff = summary_stats(list(x[:, 1] - x[:, 0])) if k else {}
            for key in ("mean", "std", "ci_low", "ci_high"):
                row[f"diff_{key}"] = diff.get(key)
            ranked = m == ranking.metric
            row["rank"] = order.index(run_id) + 1 if ranked else None
            row["p_best"] = best[run_id] if ranked else None
            out.append(row)
    return out
