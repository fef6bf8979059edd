"""What the back-end server did on campaign days: whole-run figures and a per-second table.

Definitions: `server_messages` are messages offered to the server (first deliveries);
`server_requests` include every redelivery; `server_retry_amplification` is requests per
message; `server_duplicates` are requests that repeat a MsgId; a message `failed` when all its
deliveries got no reply in time; `server_p99_seconds` is the 99th percentile response time
(wait + service) of requests that were not refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from sim.model.engine import ModelResult
from sim.model.server import ANSWERED_AFTER_RETRY, ANSWERED_IN_TIME, FAILED
from sim.results.provenance import provenance

__all__ = ["profile_rows", "server_summary", "surge_rows"]


def server_summary(result: ModelResult) -> dict[str, Any]:
    """Server figures over all campaign windows (zeros / null when there were none)."""
    records = [w.server for w in result.windows if w.server is not None]
    participants = sum(w.window.participants for w in result.windows)
    if not records:
        return {
            "participants": participants,
            "server_messages": 0,
            "server_requests": 0,
            "server_answered_in_time": 0,
            "server_answered_after_retry": 0,
            "server_failed_messages": 0,
            "server_failed_share": None,
            "server_duplicates": 0,
            "server_refused": 0,
            "server_retry_amplification": None,
            "server_p99_seconds": None,
            "server_answer_p99_seconds": None,
        }
    outcome = np.concatenate([r.outcome for r in records])
    delivery = np.concatenate([r.request_delivery for r in records])
    refused = np.concatenate([r.request_refused for r in records])
    response = np.concatenate([r.request_response for r in records])
    messages, requests = outcome.size, delivery.size
    served = response[~refused]
    waits = np.concatenate(
        [w.server.answered_at - w.arrival_s for w in result.windows if w.server is not None]
    )
    waits = waits[~np.isnan(waits)]
    return {
        "participants": participants,
        "server_messages": int(messages),
        "server_requests": int(requests),
        "server_answered_in_time": int((outcome == ANSWERED_IN_TIME).sum()),
        "server_answered_after_retry": int((outcome == ANSWERED_AFTER_RETRY).sum()),
        "server_failed_messages": int((outcome == FAILED).sum()),
        "server_failed_share": float((outcome == FAILED).mean()) if messages else None,
        "server_duplicates": int((delivery > 1).sum()),
        "server_refused": int(refused.sum()),
        "server_retry_amplification": requests / messages if messages else None,
        "server_p99_seconds": float(np.quantile(served, 0.99)) if served.size else None,
        "server_answer_p99_seconds": float(np.quantile(waits, 0.99)) if waits.size else None,
    }


def surge_rows(result: ModelResult) -> list[dict[str, Any]]:
    """One row per second of each campaign window: offered load and what the server did."""
    sc = result.spec.scenario
    midnight = dt.datetime.combine(sc.scenario.start, dt.time())
    meta = provenance(result.spec)
    rows: list[dict[str, Any]] = []
    for w in result.windows:
        first = int(w.window.start * 60)
        n = int(w.window.end * 60) - first
        sec = np.floor(w.arrival_s).astype(np.int64) - first
        offered = np.bincount(sec, minlength=n)[:n]
        expected = w.expected_per_second.sum(axis=1)
        r = w.server
        cols: dict[str, np.ndarray] = {}
        if r is not None:
            rs = np.clip(np.floor(r.request_time).astype(np.int64) - first, 0, n - 1)
            cols["requests"] = np.bincount(rs, minlength=n)[:n]
            cols["retries"] = np.bincount(rs[r.request_delivery > 1], minlength=n)[:n]
            cols["refused"] = np.bincount(rs[r.request_refused], minlength=n)[:n]
            cols["timed_out"] = np.bincount(rs[r.request_timed_out], minlength=n)[:n]
            failed_at = np.clip(sec[r.outcome == FAILED], 0, n - 1)
            cols["failed_messages"] = np.bincount(failed_at, minlength=n)[:n]
            order = np.argsort(rs, kind="stable")
            bounds = np.searchsorted(rs[order], np.arange(n + 1))
            resp = r.request_response[order]
            p99 = np.full(n, np.nan)
            for j in np.flatnonzero(np.diff(bounds)):
                x = resp[bounds[j] : bounds[j + 1]]
                x = x[~np.isnan(x)]
                if x.size:
                    p99[j] = np.quantile(x, 0.99)
            cols["response_p99_seconds"] = p99
        for k in range(n):
            when = midnight + dt.timedelta(seconds=float(first + k))
            row: dict[str, Any] = {
                **meta,
                "second": when.isoformat(),
                "expected_messages": float(expected[k]),
                "messages": int(offered[k]),
            }
            for name, values in cols.items():
                v = values[k]
                row[name] = float(v) if name == "response_p99_seconds" else int(v)
            rows.append(row)
    return rows


def profile_rows(result: ModelResult) -> list[dict[str, Any]]:
    """The offered load of each campaign window, per second: the load tests' input.

    Columns: `second` (ISO local time), `t_seconds` (from the window start), `rate_per_second`
    (expected messages per second, all classes: the everyday stream, new fans' first messages,
    the bursts, and the messages cascades, push replies and the activation sequence scheduled
    into the window; exactly what the simulation samples from) and
    `rate_<class>` per message class, after the provenance columns (scenario, seed, replication,
    params hash).
    Rates are expectations (no sampling noise), computed from the same pure functions of time that
    drive the simulation.
    """
    sc = result.spec.scenario
    midnight = dt.datetime.combine(sc.scenario.start, dt.time())
    meta = provenance(result.spec)
    rows: list[dict[str, Any]] = []
    for w in result.windows:
        first = int(w.window.start * 60)
        rates = w.expected_per_second
        for j in range(rates.shape[0]):
            row: dict[str, Any] = {
                **meta,
                "second": (midnight + dt.timedelta(seconds=float(first + j))).isoformat(),
                "t_seconds": j,
                "rate_per_second": float(rates[j].sum()),
            }
            for name, value in zip(result.class_names, rates[j], strict=True):
                row[f"rate_{name}"] = float(value)
            rows.append(row)
    return rows
