"""Load-test section: what the replay offered and sent, latency two ways, model vs measurement.

Drawn from loadreport.json (`fansim loadreport`: counts, latency percentiles, the capacity
estimate and the model's prediction on the same arrivals) and, when the replay's records are
still in the folder, from messages-<i>.csv and deliveries-<i>.csv (one row per message and per
delivery) for the figure over time. Latency "from intended time" counts from when the message
was due, so a target that stalls the generator still shows; "from send" is what Locust itself
reports (each request from the moment it left), which hides such stalls.
Only files are read: `sim` never imports `loadtests`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.reports.plotting import COLORS, FigureOut, legend_above, limit_line, new_figure
from sim.reports.run_folder import F64, RunFolder, Table
from sim.reports.section import Finding, ReportOptions, Section, SectionResult

__all__ = ["LOADTEST"]

_LATENCIES = (  # key, label, colour
    ("latency_from_intended_ms", "intended → answer", "p90"),
    ("first_delivery_from_intended_ms", "intended → first reply", "p50"),
    ("latency_from_send_ms", "send → reply (Locust's own)", "retries"),
    ("lateness_ms", "generator lateness", "expected"),
)
_QUANTILES = ("p50", "p90", "p99", "p999", "max")
_OUTCOMES = (
    ("answered_in_time", "in time", "auto"),
    ("answered_after_retry", "after a retry", "retries"),
    ("failed", "failed", "failed"),
)


def _num(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else np.nan


def _counts(rep: dict[str, Any]) -> FigureOut:
    fig, (ac, ao) = new_figure(height=3.0, columns=2, share_x=False)
    names = ("expected", "offered", "sent", "dropped", "delivered_requests")
    values = [_num(rep.get(n)) for n in names]
    colors = [COLORS[c] for c in ("expected", "received", "human", "refused", "retries")]
    y = np.arange(len(names))
    ac.barh(y, values, color=colors)
    for yi, v in zip(y, values, strict=True):
        if not np.isnan(v):
            ac.annotate(f"{v:,.0f}", (v, yi), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=8)  # fmt: skip
    ac.set_yticks(y, [n.replace("_", " ") for n in names])
    ac.invert_yaxis()
    ac.set_xlabel("messages (requests for delivered requests)")
    ac.set_title("offered vs sent", fontsize=9, loc="left")
    ac.grid(axis="y", visible=False)
    model = rep.get("model") or {}
    sent = _num(rep.get("sent"))
    x = np.arange(len(_OUTCOMES))
    measured = [_num(rep.get(k)) / sent if sent else np.nan for k, _, _ in _OUTCOMES]
    total = sum(_num(model.get(k)) for k, _, _ in _OUTCOMES)
    predicted = [_num(model.get(k)) / total if total else np.nan for k, _, _ in _OUTCOMES]
    ao.bar(x - 0.2, measured, 0.4, color=COLORS["human"], label="measured")
    ao.bar(x + 0.2, predicted, 0.4, color=COLORS["expected"], label="model")
    ao.set_xticks(x, [label for _, label, _ in _OUTCOMES])
    ao.set_yscale("symlog", linthresh=0.01)
    ao.set_ylim(0, 1.5)
    ao.yaxis.set_major_formatter("{x:.0%}")
    ao.set_ylabel("share of messages sent")
    legend_above(ao)
    return FigureOut(
        "loadtest_counts",
        "Load test: offered vs sent; outcomes measured and predicted",
        "Left: messages the profile expected, the schedule offered, the generator sent and "
        "dropped (it could not send them on time), and the requests delivered including "
        "WeChat-style redeliveries. Right: share of sent messages answered in time, after a "
        "redelivery, or failed after every delivery, measured beside the model's server run on "
        "the same arrivals with the measured service times (log scale below 1%).",
        fig,
    )


def _latency(rep: dict[str, Any]) -> FigureOut:
    fig, (ax,) = new_figure(height=3.2)
    x = np.arange(len(_QUANTILES))
    width = 0.8 / len(_LATENCIES)
    for k, (key, label, color) in enumerate(_LATENCIES):
        q = rep.get(key) or {}
        values = [_num(q.get(n)) for n in _QUANTILES]
        ax.bar(x - 0.4 + width * (k + 0.5), values, width, color=COLORS[color], label=label)
    model_p99 = _num((rep.get("model") or {}).get("p99_response_seconds")) * 1000
    if not np.isnan(model_p99):
        ax.plot([2 + 0.4 - width * 1.5, 2 + 0.4 - width * 0.5], [model_p99] * 2, color="#000000",
                linewidth=2, label="model: p99 per request")  # fmt: skip
    deadline = _num(rep.get("deadline_seconds")) * 1000
    if not np.isnan(deadline):
        limit_line(ax, deadline, f"deadline {deadline / 1000:g} s")
    ax.set_yscale("log")
    ax.set_xticks(x, ["p50", "p90", "p99", "p99.9", "max"])
    ax.set_ylabel("milliseconds (log scale)")
    legend_above(ax)
    return FigureOut(
        "loadtest_latency",
        "Load test: latency from the intended time vs Locust's own",
        "Percentiles of four clocks: from the time a message was due to its answer (what a fan "
        "waits), to the first reply, each request from its own send (what Locust reports: a "
        "generator that fell behind hides the wait here), and how late the generator sent. The "
        "black mark is the model's p99 per request; dashed: WeChat's reply deadline.",
        fig,
    )


def _records(folder: RunFolder) -> tuple[Table, Table] | None:
    """All workers' message and delivery rows, or None when the records are not there."""
    messages = folder.glob("messages-*.csv")
    if not messages:
        return None
    deliveries = [f"deliveries-{m[len('messages-') :]}" for m in messages]
    if not all(folder.has(d) for d in deliveries):
        return None
    return folder.concat(messages), folder.concat(deliveries)


