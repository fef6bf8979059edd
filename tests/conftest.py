"""Hypothesis profiles: CI explores a fixed set of examples, so a red run is reproducible."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))
