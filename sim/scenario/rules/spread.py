"""Cross-field rules of multi-day campaigns, cascades, pushes and the activation sequence.

Run by `sim.scenario.rules` for every section whose own fields are valid; each rule names the
dotted path, the value and what to change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from sim.errors import Problem
from sim.scenario.schema import CampaignSpec
from sim.scenario.spread import ActivationSpec, PushSendSpec, SegmentSpec
from sim.scenario.validation import raw_table

__all__ = ["campaign_days", "campaign_spread_problems", "spread_problems"]

ClassCheck = Callable[[str, str | None], list[Problem]]


def campaign_days(c: CampaignSpec) -> int:
    """Calendar days a campaign runs, start and end included."""
    return (c.end.date() - c.start.date()).days + 1


def campaign_spread_problems(here: str, c: CampaignSpec) -> list[Problem]:
    """Rules of one campaign's days, warm-up and cascade."""
    out: list[Problem] = []
    days = campaign_days(c)
    if days > 1 and c.end.time() <= c.start.time():
        rule = (
            "a multi-day campaign runs each day from start's clock time to end's: end's clock "
            f"time must be after {c.start.time().isoformat(timespec='minutes')}"
        )
        out.append(Problem(f"{here}.end", rule, c.end.isoformat(), True))
    if c.daily_shares is not None:
        if len(c.daily_shares) != days:
            rule = f"must give one share per campaign day ({days} from start to end)"
            out.append(Problem(f"{here}.daily_shares", rule, list(c.daily_shares), True))
        elif sum(c.daily_shares) <= 0:
            rule = "needs at least one positive share"
            out.append(Problem(f"{here}.daily_shares", rule, list(c.daily_shares), True))
    k = c.cascade
    if k is not None:
        if k.kind == "task" and k.invite_target is None:
            rule = "must be given for task fission (friends who must join)"
            out.append(Problem(f"{here}.cascade.invite_target", rule))
        if k.invite_target is not None and k.invite_target > k.max_invites:
            rule = f"must not exceed cascade.max_invites ({k.max_invites})"
            out.append(Problem(f"{here}.cascade.invite_target", rule, k.invite_target, True))
    return out


def _segment_problems(path: str, segment: SegmentSpec | None) -> list[Problem]:
    if segment is None or segment.followed_from is None or segment.followed_to is None:
        return []
    if segment.followed_to < segment.followed_from:
        rule = f"must not be before {path}.followed_from ({segment.followed_from})"
        return [Problem(f"{path}.followed_to", rule, segment.followed_to.isoformat(), True)]
    return []


def spread_problems(raw: Any, class_check: ClassCheck) -> list[Problem]:
    """Rules of pushes and the activation sequence (message classes, segments)."""
    out: list[Problem] = []
    if not isinstance(raw, dict):
        return out
    for name, spec in raw_table(raw, "pushes", "sends").items():
        here = f"pushes.sends.{name}"
        try:
            push = PushSendSpec.model_validate(spec)
        except ValidationError:
            continue
        if push.reply_rate > 0 and push.reply_class is None:
            out.append(Problem(f"{here}.reply_class", "must name a class when reply_rate > 0"))
        out += class_check(f"{here}.reply_class", push.reply_class)
        out += _segment_problems(f"{here}.segment", push.segment)
        out += _segment_problems(f"{here}.relevant_to", push.relevant_to)
    activation = raw.get("activation")
    if activation is not None:
        try:
            act = ActivationSpec.model_validate(activation)
        except ValidationError:
            return out
        out += class_check("activation.reply_class", act.reply_class)
    return out