def _per_second(t: F64, values: F64 | None, n: int, how: str = "count") -> F64:
    sec = np.clip(np.floor(t).astype(np.int64), 0, n - 1)
    if how == "count":
        return np.bincount(sec, minlength=n).astype(np.float64)
    assert values is not None
    out = np.full(n, np.nan)
    for s in np.unique(sec):
        v = values[sec == s]
        v = v[~np.isnan(v)]
        if v.size:
            out[s] = np.quantile(v, 0.99)
    return out


def _over_time(messages: Table, deliveries: Table, deadline: float) -> FigureOut:
    intended = messages.num("intended")
    n = int(np.nanmax(intended)) + 1 if intended.size else 1
    outcome = messages.text("outcome")
    sent = outcome != "dropped"
    answered = messages.num("answered_at")
    secs = np.arange(n)
    fig, (ar, al) = new_figure(rows=2, height=2.5)
    ar.step(secs, _per_second(intended, None, n), where="post", color=COLORS["received"],
            label="offered")  # fmt: skip
    ar.step(secs, _per_second(intended[sent] + messages.num("lateness")[sent], None, n),
            where="post", color=COLORS["human"], label="sent")  # fmt: skip
    ar.step(secs, _per_second(intended[outcome == "failed"], None, n), where="post",
            color=COLORS["failed"], label="failed (by intended time)")  # fmt: skip
    ar.set_ylabel("messages per second")
    legend_above(ar)
    wait = np.where(np.isnan(answered), np.inf, answered - intended)[sent]
    p99_intended = _per_second(intended[sent], wait, n, "p99")
    p99_send = _per_second(deliveries.num("sent"), deliveries.num("response"), n, "p99")
    al.step(secs, np.where(np.isinf(p99_intended), np.nan, p99_intended), where="post",
            color=COLORS["p90"], label="p99 intended → answer")  # fmt: skip
    al.step(secs, p99_send, where="post", color=COLORS["retries"],
            label="p99 send → reply (Locust's own)")  # fmt: skip
    if not np.isnan(deadline):
        limit_line(al, deadline, f"deadline {deadline:g} s")
    al.set_yscale("log")
    al.set_ylabel("seconds (log scale)")
    al.set_xlabel("seconds from the start of the replay")
    legend_above(al)
    return FigureOut(
        "loadtest_over_time",
        "Load test over time: offered vs sent, and the two latencies",
        "Top: messages per second the schedule offered, the generator sent and that failed "
        "after every delivery. Bottom: each second's 99th percentile latency counted from the "
        "intended time (gaps: more than 1% of that second's messages never answered) and from "
        "each request's own send, as Locust reports it.",
        fig,
    )


