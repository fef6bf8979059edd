"""`fansim loadreport`: what a replay measured, what the back end stored, what the model predicts.

Read from a run folder (`loadtests.replay.records`) and optionally the reference back end's
SQLite file or a Prometheus /metrics URL; written as `loadreport.json` plus a terminal table.

Estimators (all stated in the JSON too):
- capacity: `loadtests.report.capacity` (windows judged by the server's own latency; one
  figure per ramp climb, their median and range). If no window failed, the run never found the
  limit: `capacity_found` is false and the figure is only a lower bound (`--ramp` finds it).
- service time: response times of answered first deliveries in windows offered at most half
  the capacity (queueing is small there; if none, the least loaded quarter of windows), thinned
  to at most 2,000 evenly spaced order statistics. They include the loopback round trip, so the
  sample slightly overstates the server's own work (a conservative error for sizing).
- workers per instance: given, or by Little's law at capacity: capacity x mean service time.
  When no window failed, the capacity is only the highest rate offered, so this is a lower
  bound (`littles_law_lower_bound`) and the model, given too few workers, may overstate queueing.
- the model: `sim.model.server.serve` on the same intended arrivals with the measured
  service sample, so model and measurement see the same offered load.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rich.console import Console
from rich.table import Table

from loadtests.backend.schema import stored_deliveries
from loadtests.replay.records import RunRecords, read_run
from loadtests.report.agent_times import agent_times
from loadtests.report.attribution import attribution, fan_latency, quantiles_ms
from loadtests.report.capacity import capacity, windows
from loadtests.report.fan_answers import fan_answers, first_answers, scenario_targets
from loadtests.report.thresholds import crossed, parse_threshold
from loadtests.wechat.delivery import AFTER_RETRY, DROPPED, FAILED, IN_TIME
from sim.dists import Empirical
from sim.model.server import ANSWERED_AFTER_RETRY, ANSWERED_IN_TIME, BackEnd, serve
from sim.model.server import FAILED as MODEL_FAILED

__all__ = ["ReportOptions", "build_report", "write_report"]

SAMPLE_MAX = 2000
ESTIMATOR = "answered first deliveries at <= half capacity (loopback round trip included)"


@dataclass(frozen=True)
class ReportOptions:
    """Where the back end's side comes from and how to read the measurement."""

    backend_db: Path | None = None
    metrics_url: str | None = None
    instances: int = 1
    workers_per_instance: int | None = None
    queue_limit: int = 1024
    dedup: bool = True
    window: float | None = None  # capacity windows (s): a ramp's step, else 5
    thresholds: tuple[str, ...] = ()  # `NAME OP VALUE` expressions (`report.thresholds`)


def backend_counts(db: Path, r: RunRecords) -> dict[str, Any]:
    """This run's messages in the reference back end's database (read-only)."""
    acked = np.isin(r.outcome, (IN_TIME, AFTER_RETRY))
    acked_keys = set(r.dedup_keys(acked))
    stored = stored_deliveries(db, r.dedup_keys(r.outcome != DROPPED))
    deliveries = sum(stored.values())
    return {
        "source": str(db),
        "stored": len(stored),
        "deliveries_received": deliveries,
        "duplicates_suppressed": deliveries - len(stored),
        "acknowledged": len(acked_keys),
        "lost": len(acked_keys - stored.keys()),
    }


def metrics_counts(url: str) -> dict[str, Any]:
    """Cumulative counters from the back end's /metrics (since it started, all runs)."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode()
    wanted = {
        "fansim_messages_stored_total": "stored",
        "fansim_duplicates_suppressed_total": "duplicates_suppressed",
        "fansim_messages_acknowledged_total": "acknowledged_by_backend",
    }
    out: dict[str, Any] = {"source": url}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in wanted:
            out[wanted[name]] = int(float(value))
    return out


def _intended_of(r: RunRecords, ids: NDArray[np.int64]) -> NDArray[np.float64]:
    """Intended send time of each MsgId in `ids`."""
    order = np.argsort(r.msg_id)
    return r.intended[order][np.searchsorted(r.msg_id[order], ids)]


def service_sample(r: RunRecords, cap_total: float, width: float) -> list[float]:
    """Answered first deliveries' response times at light load (see the module docstring)."""
    rate, *_, slot = windows(r, width)
    light = rate <= cap_total / 2 if cap_total > 0 else np.zeros(rate.size, bool)
    if not light[rate > 0].any():
        busy = np.flatnonzero(rate > 0)
        light = np.zeros(rate.size, bool)
        light[busy[rate[busy] <= np.quantile(rate[busy], 0.25)]] = True
    first = (r.d_delivery == 1) & r.d_answered
    chosen_ids = r.msg_id[light[slot.astype(np.int64)]]
    x = np.sort(r.d_response[first & np.isin(r.d_msg_id, chosen_ids)])
    if x.size > SAMPLE_MAX:
        x = x[np.linspace(0, x.size - 1, SAMPLE_MAX).round().astype(np.int64)]
    return [round(float(v), 6) for v in x]


