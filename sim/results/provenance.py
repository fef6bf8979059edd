"""A short, stable digest of a resolved scenario, written into every output row."""

from __future__ import annotations

import hashlib
import json

from sim.scenario.load import Scenario

__all__ = ["params_hash"]


def params_hash(scenario: Scenario) -> str:
    """First 12 hex digits of SHA-256 over the scenario's canonical JSON."""
    # Keywords only route text in the reference back end; the model never reads them, so they
    # are not parameters of a run and stay out of its digest.
    not_parameters = {"messages": {"classes": {"__all__": {"keywords"}}}}
    canonical = json.dumps(scenario.model_dump(mode="json", exclude=not_parameters), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]
