"""Every executor gives the same rows for the same jobs: serial, local processes, Dask."""

from pathlib import Path

import pytest

from sim.experiments.executors import (
    ProcessExecutor,
    SerialExecutor,
    make_executor,
    run_ordered,
)
from sim.experiments.rows import run_row
from sim.experiments.specs import Variant, jobs_for
from sim.scenario.load import load_scenario

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def jobs():  # type: ignore[no-untyped-def]
    sc = load_scenario(ROOT / "scenarios" / "xiaomi_service_2013.toml")
    return jobs_for([Variant("day", sc, 7)], range(4))


@pytest.fixture(scope="module")
def serial_rows(jobs):  # type: ignore[no-untyped-def]
    with SerialExecutor() as ex:
        return run_ordered(ex, run_row, jobs)


def test_rows_differ_between_replications(serial_rows) -> None:  # type: ignore[no-untyped-def]
    assert len({r["messages_received"] for r in serial_rows}) == len(serial_rows)
    assert [r["replication"] for r in serial_rows] == [0, 1, 2, 3]


def test_processes_give_the_serial_rows(jobs, serial_rows) -> None:  # type: ignore[no-untyped-def]
    with ProcessExecutor(2) as ex:
        assert run_ordered(ex, run_row, jobs) == serial_rows


def test_dask_local_cluster_gives_the_serial_rows(jobs, serial_rows) -> None:  # type: ignore[no-untyped-def]
    distributed = pytest.importorskip("distributed")
    from sim.experiments.executors import DaskExecutor

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        DaskExecutor(cluster.scheduler_address) as ex,  # as `--scheduler ADDRESS` connects
    ):
        assert ex.parallelism == 2
        assert run_ordered(ex, run_row, jobs) == serial_rows


def test_progress_is_reported_after_every_job(jobs) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[int, int]] = []
    with ProcessExecutor(2) as ex:
        run_ordered(ex, run_row, jobs[:3], lambda d, t: seen.append((d, t)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_make_executor_chooses_by_workers_and_scheduler() -> None:
    assert isinstance(make_executor(1), SerialExecutor)
    assert isinstance(make_executor(3), ProcessExecutor)
    assert make_executor(3).parallelism == 3