def model_prediction(
    r: RunRecords, values: list[float], servers: int, queue: int, deadline: float, maxd: int,
    dedup: bool,
) -> dict[str, Any]:  # fmt: skip
    """The model's server on the arrivals actually sent (not the dropped), measured service."""
    arrival = np.sort(r.intended[r.outcome != DROPPED])
    rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(arrival.size,)))
    service = Empirical(tuple(values)).sample(rng, arrival.size)
    back_end = BackEnd(servers, queue, deadline, maxd)
    rec = serve(arrival, service, back_end, 1, "dedup" if dedup else "sync")
    served = rec.request_response[~rec.request_refused]
    return {
        "arrivals": "the messages sent; dropped ones were never offered to the back end",
        "dropped_not_modelled": int((r.outcome == DROPPED).sum()),
        "servers": servers,
        "queue_limit": queue,
        "dedup": dedup,
        "answered_in_time": int((rec.outcome == ANSWERED_IN_TIME).sum()),
        "answered_after_retry": int((rec.outcome == ANSWERED_AFTER_RETRY).sum()),
        "failed": int((rec.outcome == MODEL_FAILED).sum()),
        "failed_share": float((rec.outcome == MODEL_FAILED).mean()) if arrival.size else None,
        "retry_amplification": rec.request_time.size / arrival.size if arrival.size else None,
        "p99_response_seconds": float(np.quantile(served, 0.99)) if served.size else None,
    }


