"""Provenance: what every output row carries so that it can be re-run exactly.

One helper, `provenance(spec)`, gives the columns (scenario name, root seed, replication index
and the parameters' hash) that lead every row of every table fansim writes: summary.json,
timeseries.csv, daily.csv, surge.csv, profile.csv, costs.csv and the run's manifest.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sim.model.engine import RunSpec
from sim.scenario.schema import Scenario

__all__ = ["PROVENANCE_COLUMNS", "params_hash", "provenance"]

PROVENANCE_COLUMNS = ("scenario", "seed", "replication", "params_hash")


def params_hash(scenario: Scenario) -> str:
    """First 12 hex digits of SHA-256 over the scenario's canonical JSON.

    The same text (keys sorted) as the run's scenario.json, so the hash can be checked from it.
    """
    canonical = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def provenance(spec: RunSpec) -> dict[str, Any]:
    """The provenance columns of a run, in `PROVENANCE_COLUMNS` order.

    Tables compute it once and spread it into each row (`{**meta, ...}`): hashing the scenario
    per row would dominate the cost of a per-second table.
    """
    return {
        "scenario": spec.scenario.scenario.name,
        "seed": spec.seed,
        "replication": spec.replication,
        "params_hash": params_hash(spec.scenario),
    }
