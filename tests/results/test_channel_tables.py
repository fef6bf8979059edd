"""Service by channel: per-channel figures, their own targets, nothing new without channels."""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from sim.cli.main import main
from sim.model.engine import RunSpec, run_one
from sim.results.channel_tables import channel_rows
from sim.results.provenance import PROVENANCE_COLUMNS, params_hash
from sim.results.summary import summarize
from sim.scenario.load import scenario_from_dict
from tests.factories import inbound_raw

SUMMED = ("messages_received", "messages_auto_replied", "messages_to_humans", "messages_answered")


def _summary(raw: dict[str, Any], seed: int = 2) -> dict[str, Any]:
    return summarize(run_one(RunSpec(scenario_from_dict(raw), seed)))


def test_channels_add_up_to_the_whole_run() -> None:
    s = _summary(inbound_raw())
    channels = s["channels"]
    assert list(channels) == ["wechat", "weibo"]
    assert channels["weibo"]["platform"] == "weibo"
    for key in SUMMED:
        assert channels["wechat"][key] + channels["weibo"][key] == s[key], key
    weibo = channels["weibo"]
    assert weibo["replies"] == weibo["messages_auto_replied"] + weibo["messages_answered"]
    assert weibo["replies_per_day"] == weibo["replies"] / 2
    assert weibo["messages_received"] == sum(
        s["by_class"][c]["received"] for c in ("weibo_pm", "weibo_mention")
    )


def test_each_channel_is_judged_against_its_own_target() -> None:
    """A Weibo target too short for any pick-up fails only Weibo; WeChat's share is unchanged."""
    raw = inbound_raw()
    raw["service"]["agents_by_hour"] = [1] * 24  # one agent: messages wait
    relaxed = _summary(raw)
    raw["inbound"]["weibo"]["first_response_target_minutes"] = 1e-3
    strict = _summary(raw)
    wechat, weibo = (strict["channels"][c] for c in ("wechat", "weibo"))
    assert (
        wechat["sla_first_response_met"] == relaxed["channels"]["wechat"]["sla_first_response_met"]
    )
    assert weibo["sla_first_response_met"] < relaxed["channels"]["weibo"]["sla_first_response_met"]
    assert weibo["first_response_target_minutes"] == 1e-3
    assert wechat["first_response_target_minutes"] == 15
    # the run's share counts every message against its own channel's target
    assert strict["sla_first_response_met"] < relaxed["sla_first_response_met"]
    n = np.asarray([strict["channels"][c]["messages_to_humans"] for c in ("wechat", "weibo")])
    shares = np.asarray([wechat["sla_first_response_met"], weibo["sla_first_response_met"]])
    assert abs(float(n @ shares / n.sum()) - strict["sla_first_response_met"]) < 0.02


def test_rows_carry_provenance_and_a_dated_target_is_left_empty() -> None:
    raw = inbound_raw(days=2)
    raw["phases"] = [
        {"date": "2013-04-11", "set": {"inbound.weibo.first_response_target_minutes": 30}}
    ]
    sc = scenario_from_dict(raw)
    result = run_one(RunSpec(sc, 4, 1))
    rows = channel_rows(result)
    assert [r["channel"] for r in rows] == ["wechat", "weibo"]
    for row in rows:
        assert list(row)[: len(PROVENANCE_COLUMNS)] == list(PROVENANCE_COLUMNS)
        assert (row["seed"], row["replication"]) == (4, 1)
        assert row["params_hash"] == params_hash(sc)
    assert rows[0]["first_response_target_minutes"] == 15
    assert rows[1]["first_response_target_minutes"] is None
    dated = summarize(result)["channels"]["weibo"]["first_response_target_minutes"]
    assert dated == [{"from": "2013-04-10", "minutes": 20}, {"from": "2013-04-11", "minutes": 30}]


def test_no_inbound_means_no_new_key_or_hash() -> None:
    raw = inbound_raw()
    without = copy.deepcopy(raw)
    del without["inbound"]
    empty = copy.deepcopy(without)
    empty["inbound"] = {}
    a, b = scenario_from_dict(without), scenario_from_dict(empty)
    assert "inbound" not in a.model_dump(mode="json")
    assert params_hash(a) == params_hash(b)
    sa, sb = (summarize(run_one(RunSpec(s, 1))) for s in (a, b))
    assert "channels" not in sa
    assert json.dumps(sa, sort_keys=True, default=str) == json.dumps(
        sb, sort_keys=True, default=str
    )
    assert channel_rows(run_one(RunSpec(a, 1))) == []


def test_cli_writes_channels_service_csv(tmp_path: Path) -> None:
    scenario = Path(__file__).parents[2] / "scenarios" / "xiaomi_newmedia_2013.toml"
    args = ["--set", "scenario.end=2013-04-15"]  # one day is enough here
    assert main(["run", str(scenario), "--out", str(tmp_path), "-q", *args]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "channels_service.csv").read_text())))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["channel"] for r in rows] == ["wechat", "weibo"]
    assert [r["platform"] for r in rows] == ["wechat", "weibo"]
    assert {r["params_hash"] for r in rows} == {summary["params_hash"]}
    assert rows[1]["first_response_target_minutes"] == "20.0"
    assert int(rows[1]["messages_received"]) == summary["channels"]["weibo"]["messages_received"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "channels_service.csv" in manifest["files"]