def build_report(run_dir: Path, options: ReportOptions) -> dict[str, Any]:
    """Every figure of the report as a JSON-ready dict."""
    r = read_run(run_dir)
    w0 = r.workers[0]
    deadline, maxd = float(w0["deadline_seconds"]), int(w0["max_deliveries"])
    sent = r.outcome != DROPPED
    n_sent = int(sent.sum())
    count = {o: int((r.outcome == o).sum()) for o in (IN_TIME, AFTER_RETRY, FAILED, DROPPED)}
    window = options.window or float(w0.get("ramp", {}).get("step", 5.0))
    split = attribution(r)
    cap = capacity(r, deadline, window, options.instances, w0.get("ramp"))
    if split["generator_saturated"]:
        spans = ", ".join(f"{a:g}-{b:g} s" for a, b in split["generator_saturated_seconds"][:5])
        cap["capacity_per_instance"], cap["capacity_found"] = None, False
        cap["capacity_refused"] = (
            f"generator saturated ({spans}): it dropped arrivals, so the back end was never "
            "offered the load; use --processes, a lower rate or a quieter machine"
        )
    per_instance = cap["capacity_per_instance"]
    values = service_sample(r, (per_instance or 0.0) * options.instances, window)
    mean_service = float(np.mean(values)) if values else 0.0
    workers = options.workers_per_instance
    source = "given"
    if workers is None and per_instance is not None:
        workers = max(1, round(per_instance * mean_service))
        # below capacity the offered rate stands in for it: workers are at least this many
        source = "littles_law" if cap["capacity_found"] else "littles_law_lower_bound"
    elif workers is None:
        source = "none: no capacity figure"
    answered = ~np.isnan(r.answered_at)
    first = r.d_delivery == 1
    offered = int(r.msg_id.size)
    not_answered = count[FAILED] + count[DROPPED]
    report: dict[str, Any] = {
        "profile": w0["profile"],
        "plan": w0["plan"],
        "host": w0["host"],
        "platform": w0["platform"],
        "workers": len(r.workers),
        "deadline_seconds": deadline,
        "max_deliveries": maxd,
        "expected": round(sum(float(w["expected"]) for w in r.workers), 3),
        "offered": offered,
        "sent": n_sent,
        "dropped": count[DROPPED],
        "delivered_requests": int(r.d_msg_id.size),
        "answered_in_time": count[IN_TIME],
        "answered_after_retry": count[AFTER_RETRY],
        "failed": count[FAILED],
        "failed_share": not_answered / offered if offered else None,
        "failed_share_of_sent": count[FAILED] / n_sent if n_sent else None,
        "dropped_share": count[DROPPED] / offered if offered else None,
        "retry_amplification": r.d_msg_id.size / n_sent if n_sent else None,
        "latency_from_intended_ms": quantiles_ms(r.answered_at[answered] - r.intended[answered]),
        "attribution": split,
        "first_delivery_from_intended_ms": quantiles_ms(
            (r.d_sent + r.d_response)[first] - _intended_of(r, r.d_msg_id[first])
        ),
        "latency_from_send_ms": quantiles_ms(r.d_response),
        "lateness_ms": quantiles_ms(r.lateness[sent]),
        **cap,
        "capacity_window_seconds": window,
        "ramp": w0.get("ramp"),
        "service_time_seconds": {"dist": "empirical", "values": values},
        "service_time_estimator": ESTIMATOR,
        "workers_per_instance": workers,
        "workers_per_instance_source": source,
        "instances": options.instances,
    }
    if values and workers is not None:
        servers = options.instances * workers
        queue = options.instances * options.queue_limit
        report["model"] = model_prediction(r, values, servers, queue, deadline, maxd, options.dedup)
    if "stub" in w0:
        targets = scenario_targets(w0)
        report["fan_answers"] = fan_answers(r, targets, float(w0["plan"].get("speedup", 1.0)))
        split["first_answer_ms"] = report["fan_answers"]["first_answer_ms"]
    if options.backend_db is not None:
        report["backend"] = backend_counts(options.backend_db, r)
        if "agents" in w0:
            report["agents"] = agent_times(options.backend_db, r, w0["agents"])
    elif options.metrics_url is not None:
        report["backend"] = metrics_counts(options.metrics_url)
    return report


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.3f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def report_table(rep: dict[str, Any]) -> Table:
    """Measurement beside the model, and the back end's own counts."""
    table = Table(title=f"load report: {rep['profile']['scenario']} -> {rep['host']}")
    table.add_column("measure")
    table.add_column("measured", justify="right")
    table.add_column("model", justify="right")
    model = rep.get("model", {})
    p99 = model.get("p99_response_seconds")
    model_p99 = None if p99 is None else p99 * 1000
    split = rep["attribution"]
    rows = [
        ("expected", rep["expected"], None),
        ("offered", rep["offered"], None),
        ("sent", rep["sent"], None),
        ("dropped", rep["dropped"], None),
        ("delivered requests", rep["delivered_requests"], None),
        ("answered in time", rep["answered_in_time"], model.get("answered_in_time")),
        ("answered after retry", rep["answered_after_retry"], model.get("answered_after_retry")),
        ("failed", rep["failed"], model.get("failed")),
        ("failed share of offered (failed or dropped)", rep["failed_share"], None),
        ("failed share of sent", rep["failed_share_of_sent"], model.get("failed_share")),
        ("retry amplification", rep["retry_amplification"], model.get("retry_amplification")),
        ("fan p50 / p99 of offered, unanswered = inf (ms)", _pair(split["fan_latency_ms"]), None),
        ("fan p50 / p99 of answered only (ms)", _pair(split["fan_latency_answered_only_ms"]),
         None),
        ("server latency p99, written -> response (ms)", split["server_latency_ms"]["p99"],
         model_p99),
        ("generator delay p99, intended -> start (ms)", split["generator_delay_ms"]["p99"], None),
        ("connect and write p99 (ms)", split["connect_and_write_ms"]["p99"], None),
        ("stale keep-alive connections (resent)", split["stale_connections"], None),
        ("generator saturated (s from start)", _spans(split), None),
        ("capacity per instance (/s)", _capacity(rep), None),
        (_workers_label(rep), rep["workers_per_instance"], None),
    ]  # fmt: skip
    rows += [(f"failed deliveries: {k}", v, None) for k, v in split["failure_causes"].items()]
    rows += [(f"dropped: {k}", v, None) for k, v in split["dropped_by_reason"].items()]
    if model:
        rows.append(("model: dropped messages not modelled", model["dropped_not_modelled"], None))
    for name, measured, predicted in rows:
        table.add_row(name, _fmt(measured), _fmt(predicted))
    answers = rep.get("fan_answers")
    if answers is not None:
        table.add_row(
            "fans: answered (of which through the API)",
            f"{answers['answered']:,} ({answers['answered_asynchronously']:,})",
            "",
        )
        table.add_row("fans: unanswered at the end", _fmt(answers["unanswered_at_end"]), "")
        table.add_row(
            "fans: first answer p50 / p99, unanswered = inf (ms)",
            _pair(answers["first_answer_ms"]),
            "",
        )
        table.add_row(
            "fans: first answer p50 / p99, answered only (ms)",
            _pair(answers["first_answer_answered_only_ms"]),
            "",
        )
        table.add_row("fans: within the targets (first response / resolution)",
                      _targets(answers["targets"]), "")  # fmt: skip
        for code, n in answers["api_refused_by_errcode"].items():
            table.add_row(f"fans: API calls refused, errcode {code}", _fmt(n), "")
    for key, value in rep.get("backend", {}).items():
        table.add_row(f"back end: {key}", _fmt(value), "")
    agents = rep.get("agents")
    if agents is not None:
        real, model = agents["measured"], agents["model"]
        for key in ("routed", "claimed", "answered", "first_response_met_share"):
            table.add_row(f"agents: {key}", _fmt(real[key]), _fmt(model[key]))
        for key in ("first_response_minutes", "resolution_minutes"):
            for q in ("p50", "p90"):
                table.add_row(f"agents: {key} {q}", _fmt(real[key][q]), _fmt(model[key][q]))
    return table


