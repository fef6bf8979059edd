"""Event outputs per campaign and per day: reached, participants, shares, follows gross and net.

Definitions (docs/model.md, "Event outputs"):

- `reached`: people outside the account reached for the first time by the campaign (warm-up
  announcements, promotion posts and paid reach, the cascade's shares), on the day they were
  reached (a cascade's reach counts on its launch day); `aware`: of them, by the warm-up.
- `participants`: fans taking part, people who followed to take part, warm-up and promotion
  arrivals on their day, and cascade joiners on the day they joined (a fan counted once a day).
- `shares`: people who passed it on (one repost each on Weibo: `reposts` in the summary), on the
  launch day.
- `follows`: the campaign's followers on the day they followed (warm-up followers, newcomers,
  arrivals, cascade followers), as the follower model took them (channel caps applied).
- `net_follows_3d` / `net_follows_14d`: of those followers, the ones still following at the end
  of the 3rd / 14th day after their follow (unfollows for any reason: gift churn, the base
  hazard, unanswered messages, pushes). Empty when the run ends before that day.
- `prizes`: prizes given, spread over the campaign's days as its participation; `cost`: prizes x
  prize value plus the campaign's priced lines of `[costs]`; `cost_per_net_follow` = cost /
  net follows after 14 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sim.model.campaigns import day_weights
from sim.model.engine import ModelResult
from sim.results.costs import cost_lines
from sim.results.provenance import provenance
from sim.scenario.rules.spread import campaign_days
from sim.scenario.schema import CampaignSpec
from sim.scenario.timeline import resolve_timeline

__all__ = ["NET_DAYS", "campaign_rows", "campaign_summary", "gone_within"]

NET_DAYS = (3, 14)
"""Days after a follow at which net follows are counted."""


def _spec(result: ModelResult, name: str) -> CampaignSpec | None:
    for sc in resolve_timeline(result.spec.scenario).days:
        if name in sc.campaigns:
            return sc.campaigns[name]
    return None


def _prizes_by_day(c: CampaignSpec, launch: int) -> dict[int, int]:
    """Prizes given on each campaign day, in proportion to its participation (whole prizes)."""
    weights = day_weights(c)
    given = [int(c.prizes * w) for w in weights]
    given[0] += c.prizes - sum(given)
    return {launch + k: n for k, n in enumerate(given)}


def gone_within(unfollows: Mapping[tuple[int, int], int], k: int) -> dict[int, int]:
    """Per day of follow, its followers who unfollowed by the end of the `k`-th day after.

    `unfollows` counts followers by (day of follow, day of unfollow), as the follower model
    tags a campaign's; the forecast's net follows (sim.inference) use the same rule.
    """
    out: dict[int, int] = {}
    for (f, u), n in unfollows.items():
        if u - f <= k:
            out[f] = out.get(f, 0) + n
    return out


def _net(follows: int, gone: Mapping[int, int], day: int, k: int, last: int) -> int | None:
    """Followers of `day` still following at the end of day `day + k` (None past the run).

    `gone` is `gone_within(..., k)` of the campaign's unfollows.
    """
    if day + k > last:
        return None
    return follows - gone.get(day, 0)


def _phase(day: int, launch: int, c: CampaignSpec) -> str:
    if day < launch:
        return "warmup"
    return "campaign" if day < launch + campaign_days(c) else "after"


def campaign_days_table(result: ModelResult) -> dict[str, list[dict[str, Any]]]:
    """Per campaign, one dict per day with anything to say (no provenance columns)."""
    tl = resolve_timeline(result.spec.scenario)
    last = len(tl.days) - 1
    tr = result.followers
    follows = tr.campaign_follows if tr is not None else {}
    unfollows = tr.campaign_unfollows if tr is not None else {}
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(set(result.campaign_days) | set(follows)):
        c = _spec(result, name)
        if c is None:
            continue
        launch = (c.start.date() - tl.start).days
        prizes = _prizes_by_day(c, launch)
        logged = result.campaign_days.get(name, {})
        f_days = follows.get(name, {})
        gone = {k: gone_within(unfollows.get(name, {}), k) for k in NET_DAYS}
        rows = []
        for day in sorted(set(logged) | set(f_days) | set(prizes)):
            rec = logged.get(day)
            n = f_days.get(day, 0)
            rows.append(
                {
                    "campaign": name,
                    "date": (tl.start + dt.timedelta(days=day)).isoformat(),
                    "day": day,
                    "phase": _phase(day, launch, c),
                    "reached": rec.reached if rec else 0,
                    "aware": rec.aware if rec else 0,
                    "participants": rec.participants if rec else 0,
                    "shares": rec.shares if rec else 0,
                    "follows": n,
                    **{f"net_follows_{k}d": _net(n, gone[k], day, k, last) for k in NET_DAYS},
                    "prizes": prizes.get(day, 0),
                }
            )
        out[name] = rows
    return out


def _total(rows: list[dict[str, Any]], key: str) -> int | None:
    values = [
        r[key] for r in rows if r["follows"] or key not in ("net_follows_3d", "net_follows_14d")
    ]
    if any(v is None for v in values):
        return None
    return int(sum(values))


def campaign_summary(result: ModelResult) -> dict[str, Any]:
    """`campaigns`: per campaign, its totals and its days ({} when no campaign ran)."""
    table = campaign_days_table(result)
    if not table:
        return {}
    sc = result.spec.scenario
    lines = [line for line in cost_lines(result) if line.kind == "cost"]
    tr = result.followers
    out: dict[str, Any] = {}
    for name, rows in table.items():
        c = _spec(result, name)
        assert c is not None  # the table has only campaigns of the scenario
        platform = c.platform or sc.scenario.platform
        cost = c.prizes * c.prize_value + sum(x.amount for x in lines if x.subject == name)
        net14 = _total(rows, "net_follows_14d")
        follows = _total(rows, "follows") or 0
        gone = sum((tr.campaign_unfollows.get(name, {}) if tr else {}).values())
        totals = {
            "type": c.type,
            "platform": platform,
            "launch": c.start.isoformat(),
            "reached": _total(rows, "reached"),
            "aware": _total(rows, "aware"),
            "participants": _total(rows, "participants"),
            "shares": _total(rows, "shares"),
            "reposts": _total(rows, "shares") if platform == "weibo" else None,
            "follows": follows,
            "unfollows": gone,
            "still_following": follows - gone,
            "net_follows_3d": _total(rows, "net_follows_3d"),
            "net_follows_14d": net14,
            "prizes": c.prizes,
            "cost": cost,
            "cost_per_net_follow": cost / net14 if net14 else None,
            # a list: per-day figures stay out of the replication tables' metric columns
            "by_day": [{k: v for k, v in r.items() if k != "campaign"} for r in rows],
        }
        out[name] = totals
    return {"campaigns": out}


def campaign_rows(result: ModelResult) -> list[dict[str, Any]]:
    """campaigns.csv: one row per campaign and day, then one `total` row per campaign."""
    summary = campaign_summary(result).get("campaigns", {})
    meta = provenance(result.spec)
    rows: list[dict[str, Any]] = []
    for name, days in campaign_days_table(result).items():
        total = summary[name]
        for r in days:
            rows.append({**meta, "row": "day", **r, "cost": None, "cost_per_net_follow": None})
        rows.append(
            {
                **meta,
                "row": "total",
                "campaign": name,
                "date": None,
                "day": None,
                "phase": None,
                **{
                    k: total[k]
                    for k in (
                        "reached",
                        "aware",
                        "participants",
                        "shares",
                        "follows",
                        "net_follows_3d",
                        "net_follows_14d",
                        "prizes",
                        "cost",
                        "cost_per_net_follow",
                    )
                },
            }
        )
    return rows
