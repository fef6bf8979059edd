"""Did the agents keep up during each campaign? Findings from summary.json's `service_by_campaign`.

One judged line per campaign: its live hours (its days when it has none) against the
first-response target and the report's share, with the margin, the 90th percentile, the
abandoned and the largest backlog; its whole days' share beside it, since the backlog a
campaign leaves spills past its live hours.
"""

from __future__ import annotations

import math
from typing import Any

from sim.reports.section import Finding, judge_share

__all__ = ["campaign_findings"]


def _when(p: dict[str, Any]) -> str:
    lo, hi = str(p.get("from", "")), str(p.get("to", ""))
    hi_shown = hi[11:] if hi[:10] == lo[:10] else hi.replace("T", " ")
    return f"{lo.replace('T', ' ')} – {hi_shown}, {p.get('hours', 0):g} h"


def _finding(name: str, entry: dict[str, Any], target: Any, share: float) -> Finding | None:
    kind = "live" if "live" in entry else "days"
    p = entry.get(kind)
    met = None if p is None else p.get("sla_first_response_met")
    if p is None or met is None or (isinstance(met, float) and math.isnan(met)):
        return None
    verdict, margin = judge_share(met, met, share)
    what = "live hours" if kind == "live" else "days"
    within = f"{target:g} min" if isinstance(target, int | float) else "the target"
    routed = p.get("messages_to_agents") or 0
    kept = "the agents kept up" if verdict == "met" else "the agents did not keep up"
    text = (
        f"Campaign {name}, {what} ({_when(p)}): {kept}: {met:.1%} of {routed:,} messages "
        f"routed to agents answered within {within} (the report asks for {share:.0%}): {margin}"
    )
    p90 = p.get("response_p90_minutes")
    if p90 is not None and isinstance(target, int | float):
        diff = p90 - target
        text += f"; 90th percentile {p90:.1f} min ({abs(diff):.1f} min "
        text += "under the target)" if diff <= 0 else "over the target)"
    abandoned = p.get("messages_abandoned") or 0
    text += f"; {abandoned:,} abandoned; at most {p.get('backlog_max', 0):,} waiting"
    days = entry.get("days")
    if kind == "live" and days and days.get("sla_first_response_met") is not None:
        text += f"; over its whole days {days['sla_first_response_met']:.1%} within {within}"
    return Finding(verdict, text + ".")


def campaign_findings(summary: dict[str, Any], share: float) -> tuple[Finding, ...]:
    """One finding per campaign in the summary's `service_by_campaign` (none in older folders)."""
    target = summary.get("sla_first_response_target_minutes")
    by_campaign = summary.get("service_by_campaign") or {}
    found = (_finding(name, entry, target, share) for name, entry in by_campaign.items())
    return tuple(f for f in found if f is not None)
