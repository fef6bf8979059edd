"""A replay's record files written from a toy server, for report tests without running Locust.

The files have the shape `loadtests.replay.records` writes (worker-0.json, messages-0.csv,
deliveries-0.csv), so `fansim loadreport` reads them with its own code; the numbers come from a
made-up single-queue server, not from a measurement. Arrivals ramp from `low` to `high` per
second; the server completes `capacity` per second, so the queue (and the wait) grows once the
ramp passes it, and requests over the deadline are redelivered, then fail.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

DEADLINE = 5.0
DELIVERIES = 3


def write_records(
    folder: Path,
    seconds: int = 20,
    low: float = 40.0,
    high: float = 220.0,
    capacity: float = 100.0,
    seed: int = 1,
) -> int:
    """Write one worker's records into `folder`; returns the number of messages."""
    rng = np.random.default_rng(seed)
    rates = np.linspace(low, high, seconds)
    intended = np.sort(
        np.concatenate([s + rng.random(rng.poisson(r)) for s, r in enumerate(rates)])
    )
    folder.mkdir(parents=True, exist_ok=True)
    backlog, last = 0.0, 0.0
    messages, deliveries = [], []
    counts = dict.fromkeys(("in_time", "after_retry", "failed", "dropped"), 0)
    for i, t in enumerate(intended):
        backlog = max(0.0, backlog - (t - last) * capacity) + 1
        last = t
        lateness = float(rng.exponential(0.002))
        if lateness > 0.012:  # the generator could not send it in time
            messages.append((i + 1, "keyword", "text", f"fan{i}", 1365500000 + int(t),
                             f"{t:.6f}", f"{lateness:.6f}", "dropped", 0, "",
                             "generator_behind"))  # fmt: skip
            counts["dropped"] += 1
            continue
        response = 0.01 + backlog / capacity
        outcome, answered_at, sent = "failed", "", t + lateness
        for d in range(1, DELIVERIES + 1):
            ok = response < DEADLINE
            shown = min(response, DEADLINE)
            deliveries.append((i + 1, d, f"{sent:.6f}", f"{sent:.6f}", f"{shown:.6f}",
                               200 if ok else 0, int(ok), "" if ok else "timeout", 0,
                               0))  # fmt: skip
            if ok:
                outcome = "in_time" if d == 1 else "after_retry"
                answered_at = f"{sent + response:.6f}"
                break
            sent += DEADLINE
            response = max(0.01, response - DEADLINE * capacity / capacity)
        counts[outcome] += 1
        messages.append((i + 1, "keyword", "text", f"fan{i}", 1365500000 + int(t), f"{t:.6f}",
                         f"{lateness:.6f}", outcome, d, answered_at, ""))  # fmt: skip
    for name, header, rows in (
        ("messages-0.csv", "msg_id,cls,kind,fan,create_time,intended,lateness,outcome,"
         "deliveries,answered_at,dropped", messages),
        ("deliveries-0.csv", "msg_id,delivery,started,sent,response,status,answered,cause,stale,"
         "replied", deliveries),
    ):  # fmt: skip
        with (folder / name).open("w", encoding="utf-8", newline="") as fh:
            fh.write(header + "\n")
            csv.writer(fh, lineterminator="\n").writerows(rows)
    meta = {
        "profile": {"scenario": "toy_ramp"},
        "plan": {"note": "written by tests/loadtest_records.py, not a measurement"},
        "host": "http://127.0.0.1:0",
        "platform": "wechat",
        "deadline_seconds": DEADLINE,
        "max_deliveries": DELIVERIES,
        "expected": float(rates.sum()),
        "worker": 0,
        "counts": counts,
    }
    (folder / "worker-0.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps({"command": [], "host": meta["host"]}))
    return len(messages)
