"""Small scenario builders for tests: plain dicts through the real validator."""

from __future__ import annotations

from typing import Any

from sim.scenario.load import scenario_from_dict
from sim.scenario.schema import Scenario


def queue_scenario(
    rate_per_minute: float = 9.0,
    mean_handle: float = 1.0,
    agents: int = 10,
    mean_patience: float | None = None,
    days: int = 1,
    classes: dict[str, Any] | None = None,
    **service: Any,
) -> Scenario:
    """One human-routed class at a flat rate: an M/M/c (or M/M/c+M) queue as a scenario."""
    fans = rate_per_minute * 1440  # one message per fan per day
    raw: dict[str, Any] = {
        "scenario": {"name": "mmc", "start": "2013-04-10", "end": f"2013-04-{9 + days:02d}"},
        "fans": {"initial": round(fans)},
        "messages": {
            "per_active_fan_per_day": 1.0,
            "classes": classes
            or {
                "all": {
                    "share": 1.0,
                    "routing": "human",
                    "handle_time_minutes": {"dist": "exponential", "mean": mean_handle},
                }
            },
        },
        "service": {"agents_by_hour": [agents] * 24, **service},
    }
    if mean_patience is not None:
        raw["service"]["patience_minutes"] = {"dist": "exponential", "mean": mean_patience}
    return scenario_from_dict(raw)


def growth_scenario(
    days: int = 21,
    channels: dict[str, Any] | None = None,
    followers: dict[str, Any] | None = None,
    pushes_per_week: float = 0.0,
    agents: int = 2,
    initial: int = 1000,
    phases: list[dict[str, Any]] | None = None,
    back_end: bool = True,
    campaigns: dict[str, Any] | None = None,
) -> Scenario:
    """A small account with referral funnels, for follower-model tests."""
    start = "2013-01-01"
    end = f"2013-01-{days:02d}" if days <= 31 else f"2013-02-{days - 31:02d}"
    raw: dict[str, Any] = {
        "scenario": {"name": "growth", "start": start, "end": end},
        "fans": {"initial": initial, "active_share": 0.5},
        "messages": {
            "per_active_fan_per_day": 0.05,
            "classes": {
                "keyword": {
                    "share": 0.9,
                    "routing": "auto",
                    "handle_time_minutes": {"dist": "exponential", "mean": 1.0},
                },
                "order": {
                    "share": 0.1,
                    "routing": "human",
                    "priority": 0,
                    "handle_time_minutes": {"dist": "exponential", "mean": 2.0},
                },
            },
        },
        "service": {
            "agents_by_hour": [agents] * 24,
            "back_end": back_end,
            "patience_minutes": {"dist": "exponential", "mean": 30},
        },
        "channels": channels
        if channels is not None
        else {
            "forum": {
                "pool": 50_000,
                "conversion": 0.01,
                "exposure": {"kind": "visitors", "visitors_per_day": 20_000},
            },
            "word_of_mouth": {
                "pool": 100_000,
                "conversion": 0.05,
                "quality_sensitivity": 1.0,
                "exposure": {"kind": "referrals", "per_active_fan_per_day": 0.1},
            },
        },
        "followers": followers or {"unfollow_per_day": 0.002, "unanswered_unfollow": 0.2},
        "pushes": {"per_week": pushes_per_week, "policy_per_week": 2},
    }
    if phases:
        raw["phases"] = phases
    if campaigns:
        raw["campaigns"] = campaigns
    return scenario_from_dict(raw)


def _human(mean: float, share: float = 1.0, **more: Any) -> dict[str, Any]:
    return {
        "share": share,
        "routing": "human",
        "handle_time_minutes": {"dist": "exponential", "mean": mean},
        **more,
    }


def inbound_raw(days: int = 2, weibo_followers: int = 200_000) -> dict[str, Any]:
    """A small WeChat account plus a Weibo channel (private messages and mentions), raw.

    WeChat: 2,000 fans x 1 message a day, 80% auto-replied; Weibo: 200,000 followers, 10%
    active, 0.02 messages each a day (400), half of the mentions auto-replied.
    """
    return {
        "scenario": {"name": "two_channels", "start": "2013-04-10", "end": f"2013-04-{9 + days}"},
        "fans": {"initial": 2000},
        "messages": {
            "per_active_fan_per_day": 1.0,
            "classes": {
                "keyword": {**_human(1.0, 0.8), "routing": "auto"},
                "order": _human(2.0, 0.2, priority=0),
            },
        },
        "inbound": {
            "weibo": {
                "platform": "weibo",
                "followers": weibo_followers,
                "active_share": 0.1,
                "per_active_fan_per_day": 0.02,
                "auto_reply_coverage": 0.5,
                "first_response_target_minutes": 20,
                "classes": {
                    "weibo_pm": _human(3.0, 0.6),
                    "weibo_mention": {**_human(2.0, 0.4), "routing": "auto"},
                },
            }
        },
        "service": {"agents_by_hour": [3] * 24},
    }
