"""Back-end throughput and tail latency, measured against a hello-world in the same run.

Targets (issue 8), signed XML text messages, durable (acknowledged after commit; measured with
`--synchronous full`, the default, and `normal`, see docs/backend.md), ONE worker process:
>= 4,000 msg/s, >= 0.5 of the hello-world's throughput on the same stack, p99 < 50 ms under an
open-loop load at 80% of the measured maximum.
The same figures are reported for 2 workers.

The machine has 2 cores and the load generator needs one: with one worker the server is pinned
to core 0 and the generator to core 1; with two workers all three share both cores, so those
figures understate what two workers do on a machine of their own. The generator's own limit
shows in the hello-world's open-loop rows (it served 15-26k/s at most, by the machine's load).

Each run writes its figures to `.benchmarks/backend-<workers>-<synchronous>.json` for
docs/benchmarks.md.
"""

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from loadtests.bench.loadgen import LoadResult, build_requests, closed_loop, open_loop
from tests.loadtests.server import TOKEN, start_backend

pytestmark = pytest.mark.benchmark

MAX_SECONDS = 4.0
OPEN_SECONDS = 5.0
SWEEP = (0.4, 0.6)
# The closed-loop maximum is the best of these connection counts, for both servers alike: the
# back end needs enough requests in flight to keep its event loop busy while a group commit
# waits for its fsync; the hello-world's best is usually the smaller count (less per-request
# overhead). One count for both would favour one of them.
CONNECTIONS = (64, 256)
# Open loops need a connection free whenever a request is due: at 12k/s and a 30 ms tail, 256
# were too few and requests queued in the generator, not the server. The pool is LIFO, so the
# idle ones cost nothing.
OPEN_CONNECTIONS = 1024
CEILING_PER_S = 70_000  # requests built per second of a closed loop: above any server here
# Both settings acknowledge only after COMMIT (nothing acknowledged is lost if the process
# dies); `full` also fsyncs the WAL before answering (power loss), `normal` at checkpoints.
SYNCHRONOUS = ("full", "normal")


@contextmanager
def generator_on(cpus: set[int]) -> Iterator[None]:
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def measure(tmp: Path, hello: bool, workers: int, *args: str) -> dict[str, Any]:
    """Closed loops for the maximum, then open loops at 80% (and less) of it.

    Every request carries a new MsgId; each phase's requests are built before its clock starts.
    """
    pinned = workers == 1
    server = start_backend(
        tmp, *args, workers=workers, hello=hello, cpus="0" if pinned else None, db=tmp / "bench.db"
    )
    next_id = itertools.count(1, 1_000_000)

    def fresh(count: int) -> list[bytes]:
        return build_requests("127.0.0.1", server.port, TOKEN, count, next(next_id))

    try:
        with generator_on({1} if pinned else os.sched_getaffinity(0)):
            closed_loop("127.0.0.1", server.port, fresh(3000), 32, 1.0)  # warm-up
            result: dict[str, Any] = {}
            peaks = []
            for n in CONNECTIONS:
                requests = fresh(int(CEILING_PER_S * MAX_SECONDS))
                cpu = server_cpu_seconds(server.proc.pid)
                peak = closed_loop("127.0.0.1", server.port, requests, n, MAX_SECONDS)
                cpu = server_cpu_seconds(server.proc.pid) - cpu
                result[f"max_{n}_connections"] = summary(peak, cpu)
                peaks.append(peak)
            peak = max(peaks, key=lambda r: r.throughput)
            result["max"] = result[f"max_{CONNECTIONS[peaks.index(peak)]}_connections"]
            for share, seconds in ((0.8, OPEN_SECONDS), *((s, 3.0) for s in SWEEP)):
                rate = share * peak.throughput
                steady = open_loop(
                    "127.0.0.1",
                    server.port,
                    fresh(int(rate * seconds) + 1),
                    rate,
                    OPEN_CONNECTIONS,
                    seconds,
                )
                result[f"open_{round(share * 100)}"] = summary(steady)
    finally:
        server.stop()
    return result


def summary(r: LoadResult, cpu_seconds: float | None = None) -> dict[str, Any]:
    out = {
        "offered_per_s": None if r.offered_per_second is None else round(r.offered_per_second),
        "per_s": round(r.throughput),
        "errors": r.errors,
        "p50_ms": round(r.quantile(0.50) * 1000, 2),
        "p99_ms": round(r.quantile(0.99) * 1000, 2),
    }
    if cpu_seconds is not None:  # the server's CPU (all its processes and threads)
        out["server_cpu_us_per_request"] = round(cpu_seconds / max(r.ok, 1) * 1e6, 1)
        out["server_cores_used"] = round(cpu_seconds / r.duration, 2)
    return out


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU of a server process and its worker processes, from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def run_pair(tmp: Path, workers: int, synchronous: str) -> dict[str, Any]:
    for name in ("hello", "backend"):
        (tmp / name).mkdir()
    load_before = os.getloadavg()[0]
    hello = measure(tmp / "hello", True, workers)
    backend = measure(tmp / "backend", False, workers, "--synchronous", synchronous)
    cpu = "server_cpu_us_per_request"
    result = {
        "workers": workers,
        "synchronous": synchronous,
        "cores": os.cpu_count(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "hello": hello,
        "backend": backend,
        "ratio": round(backend["max"]["per_s"] / hello["max"]["per_s"], 3),
        "cpu_ratio": round(hello["max"][cpu] / backend["max"][cpu], 3),
    }
    out = Path(".benchmarks") / f"backend-{workers}-{synchronous}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return result


@pytest.mark.parametrize("synchronous", SYNCHRONOUS)
def test_one_worker_durable_throughput(benchmark: Any, tmp_path: Path, synchronous: str) -> None:
    result = benchmark.pedantic(run_pair, args=(tmp_path, 1, synchronous), rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    backend = result["backend"]
    assert backend["max"]["errors"] == 0 and backend["open_80"]["errors"] == 0
    assert backend["max"]["per_s"] >= 4000
    assert backend["open_80"]["p99_ms"] < 50
    assert result["ratio"] >= 0.5


@pytest.mark.parametrize("synchronous", SYNCHRONOUS)
def test_two_workers_durable_throughput(benchmark: Any, tmp_path: Path, synchronous: str) -> None:
    result = benchmark.pedantic(run_pair, args=(tmp_path, 2, synchronous), rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    assert result["backend"]["max"]["errors"] == 0


def step_costs(tmp: Path) -> dict[str, float]:
    """`loadtests.bench.steps` in its own process, with multiprocess metrics as served."""
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp))
    cmd = ["taskset", "-c", "0", sys.executable, "-m", "loadtests.bench.steps", str(tmp)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=True)
    return dict(json.loads(out.stdout))


def test_where_one_message_spends_its_time(benchmark: Any, tmp_path: Path) -> None:
    """Per-message cost of each step of a callback, in one process (microseconds)."""
    result = benchmark.pedantic(step_costs, args=(tmp_path,), rounds=1, iterations=1)
    assert result["safe_xml_parse_us"] > 0
    benchmark.extra_info.update(result)
    print(json.dumps(result, indent=2))
    (Path(".benchmarks") / "backend-steps.json").write_text(json.dumps(result, indent=2))
