"""What spread: cascades per campaign and generation, for the summary and cascades.csv.

Definitions: a generation's `participants` took part (generation 0: the campaign day's
participants); `sharers` passed it on; `shares` are the contacts (or task invites) they sent;
`reached` are people reached for the first time; `joined` are the next generation's
participants and `follows` the followers among a generation's participants; `effective_r` is
joined / participants. A campaign's `effective_r` is its joiners per participant over the
generations that could pass it on.
"""

from __future__ import annotations

from typing import Any

from sim.model.engine import ModelResult
from sim.results.provenance import params_hash
from sim.scenario.timeline import resolve_timeline

__all__ = ["cascade_rows", "cascade_summary", "push_summary"]


def cascade_summary(result: ModelResult) -> dict[str, Any]:
    """`cascades`: per campaign, totals over its days' cascades ({} when there are none)."""
    if not result.cascades:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for c in result.cascades:
        row = out.setdefault(
            c.campaign,
            {"seeds": 0, "participants": 0, "follows": 0, "reach": 0, "shares": 0, "parents": 0},
        )
        row["seeds"] += c.seeds
        row["participants"] += c.participants
        row["follows"] += c.follows
        row["reach"] += c.reach
        row["shares"] += c.shares
        row["parents"] += sum(g.participants for g in c.generations if g.passed_on)
        row["generations"] = max(row.get("generations", 0), len(c.generations))
    for row in out.values():
        parents = row.pop("parents")
        joined = row["participants"] - row["seeds"]
        row["effective_r"] = joined / parents if parents else None
    return {"cascades": out}


def cascade_rows(result: ModelResult) -> list[dict[str, Any]]:
    """One row per campaign day and generation, with provenance columns."""
    sc = result.spec.scenario
    meta = {
        "scenario": sc.scenario.name,
        "seed": result.spec.seed,
        "replication": result.spec.replication,
        "params_hash": params_hash(sc),
    }
    rows: list[dict[str, Any]] = []
    for c in result.cascades:
        launch = resolve_timeline(sc).date(c.day).isoformat()
        for g in c.generations:
            rows.append(
                {
                    **meta,
                    "campaign": c.campaign,
                    "launch_date": launch,
                    "generation": g.index,
                    "participants": g.participants,
                    "follows": g.follows,
                    "sharers": g.sharers,
                    "shares": g.shares,
                    "reached": g.reached,
                    "joined": g.joined,
                    "effective_r": g.effective_r if g.passed_on else None,
                }
            )
    return rows


def push_summary(result: ModelResult) -> dict[str, Any]:
    """`pushes` per push and `push_sms_cost` in all ({} when no push was sent)."""
    if not result.pushes:
        return {}
    tl = result.spec.timeline
    return {
        "pushes": {
            p.name: {
                "date": tl.date(p.day).isoformat(),
                "recipients": p.recipients,
                "relevant_recipients": p.relevant,
                "unfollows": p.unfollows,
                "replies_expected": p.replies_expected,
                "sms_cost": p.sms_cost,
            }
            for p in result.pushes
        },
        "push_sms_cost": sum(p.sms_cost for p in result.pushes),
    }