def _findings(rep: dict[str, Any]) -> tuple[Finding, ...]:
    out = []
    offered, sent, dropped = (_num(rep.get(k)) for k in ("offered", "sent", "dropped"))
    late = _num((rep.get("lateness_ms") or {}).get("p99"))
    if offered:
        ok = dropped == 0
        out.append(
            Finding(
                "met" if ok else "missed",
                f"Replay: sent {sent:,.0f} of {offered:,.0f} messages offered "
                f"({sent / offered:.1%}), {dropped:,.0f} dropped; generator lateness p99 "
                f"{late:,.1f} ms"
                + (
                    "."
                    if ok
                    else f": the generator fell behind, the load was {dropped / offered:.2%} "
                    "below plan."
                ),
            )
        )
    deadline = _num(rep.get("deadline_seconds"))
    p99 = _num((rep.get("latency_from_intended_ms") or {}).get("p99")) / 1000
    failed = _num(rep.get("failed"))
    if sent and not np.isnan(p99):
        met = failed == 0 and p99 <= deadline
        side = "under" if p99 <= deadline else "over"
        out.append(
            Finding(
                "met" if met else "missed",
                f"Back end: {failed:,.0f} messages failed ({failed / sent:.2%} of sent); p99 "
                f"from intended time {p99:,.2f} s, {abs(p99 - deadline):,.2f} s {side} the "
                f"{deadline:g} s deadline.",
            )
        )
    own = _num((rep.get("latency_from_send_ms") or {}).get("p99")) / 1000
    if not np.isnan(own) and not np.isnan(p99):
        out.append(
            Finding(
                "info",
                f"Locust's own p99 (from send) {own:,.3f} s vs {p99:,.3f} s from the intended "
                f"time: counting from the send hides {max(p99 - own, 0):,.3f} s of waiting.",
            )
        )
    model = rep.get("model") or {}
    if model:
        # the model serves the messages sent: compare with the failed share of sent
        sent_share = rep.get("failed_share_of_sent", rep.get("failed_share"))
        m_share, share = _num(model.get("failed_share")), _num(sent_share)
        m_amp, amp = _num(model.get("retry_amplification")), _num(rep.get("retry_amplification"))
        cap = rep.get("capacity_per_instance")
        capacity = (
            f"no capacity ({rep.get('capacity_refused')})"
            if cap is None
            else f"capacity {_num(cap):,.0f} messages/s per instance"
            + ("" if rep.get("capacity_found") else " (a lower bound: no window failed)")
        )
        out.append(
            Finding(
                "info",
                f"Model vs measurement (messages sent): failed share {m_share:.2%} predicted vs "
                f"{share:.2%} measured; requests per message {m_amp:.3f} vs {amp:.3f}; "
                f"{capacity}.",
            )
        )
    backend = rep.get("backend") or {}
    if "lost" in backend:
        lost = _num(backend["lost"])
        out.append(
            Finding(
                "met" if lost == 0 else "missed",
                f"Back end's database: {lost:,.0f} acknowledged messages lost, "
                f"{_num(backend.get('duplicates_suppressed')):,.0f} duplicate deliveries "
                "suppressed.",
            )
        )
    return tuple(out)


def _build(folder: RunFolder, options: ReportOptions) -> SectionResult:
    rep = folder.json("loadreport.json")
    if "offered" not in rep:
        return SectionResult(
            notes=("loadreport.json holds no measurement (only service times, e.g. a fixture).",)
        )
    figures = [_counts(rep), _latency(rep)]
    notes: tuple[str, ...] = ()
    records = _records(folder)
    if records is not None and records[0].rows:
        figures.insert(0, _over_time(*records, _num(rep.get("deadline_seconds"))))
    else:
        notes = (
            "The replay's records (messages-*.csv) are not in the folder: no figure over time.",
        )
    return SectionResult(figures=tuple(figures), findings=_findings(rep), notes=notes)


LOADTEST = Section(
    "loadtest",
    "Load test: offered vs sent, latency, model vs measurement",
    ("loadreport.json",),
    "fansim loadreport",
    _build,
)
