"""Service levels per day and per campaign window equal what timeseries.csv adds up to."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.cli import main
from sim.model.engine import RunSpec, run_one
from sim.model.histogram import ERROR_MINUTES
from sim.model.spans import campaign_spans
from sim.results.service_periods import service_by_campaign
from sim.scenario.load import scenario_from_dict

REPO = Path(__file__).parents[2]

# a three-day campaign live 10:00-18:00 each day, agents short of its load
TOML = """
[scenario]
name = "planner"
start = 2021-03-01
end = 2021-03-07
[fans]
initial = 20000
active_share = 0.5
[messages]
per_active_fan_per_day = 0.03
[messages.classes.question]
share = 1.0
routing = "human"
handle_time_minutes = { dist = "exponential", mean = 4.0 }
[messages.classes.campaign_code]
share = 0.0
routing = "human"
handle_time_minutes = { dist = "exponential", mean = 2.0 }
[service]
shifts = [{ name = "day", start = "09:00", end = "21:00", agents = 3 }]
patience_minutes = { dist = "exponential", mean = 90.0 }
[campaigns.spring]
type = "fission"
start = 2021-03-03T10:00:00
end = 2021-03-05T18:00:00
participation = 0.3
message_class = "campaign_code"
"""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _num(text: str) -> float:
    return float(text) if text else math.nan


def _recomputed(hours: list[dict[str, str]], lo: str, hi: str) -> dict[str, float]:
    """A period's figures added up from the hourly rows whose hour starts in [lo, hi)."""
    inside = [h for h in hours if lo <= h["hour"] < hi]
    total = {
        k: sum(int(h[k]) for h in inside)
        for k in (
            "arrivals_to_agents",
            "arrivals_abandoned",
            "sla_first_response_met_n",
            "sla_first_response_known_n",
            "sla_resolution_met_n",
            "sla_resolution_known_n",
        )
    }
    return {
        "messages_to_agents": total["arrivals_to_agents"],
        "messages_abandoned": total["arrivals_abandoned"],
        "sla_first_response_met": total["sla_first_response_met_n"]
        / total["sla_first_response_known_n"],
        "sla_resolution_met": total["sla_resolution_met_n"] / total["sla_resolution_known_n"],
        "backlog_max": max(int(h["backlog_max"]) for h in inside),
    }


def _check(period: dict[str, Any], expected: dict[str, float]) -> None:
    for key, value in expected.items():
        assert period[key] == pytest.approx(value, rel=1e-8), key


def _run(
    scenario: Path, out: Path
) -> tuple[dict[str, Any], list[dict[str, str]], list[dict[str, str]]]:
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    return summary, _rows(out / "daily.csv"), _rows(out / "timeseries.csv")


def test_a_written_campaign_s_service_levels_add_up_from_the_hours(tmp_path: Path) -> None:
    path = tmp_path / "planner.toml"
    path.write_text(TOML)
    summary, days, hours = _run(path, tmp_path / "out")
    spring = summary["service_by_campaign"]["spring"]
    assert (spring["days"]["from"], spring["days"]["to"]) == (
        "2021-03-03T00:00",
        "2021-03-06T00:00",
    )
    assert (spring["live"]["from"], spring["live"]["to"]) == (
        "2021-03-03T10:00",
        "2021-03-05T18:00",
    )
    assert spring["live"]["hours"] == 24.0
    _check(spring["days"], _recomputed(hours, "2021-03-03", "2021-03-06"))
    live = [_recomputed(hours, f"2021-03-0{d}T10:00", f"2021-03-0{d}T18:00") for d in (3, 4, 5)]
    assert spring["live"]["messages_to_agents"] == sum(p["messages_to_agents"] for p in live)
    assert spring["live"]["backlog_max"] == max(p["backlog_max"] for p in live)
    assert spring["live"]["messages_abandoned"] == sum(p["messages_abandoned"] for p in live)
    for day in days:
        date = day["date"]
        nxt = (dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat()
        expected = _recomputed(hours, date, nxt)
        got = {k: _num(day[f"service_{k}"]) for k in expected}
        _check(got, expected)
    # the campaign overwhelms three agents: its days are worse than the quiet days before
    before = [d for d in days if d["date"] < "2021-03-03"]
    assert spring["live"]["sla_first_response_met"] < min(
        float(d["service_sla_first_response_met"]) for d in before
    )


def test_the_festival_quiz_s_service_levels_add_up_from_the_hours(tmp_path: Path) -> None:
    summary, _, hours = _run(REPO / "scenarios" / "mifan_festival_2013.toml", tmp_path / "out")
    quiz = summary["service_by_campaign"]["live_quiz"]
    _check(quiz["live"], _recomputed(hours, quiz["live"]["from"], quiz["live"]["to"]))
    _check(quiz["days"], _recomputed(hours, quiz["days"]["from"], quiz["days"]["to"]))


def test_the_p90_is_of_the_window_s_answered_messages() -> None:
    scenario = scenario_from_dict(tomllib.loads(TOML))
    result = run_one(records=True, spec=RunSpec(scenario, 3))
    q = result.queue
    spans = campaign_spans(result.spec.timeline, q.horizon)["spring"]["live"]
    assert len(spans) == 3  # one per campaign day
    inside = np.zeros(q.arrival.size, bool)
    for a, b in spans:
        inside |= (q.arrival >= a) & (q.arrival < b)
    wait = (q.start - q.arrival)[~np.isnan(q.start) & inside]
    live = service_by_campaign(result)["spring"]["live"]
    assert abs(live["response_p90_minutes"] - float(np.quantile(wait, 0.9))) <= ERROR_MINUTES


def test_compare_ranks_variants_on_a_campaign_s_hours(tmp_path: Path) -> None:
    three, six = tmp_path / "three.toml", tmp_path / "six.toml"
    three.write_text(TOML)
    six.write_text(TOML.replace("agents = 3", "agents = 6").replace('"planner"', '"six"'))
    metric = "service_by_campaign.spring.live.sla_first_response_met"
    out = tmp_path / "cmp"
    args = ["compare", str(three), str(six), "--replications", "2", "--workers", "1"]
    assert main([*args, "--rank", f"{metric}:max", "--metrics", metric, "--out", str(out)]) == 0
    rows = [r for r in _rows(out / "comparison.csv") if r["metric"] == metric]
    best = min(rows, key=lambda r: float(r["rank"]))
    assert best["variant"] == "six" and float(best["mean"]) > float(rows[0]["mean"])
