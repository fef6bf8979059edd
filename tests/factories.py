"""Small scenario builders for tests: plain dicts through the real validator."""

from __future__ import annotations

from typing import Any

from sim.config import Scenario, scenario_from_dict


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
