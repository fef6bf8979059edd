"""Service by channel: volumes and SLA of WeChat and of each `[inbound.<name>]` channel.

Only for scenarios with inbound channels (otherwise no `channels` key and no
channels_service.csv, so such runs write what they always wrote). The WeChat stream of
`[messages]` is the `wechat` row; each inbound channel follows in file order. Per channel:
- received, auto_replied (by keyword rules), failed_at_server (WeChat campaign windows only),
  to_humans; answered, abandoned and still queued at the horizon (of those routed to agents);
- replies = auto_replied + answered: every message that got an answer (what a platform's
  dashboard counts as replies sent); per-day figures divide by the simulated days;
- response percentiles over answered messages (1-second histograms: within half a second);
  SLA attainment against that channel's targets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.model.engine import ModelResult
from sim.model.histogram import SecondHistogram
from sim.model.inbound import wechat_classes
from sim.results.outcomes import dated, dated_target, share
from sim.results.provenance import provenance
from sim.scenario.inbound import WECHAT

__all__ = ["channel_rows", "channel_summary"]


def _channels(result: ModelResult) -> list[tuple[str, str, list[int]]]:
    """(name, platform, class indices) of every channel, WeChat first."""
    tl = result.spec.timeline
    wechat = list(range(wechat_classes(tl)))
    out: list[tuple[str, str, list[int]]] = [
        (WECHAT, result.spec.scenario.scenario.platform, wechat)
    ]
    for channel, names in tl.channels:
        platform = next(sc.inbound[channel].platform for sc in tl.days if channel in sc.inbound)
        out.append((channel, platform, [result.class_names.index(n) for n in names]))
    return out


def _targets(result: ModelResult, channel: str, which: str) -> float | list[dict[str, Any]]:
    if channel == WECHAT:
        return dated_target(result, which)
    tl = result.spec.timeline
    return dated(tl.targets(which, channel), tl)


def _figures(result: ModelResult, idx: list[int], channel: str) -> dict[str, Any]:
    t = result.tally
    days = result.spec.scenario.scenario.days
    n = {key: int(v[idx].sum()) for key, v in t.by_class.items()}
    wait = SecondHistogram.merged(t.class_wait[i] for i in idx)

    def total(a: NDArray[np.int64]) -> int:
        return int(a[:, idx].sum())

    auto, n_answered = total(result.auto_replied), n["answered"]
    return {
        "first_response_target_minutes": _targets(result, channel, "first_response"),
        "resolution_target_minutes": _targets(result, channel, "resolution"),
        "messages_received": total(result.received),
        "received_per_day": total(result.received) / days,
        "messages_auto_replied": auto,
        "messages_failed_at_server": total(result.server_failed),
        "messages_to_humans": total(result.to_humans),
        "messages_answered": n_answered,
        "messages_abandoned": n["abandoned"],
        "backlog_final": n["queued"],
        "replies": auto + n_answered,
        "replies_per_day": (auto + n_answered) / days,
        "response_p50_minutes": wait.quantile(0.5),
        "response_p90_minutes": wait.quantile(0.9),
        "sla_first_response_met": share(n["first_met"], n["first_known"]),
        "sla_resolution_met": share(n["res_met"], n["res_known"]),
    }


def channel_summary(result: ModelResult) -> dict[str, Any]:
    """`channels`: each channel's figures by name ({} without inbound channels)."""
    if not result.spec.timeline.channels:
        return {}
    return {
        "channels": {
            name: {"platform": platform, **_figures(result, idx, name)}
            for name, platform, idx in _channels(result)
        }
    }


def channel_rows(result: ModelResult) -> list[dict[str, Any]]:
    """One row per channel with provenance columns (none without inbound channels).

    A target that a phase changes is left empty here (summary.json holds its dated steps).
    """
    if not result.spec.timeline.channels:
        return []
    meta = provenance(result.spec)
    rows = []
    for name, platform, idx in _channels(result):
        figures = _figures(result, idx, name)
        for key in ("first_response_target_minutes", "resolution_target_minutes"):
            if not isinstance(figures[key], int | float):
                figures[key] = None
        rows.append({**meta, "channel": name, "platform": platform, **figures})
    return rows
