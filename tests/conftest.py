"""Hypothesis profiles: CI explores a fixed set of examples, so a red run is reproducible."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# No deadline: an example's wall time is not a property under test, and `make test` runs these
# at nice 19 beside the timing-sensitive tests, where an example may wait for a core.
SLOW_OK = [HealthCheck.too_slow]
settings.register_profile("ci", derandomize=True, deadline=None, suppress_health_check=SLOW_OK)
settings.register_profile("dev", deadline=None, suppress_health_check=SLOW_OK)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# Tests whose figures depend on having the cores when they ask (servers under load, Locust, signals
# timed against a run, a browser): `make test` runs them at normal priority, the CPU-bound rest
# beside them on both cores (pytest-xdist) at nice 19, so it takes only the cycles they leave.
SERIAL = (
    "tests/loadtests/",
    "tests/cli/test_signals.py",
    "tests/reports/test_browser.py",
    "tests/results/test_publish.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        if Path(str(item.path)).relative_to(root).as_posix().startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
