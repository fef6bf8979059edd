"""Sweeps survive interruption: finished rows stay on disk, a rerun computes only the rest."""

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sim import api
from sim.errors import OptionError
from sim.experiments.executors import SerialExecutor
from sim.experiments.table import read_table

ROOT = Path(__file__).parents[2]
DAY = ROOT / "scenarios" / "xiaomi_service_2013.toml"
GRID = {"service.shifts[0].agents": [3, 4], "messages.per_active_fan_per_day": [0.03, 0.04]}


class CountingExecutor(SerialExecutor):
    """Serial, counting the jobs it is given; may raise Ctrl-C after `stop_after` jobs."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.ran = 0
        self.stop_after = stop_after

    def imap_unordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any]) -> Iterator[Any]:
        for i, job in enumerate(jobs):
            if self.stop_after is not None and self.ran == self.stop_after:
                raise KeyboardInterrupt
            self.ran += 1
            yield i, fn(job)


def _sweep(out: Path, ex: CountingExecutor) -> Any:
    return api.sweep(DAY, GRID, 2, seed=5, executor=ex, out=out)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_interrupted_sweep_resumes_without_recomputing(tmp_path: Path, suffix: str) -> None:
    whole = tmp_path / f"whole{suffix}"
    full = _sweep(whole, CountingExecutor())
    assert len(full) == 8

    out = tmp_path / f"sweep{suffix}"
    first = CountingExecutor(stop_after=3)
    with pytest.raises(KeyboardInterrupt):
        _sweep(out, first)
    assert len(read_table(out)) == 3  # the finished rows are on disk
    assert not out.with_name(out.name + ".partial.jsonl").exists()

    second = CountingExecutor()
    resumed = _sweep(out, second)
    assert second.ran == 5  # only the missing rows
    assert resumed.equals(full)
    assert out.read_bytes() == whole.read_bytes()  # the same file as an uninterrupted sweep

    third = CountingExecutor()
    _sweep(out, third)
    assert third.ran == 0


def test_rows_of_a_killed_run_are_taken_from_the_journal(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    whole = _sweep(tmp_path / "whole.csv", CountingExecutor())
    journal = out.with_name(out.name + ".partial.jsonl")
    # a run killed hard leaves only its journal; make one from two rows of a finished sweep
    first = CountingExecutor(stop_after=2)
    with pytest.raises(KeyboardInterrupt):
        _sweep(out, first)
    journal.write_text(
        "\n".join(whole.iloc[[0, 1]].to_json(orient="records", lines=True).splitlines()) + "\n",
        encoding="utf-8",
    )
    out.unlink()
    again = CountingExecutor()
    assert _sweep(out, again).equals(whole)
    assert again.ran == 6


def test_a_table_of_another_experiment_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    _sweep(out, CountingExecutor())
    with pytest.raises(OptionError, match=r"--out: holds 8 rows of another experiment"):
        api.sweep(DAY, GRID, 2, seed=6, executor=CountingExecutor(), out=out)