def _pair(q: dict[str, Any]) -> str:
    return f"{_fmt(q['p50'])} / {_fmt(q['p99'])}"


def _spans(split: dict[str, Any]) -> str:
    spans = split["generator_saturated_seconds"]
    if not spans:
        return "no"
    more = f" (+{len(spans) - 3} more)" if len(spans) > 3 else ""
    return ", ".join(f"{a:g}-{b:g}" for a, b in spans[:3]) + more


def _capacity(rep: dict[str, Any]) -> str:
    """The figure with its interval, or the reason it was refused."""
    if rep["capacity_per_instance"] is None:
        return str(rep["capacity_refused"])
    lo_hi = rep["capacity_interval_per_instance"]
    shown = _fmt(rep["capacity_per_instance"])
    if lo_hi is None:
        return shown
    return f"{shown} ({_fmt(lo_hi[0])}-{_fmt(lo_hi[1])}, {rep['capacity_interval_source']})"


def _targets(t: dict[str, Any]) -> str:
    """Shares of offered messages answered within the scenario's targets, or why not known."""
    if "missing" in t:
        return str(t["missing"])
    return (
        f"{_fmt(t['within_first_response_share'])} within {t['first_response_minutes']:g} min"
        f" / {_fmt(t['within_resolution_share'])} within {t['resolution_minutes']:g} min"
    )


def _workers_label(rep: dict[str, Any]) -> str:
    """Say when the workers figure is only a lower bound (the model then overstates queueing)."""
    if rep["workers_per_instance_source"] == "littles_law_lower_bound":
        return "workers per instance (lower bound: capacity not reached, model pessimistic)"
    return "workers per instance"


def write_report(run_dir: Path, options: ReportOptions) -> tuple[Path, Table, list[str]]:
    """Write `loadreport.json`; return its path, the table and the verdict's failing lines.

    The verdict: each threshold crossed; with no threshold, a run that answered nothing.
    """
    thresholds = [parse_threshold(t) for t in options.thresholds]
    rep = build_report(run_dir, options)
    r = read_run(run_dir)
    fan = fan_latency(r)
    if "fan_answers" in rep:  # what fans received: passive replies and the API's answers
        fan = np.nan_to_num(first_answers(r)[0] - r.intended, nan=np.inf)
    failing = crossed(rep, thresholds, fan)
    answered = rep["answered_in_time"] + rep["answered_after_retry"]
    if not thresholds and not answered:
        failing.append(f"no message was answered ({rep['offered']} offered)")
    rep["thresholds"] = {"checked": list(options.thresholds), "crossed": failing}
    path = run_dir / "loadreport.json"
    path.write_text(json.dumps(rep, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path, report_table(rep), failing


def main(argv: list[str]) -> int:
    """`python -m loadtests.report RUN_DIR OPTIONS_JSON` (what `fansim loadreport` runs)."""
    raw = json.loads(argv[1]) if len(argv) > 1 else {}
    for key in ("backend_db",):
        raw[key] = None if raw.get(key) is None else Path(raw[key])
    raw["thresholds"] = tuple(raw.get("thresholds", ()))
    try:
        path, table, failing = write_report(Path(argv[0]), ReportOptions(**raw))
    except (FileNotFoundError, sqlite3.Error, OSError, ValueError) as exc:
        print(f"fansim loadreport: {exc}", file=sys.stderr)
        return 2
    console = Console(highlight=False)
    console.print(table)
    console.print(f"wrote {path}")
    for line in failing:
        console.print(f"FAILED: {line}")
    return 1 if failing else 0
