"""The allocator's thresholds on Dask workers: page faults, not seconds, are what is checked."""

import pickle
import subprocess
import sys

import pytest

from sim.experiments.allocator import TunedAllocator, tune_allocator

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")

CHURN = """
import resource, sys
import numpy as np
from sim.experiments.allocator import tune_allocator
if sys.argv[1] == "tuned":
    assert tune_allocator()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    a = np.ones(2**18)  # 2 MiB, freed at once: what a run's chunked arrays do all day
    del a
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def churn_faults(mode: str) -> int:
    env = {"MALLOC_TRIM_THRESHOLD_": "65536", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", CHURN, mode], env=env, capture_output=True, text=True, check=True
    )
    return int(out.stdout)


def test_nothing_is_set_where_no_threshold_variable_turned_the_dynamic_rule_off() -> None:
    assert not tune_allocator({})
    assert not tune_allocator({"MALLOC_ARENA_MAX": "2"})


@glibc
def test_the_thresholds_are_set_where_dask_s_variable_is() -> None:
    assert tune_allocator({"MALLOC_TRIM_THRESHOLD_": "65536"})


@glibc
def test_under_dask_s_variable_arrays_stop_being_mapped_afresh_each_time() -> None:
    # 200 frees of 2 MiB: each one is a fresh mapping (512 page faults) unless kept in the heap
    untuned, tuned = churn_faults("untuned"), churn_faults("tuned")
    assert untuned > 200 * 256
    assert tuned < untuned / 20


def test_the_wrapper_pickles_and_returns_the_job_s_result() -> None:
    wrapped = pickle.loads(pickle.dumps(TunedAllocator(abs)))
    assert wrapped(-3) == 3
