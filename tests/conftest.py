"""Hypothesis profiles: CI explores a fixed set of examples, so a red run is reproducible."""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", suppress_health_check=[HealthCheck.too_slow])
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
