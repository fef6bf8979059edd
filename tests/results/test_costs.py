"""Costs: every item traced to its inputs; cost per retained fan recomputed from the outputs.

A price moves its own line by quantity x change and nothing else; each quantity is checked
against an independent count in the run's other outputs (summary, daily rows, cascades).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from functools import cache
from typing import Any

import numpy as np
import pytest

from sim.experiments.rows import numeric_metrics
from sim.model.engine import ModelResult, RunSpec, run_one
from sim.model.groups import scenario_groups
from sim.results.costs import cost_rows
from sim.results.spread_tables import cascade_rows
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.results.writers import run_files
from sim.scenario.load import scenario_from_dict
from sim.scenario.schema import Scenario
from sim.scenario.timeline import resolve_timeline
from sim.units import DAY
from tests.factories import growth_scenario

DAYS = 14
SEED = 5
CHANNELS: dict[str, Any] = {
    "weibo": {
        "pool": 200_000,
        "conversion": 0.002,
        "gift_share": 0.2,
        "start": "2013-01-03",
        "end": "2013-01-10",
        "exposure": {"kind": "posts", "posts_per_week": 10, "reach_per_post": 30_000},
    },
    "forum": {
        "pool": 60_000,
        "conversion": 0.01,
        "exposure": {"kind": "visitors", "visitors_per_day": 20_000},
    },
    "store": {
        "source": "forum",  # priced apart, counted with the forum's fans
        "pool": 60_000,
        "conversion": 0.02,
        "exposure": {"kind": "orders", "orders_per_day": 4_000, "prompt_share": 0.5},
    },
    "word_of_mouth": {
        "pool": 100_000,
        "conversion": 0.05,
        "exposure": {"kind": "referrals", "per_active_fan_per_day": 0.1},
    },
}
QUIZ: dict[str, Any] = {
    "type": "live_quiz",
    "start": "2013-01-06T20:00:00",
    "end": "2013-01-06T21:00:00",
    "participation": 0.3,
    "message_class": "keyword",
    "new_fans_per_participant": 0.5,
    "gift_share": 0.4,
    "prizes": 6,
    "cascade": {
        "kind": "quiz",
        "share_probability": 0.3,
        "contacts_mean": 4,
        "join_probability": 0.2,
        "follow_probability": 0.8,
        "delay_hours_mean": 6,
        "max_days": 5,
    },
}
COSTS: dict[str, Any] = {
    "agent_hour": 36.0,
    "instance_hour": 0.55,
    "instances": 3,
    "sms_per_message": 0.04,
    "channels": {
        "weibo": {"per_post": 150.0, "per_1000_exposures": 1.5, "per_gift_follow": 2.0},
        "forum": {"per_week": 700.0, "per_1000_exposures": 0.2},
        "store": {"per_1000_exposures": 20.0},
        "word_of_mouth": {"per_1000_exposures": 0.1},
    },
    "campaigns": {
        "quiz": {
            "per_participant": 0.5,
            "per_gift_follow": 3.0,
            "per_prize": 1999.0,
            "prize_budget": 1000.0,
        }
    },
}
PRICES = [
    "agent_hour",
    "instance_hour",
    "sms_per_message",
    *(f"channels.{ch}.{p}" for ch, prices in COSTS["channels"].items() for p in prices),
    *(f"campaigns.quiz.{p}" for p in COSTS["campaigns"]["quiz"]),
]
PUSH = {"at": "2013-01-09T20:00:00", "segment": {"sources": ["forum"]}, "reply_rate": 0.05}


def raw_scenario(costs: dict[str, Any] | None = COSTS) -> dict[str, Any]:
    """A two-week account with every kind of channel, a quiz, a push, activation, a phase."""
    sc = growth_scenario(days=DAYS, channels=CHANNELS, pushes_per_week=2, back_end=False)
    raw = sc.model_dump(mode="json")
    raw["campaigns"] = {"quiz": QUIZ}
    raw["pushes"]["sends"] = {"news": {**PUSH, "reply_class": "order"}}
    raw["activation"] = {"reply_class": "order"}
    raw["phases"] = [{"date": "2013-01-05", "set": {"service.back_end": True}}]
    if costs is not None:
        raw["costs"] = copy.deepcopy(costs)
    return raw


def with_price(path: str, value: float) -> dict[str, Any]:
    raw = raw_scenario()
    node = raw["costs"]
    *parents, last = path.split(".")
    for p in parents:
        node = node[p]
    node[last] = value
    return raw


def price_of(path: str) -> float:
    node: Any = COSTS
    for p in path.split("."):
        node = node[p]
    return float(node)


@cache
def _run(raw_json: str) -> ModelResult:
    """One run per distinct scenario (its raw table as JSON), shared by the tests."""
    return run_one(RunSpec(scenario_from_dict(json.loads(raw_json)), SEED))


def result_of(raw: dict[str, Any]) -> ModelResult:
    return _run(json.dumps(raw, sort_keys=True))


def unpriced(campaigns: dict[str, Any]) -> dict[str, str]:
    """The summary's `campaigns` without what prices set (a campaign's priced lines)."""
    return {k: without(v, "cost", "cost_per_net_follow") for k, v in campaigns.items()}


def without(row: dict[str, Any], *keys: str) -> str:
    """The row as JSON (NaN equal to NaN) without `keys`."""
    return json.dumps({k: v for k, v in row.items() if k not in keys}, sort_keys=True)


def line(rows: list[dict[str, Any]], item: str, subject: str = "") -> dict[str, Any]:
    (found,) = [r for r in rows if r["item"] == item and r["subject"] == subject]
    return found


def item_of(path: str) -> tuple[str, str]:
    """The (item, subject) a price path prices."""
    items = {
        "agent_hour": ("agent_hours", ""),
        "instance_hour": ("server_instance_hours", ""),
        "per_post": ("channel_posts", None),
        "per_1000_exposures": ("channel_exposures", None),
        "per_week": ("channel_weeks", None),
        "per_participant": ("campaign_participants", None),
        "per_prize": ("campaign_prizes", None),
        "prize_budget": ("campaign_prize_budget", None),
    }
    parts = path.split(".")
    if parts[-1] == "per_gift_follow":
        return f"{parts[0][:-1]}_gift_follows", parts[1]
    item, subject = items[parts[-1]]
    return item, subject if subject is not None else parts[1]


@pytest.mark.parametrize("path", PRICES)
def test_one_price_moves_its_own_line_by_quantity_times_the_change(path: str) -> None:
    base = result_of(raw_scenario())
    delta = 7.25
    changed = result_of(with_price(path, price_of(path) + delta))
    before, after = cost_rows(base), cost_rows(changed)
    s0, s1 = summarize(base), summarize(changed)
    # the simulation itself does not see prices: every other output is the same (the SMS
    # price also prices the pushes' `sms_cost`, checked below)
    priced = ("params_hash", "costs", "pushes", "push_sms_cost", "campaigns")
    assert without(s0, *priced) == without(s1, *priced)
    assert unpriced(s0["campaigns"]) == unpriced(s1["campaigns"])
    assert s0["pushes"]["news"]["recipients"] == s1["pushes"]["news"]["recipients"]
    h0, h1 = hourly_rows(base), hourly_rows(changed)
    assert [without(r, "params_hash") for r in h0] == [without(r, "params_hash") for r in h1]
    if path == "sms_per_message":
        assert len(before) == len(after)
        for r0, r1 in zip(before, after, strict=True):
            if r0["kind"] == "avoided":
                assert r1["amount"] - r0["amount"] == pytest.approx(r0["quantity"] * delta)
            else:
                assert without(r0, "params_hash") == without(r1, "params_hash")
        avoided = sum(r["quantity"] for r in before if r["kind"] == "avoided")
        gain = s1["costs"]["sms_avoided"]["total"] - s0["costs"]["sms_avoided"]["total"]
        assert gain == pytest.approx(avoided * delta)
        assert s1["costs"]["total"] == s0["costs"]["total"]
        recipients = s1["pushes"]["news"]["recipients"]
        assert s1["push_sms_cost"] == pytest.approx(recipients * (0.04 + delta))
        return
    item, subject = item_of(path)
    moved = line(before, item, subject)
    assert line(after, item, subject)["unit_price"] == price_of(path) + delta
    for r0, r1 in zip(before, after, strict=True):
        if (r0["item"], r0["subject"]) == (item, subject):
            assert r1["quantity"] == r0["quantity"]
            assert r1["amount"] - r0["amount"] == pytest.approx(r0["quantity"] * delta)
        else:
            assert without(r0, "params_hash") == without(r1, "params_hash")
    rise = moved["quantity"] * delta
    c0, c1 = s0["costs"], s1["costs"]
    assert c1["total"] - c0["total"] == pytest.approx(rise)
    assert c1["by_item"][item] - c0["by_item"][item] == pytest.approx(rise)
    assert c1["sms_avoided"] == c0["sms_avoided"]
    source = moved["source"]
    for name, figures in c0["by_source"].items():
        grew = c1["by_source"][name]["cost"] - figures["cost"]
        assert grew == pytest.approx(rise if name == source else 0.0)
    assert c1["acquisition"] - c0["acquisition"] == pytest.approx(rise if source else 0.0)


def channel_days(name: str) -> int:
    """Days the channel runs within the horizon (its start and end dates)."""
    ch = CHANNELS[name]
    first = dt.date.fromisoformat(ch.get("start", "2013-01-01"))
    last = dt.date.fromisoformat(ch.get("end", f"2013-01-{DAYS:02d}"))
    return (last - first).days + 1


def test_quantities_are_the_counts_in_the_other_outputs() -> None:
    result = result_of(raw_scenario())
    rows = cost_rows(result)
    s = summarize(result)
    daily = daily_rows(result, hourly_rows(result))
    q = {(r["item"], r["subject"]): r["quantity"] for r in rows}
    assert q["agent_hours", ""] == pytest.approx(s["agent_hours_rostered"])
    live = sum(1 for sc in resolve_timeline(result.spec.scenario).days if sc.service.back_end)
    assert live == DAYS - 4  # the back end goes live on the 5th
    assert q["server_instance_hours", ""] == 3 * 24 * live
    assert q["channel_posts", "weibo"] == pytest.approx(10 / 7 * channel_days("weibo"))
    views = 10 / 7 * 30_000 * channel_days("weibo") / 1000
    assert q["channel_exposures", "weibo"] == pytest.approx(views)
    assert q["channel_exposures", "forum"] == pytest.approx(20_000 * DAYS / 1000)
    assert q["channel_exposures", "store"] == pytest.approx(4_000 * 0.5 * DAYS / 1000)
    assert q["channel_weeks", "forum"] == pytest.approx(DAYS / 7)
    # word of mouth: contacts per active fan a day x active fans that morning
    wom = q["channel_exposures", "word_of_mouth"] * 1000
    fans = np.asarray([s["fans_initial"]] + [r["fans"] for r in daily[:-1]], np.float64)
    assert wom == pytest.approx(0.1 * 0.5 * fans.sum(), rel=0.02)
    quiz = s["cascades"]["quiz"]
    assert q["campaign_participants", "quiz"] == quiz["participants"]
    assert q["campaign_prizes", "quiz"] == 6 and q["campaign_prize_budget", "quiz"] == 1
    assert result.followers is not None
    assert 0 < q["campaign_gift_follows", "quiz"] <= quiz["follows"] + quiz["seeds"]
    weibo = s["follows_by_source"]["weibo"]
    gifts = q["channel_gift_follows", "weibo"]
    assert abs(gifts - 0.2 * weibo) < 5 * np.sqrt(weibo * 0.2 * 0.8)
    assert q["sms_pushes", ""] == s["pushes"]["news"]["recipients"]
    assert q["sms_service_replies", ""] == s["messages_auto_replied"] + s["messages_answered"]
    broadcasts = sum(r["fans"] * 2 / 7 for r in daily)
    assert q["sms_broadcasts", ""] == pytest.approx(broadcasts)
    steps_due = [sum(1 for h in (0, 1, 12, 48) if h < 24 * (DAYS - d)) for d in range(DAYS)]
    activation = sum(r["follows"] * n for r, n in zip(daily, steps_due, strict=True))
    assert q["sms_activation", ""] == activation


def test_gift_follows_are_every_follow_when_all_come_for_the_gift() -> None:
    raw = raw_scenario()
    raw["channels"]["weibo"]["gift_share"] = 1.0
    rows = cost_rows(result_of(raw))
    follows = summarize(result_of(raw))["follows_by_source"]["weibo"]
    assert follows > 0 and line(rows, "channel_gift_follows", "weibo")["quantity"] == follows


def test_cost_per_retained_fan_recomputed_from_the_outputs() -> None:
    result = result_of(raw_scenario())
    rows = cost_rows(result)
    s = summarize(result)
    costs = s["costs"]
    spent = [r for r in rows if r["kind"] == "cost"]
    retained_new = 0
    for source, kept in s["fans_by_source"].items():
        if source == "initial":
            continue
        retained_new += kept
        cost = sum(r["amount"] for r in spent if r["source"] == source)
        figures = costs["by_source"][source]
        assert figures["retained"] == kept
        assert figures["cost"] == pytest.approx(cost)
        assert figures["per_retained_fan"] == pytest.approx(cost / kept)
        assert figures["per_follow"] == pytest.approx(cost / s["follows_by_source"][source])
    assert costs["by_source"]["forum"]["cost"] > 0  # forum and store both count as forum
    assert costs["by_source"]["campaign"]["cost"] > 0
    total = sum(r["amount"] for r in spent)
    assert costs["total"] == pytest.approx(total)
    assert costs["per_retained_fan"] == pytest.approx(total / retained_new)
    assert costs["per_follow"] == pytest.approx(total / s["follows_total"])
    assert retained_new == s["fans_final"] - s["fans_by_source"]["initial"]
    metrics = numeric_metrics(s)  # experiments and `fansim compare` see them as columns
    assert metrics["costs.by_source.weibo.per_retained_fan"] == pytest.approx(
        costs["by_source"]["weibo"]["per_retained_fan"]
    )
    assert metrics["costs.per_retained_fan"] == pytest.approx(costs["per_retained_fan"])


def test_agent_groups_are_priced_each_with_the_pool_price_as_default() -> None:
    raw = raw_scenario({"agent_hour": 30.0, "groups": {"orders": {"agent_hour": 50.0}}})
    roster = raw["service"].pop("agents_by_hour")
    raw["service"]["groups"] = {
        "keywords": {"skills": ["keyword"], "agents_by_hour": [1] * 24},
        "orders": {"skills": ["order"], "agents_by_hour": roster},
    }
    result = result_of(raw)
    rows = cost_rows(result)
    sc: Scenario = result.spec.scenario
    groups = scenario_groups(
        [d.service for d in resolve_timeline(sc).days], resolve_timeline(sc).class_names
    )
    assert groups is not None
    hours = {g.name: g.schedule.agent_minutes(DAYS * DAY) / 60 for g in groups.groups}
    assert line(rows, "agent_hours", "keywords")["quantity"] == hours["keywords"] == 24 * DAYS
    assert line(rows, "agent_hours", "keywords")["unit_price"] == 30.0
    assert line(rows, "agent_hours", "orders")["unit_price"] == 50.0
    total = sum(r["quantity"] for r in rows if r["item"] == "agent_hours")
    assert total == pytest.approx(summarize(result)["agent_hours_rostered"])


def test_without_costs_nothing_changes() -> None:
    plain, priced = result_of(raw_scenario(None)), result_of(raw_scenario())
    assert "costs" not in plain.spec.scenario.model_dump(mode="json")
    assert cost_rows(plain) == []
    s0, s1 = summarize(plain), summarize(priced)
    assert "costs" not in s0 and "costs" in s1
    assert without(s0, "params_hash", "campaigns") == without(
        s1, "params_hash", "costs", "campaigns"
    )
    assert unpriced(s0["campaigns"]) == unpriced(s1["campaigns"])
    hourly = hourly_rows(plain)
    files = run_files(s0, hourly, {}, daily_rows(plain, hourly), (), cascade_rows(plain))
    assert "costs.csv" not in files
    # the pushes' SMS cost keeps the old field's price when [costs] gives none
    raw = raw_scenario({"agent_hour": 1.0})
    raw["pushes"]["sms_cost_per_message"] = 0.05
    s = summarize(result_of(raw))
    assert s["push_sms_cost"] == pytest.approx(s["pushes"]["news"]["recipients"] * 0.05)
    assert s["costs"]["sms_price"] == 0.05


def test_costs_csv_rows_carry_provenance_and_currency() -> None:
    raw = raw_scenario({**COSTS, "currency": "CNY"})
    result = result_of(raw)
    rows = cost_rows(result)
    s = summarize(result)
    assert {r["currency"] for r in rows} == {"CNY"}
    for r in rows:
        assert (r["scenario"], r["seed"], r["replication"], r["params_hash"]) == (
            s["scenario"],
            SEED,
            0,
            s["params_hash"],
        )
        assert r["amount"] == pytest.approx(r["quantity"] * r["unit_price"])
    hourly = hourly_rows(result)
    files = run_files(s, hourly, {}, daily_rows(result, hourly), (), (), costs=rows)
    assert files["costs.csv"].startswith(
        "scenario,seed,replication,params_hash,currency,kind,item,subject,source,quantity,unit,"
        "unit_price,amount\n"
    )
