"""Fixtures of the replay tests: flat profiles written on the fly, loopback targets."""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def write_profile(
    path: Path, seconds: int, rates: dict[str, float], first: str = "2013-04-09T14:00:00"
) -> Path:
    """A `fansim profile`-shaped CSV with constant per-class rates from clock time `first`."""
    t0 = dt.datetime.fromisoformat(first)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["scenario", "seed", "params_hash", "second", "t_seconds", "rate_per_second"]
                   + [f"rate_{c}" for c in rates])  # fmt: skip
        for t in range(seconds):
            second = (t0 + dt.timedelta(seconds=t)).isoformat()
            w.writerow(["flat", 1, "abc", second, t, sum(rates.values()), *rates.values()])
    return path


@pytest.fixture
def flat_profile(tmp_path: Path) -> Callable[[int, dict[str, float]], Path]:
    def make(seconds: int, rates: dict[str, float]) -> Path:
        return write_profile(tmp_path / "profile.csv", seconds, rates)

    return make


@pytest.fixture
def target() -> Iterator[Callable[..., str]]:
    """Start loopback targets by mode; returns their base URL; all are stopped afterwards."""
    procs: list[subprocess.Popen[str]] = []

    def start(mode: str, *options: str) -> str:
        p = subprocess.Popen(
            [sys.executable, "-m", "tests.loadtests.replay.targets", mode, *options],
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(p)
        assert p.stdout is not None
        line = p.stdout.readline()
        assert line.startswith("PORT "), line
        return f"http://127.0.0.1:{int(line.split()[1])}"

    yield start
    for p in procs:
        p.terminate()
        p.wait(timeout=10)
        if p.stdout is not None:
            p.stdout.close()
