"""The 2013 new-media group (scenarios/xiaomi_newmedia_2013.toml) reproduces the reported volumes.

Every figure is measured from the run's outputs (summary.json's channels and classes), never
written into the model; the ranges are the reported ones (seed-facts.md section 1 [A, B]) with
the scenario's stated reconciliation of WeChat's "about 10,000 replies a day" (faq answers by
keyword rules plus agents' answers).
"""

from __future__ import annotations

import csv
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sim.cli.main import main

SCENARIO = Path(__file__).parents[2] / "scenarios" / "xiaomi_newmedia_2013.toml"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("newmedia")
    assert main(["run", str(SCENARIO), "--out", str(out), "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    return data


def per_day(summary: dict[str, Any], value: float) -> float:
    return value / summary["days"]


def test_wechat_volumes_fall_in_the_reported_ranges(summary: dict[str, Any]) -> None:
    wechat = summary["channels"]["wechat"]
    assert 28_500 <= per_day(summary, wechat["messages_received"]) <= 31_500  # ~30,000 [B]
    assert 27_000 <= per_day(summary, wechat["messages_auto_replied"]) <= 29_000  # ~28,000 [B]
    assert 1_800 <= per_day(summary, wechat["messages_to_humans"]) <= 2_200  # ~2,000 [B]


def test_wechat_replies_reconcile_about_10000_a_day(summary: dict[str, Any]) -> None:
    """[A]'s replies: specific keyword answers (`faq`) plus agents' answers."""
    answered = summary["channels"]["wechat"]["messages_answered"]
    replies = per_day(summary, summary["by_class"]["faq"]["auto_replied"] + answered)
    assert 9_000 <= replies <= 11_000


def test_weibo_private_message_replies_are_3000_to_4000_a_day(summary: dict[str, Any]) -> None:
    assert 3_000 <= per_day(summary, summary["by_class"]["weibo_pm"]["answered"]) <= 4_000  # [A]


def test_each_channel_is_judged_against_its_own_target(summary: dict[str, Any]) -> None:
    channels = summary["channels"]
    assert channels["wechat"]["first_response_target_minutes"] == 15  # [A]
    assert channels["weibo"]["first_response_target_minutes"] == 20  # [D]
    assert channels["weibo"]["platform"] == "weibo"


def test_costs_stand_beside_the_sms_alternative(run_dir: Path, summary: dict[str, Any]) -> None:
    """Agent-hours priced per group from the rosters; SMS avoided = WeChat's answers only."""
    raw = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))
    with (run_dir / "costs.csv").open(encoding="utf-8") as f:
        lines = {(r["item"], r["subject"]): r for r in csv.DictReader(f)}
    for group, spec in raw["service"]["groups"].items():
        hours = sum(
            ((s["end"].hour - s["start"].hour) % 24 or 24) * s["agents"] for s in spec["shifts"]
        )
        line = lines[("agent_hours", group)]
        assert float(line["quantity"]) == hours * summary["days"]
        assert float(line["amount"]) == pytest.approx(
            hours * summary["days"] * raw["costs"]["groups"][group]["agent_hour"]
        )
    costs = summary["costs"]
    wechat = summary["channels"]["wechat"]
    replies = wechat["messages_auto_replied"] + wechat["messages_answered"]
    assert costs["sms_avoided"]["service_replies"] == pytest.approx(0.04 * replies, rel=1e-3)
    assert costs["total"] == pytest.approx(sum(costs["by_item"].values()))
