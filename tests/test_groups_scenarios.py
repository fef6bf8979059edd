"""Every shipped scenario, its one pool of agents rewritten as one group serving every class with
one chat per agent, gives the same outputs as before (same seed): the group engine is the
single-pool engine in that case, roster changes, phases, campaigns and feedback included."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.model.engine import RunSpec, run_one
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.scenario.files import read_raw
from sim.scenario.load import scenario_from_dict

# the festival's server variants differ from mifan_festival_2013 only in the back end (its
# surge costs ~10 s a run here), not in the queue; they are left out to keep the suite short
SKIP = {"mifan_festival_2013_async", "mifan_festival_2013_sized"}
SCENARIOS_DIR = Path(__file__).parents[1] / "scenarios"
# scenarios that already have agent groups (and inbound channels) have no single pool to rewrite
SCENARIOS = sorted(
    p
    for p in SCENARIOS_DIR.glob("*.toml")
    if p.stem not in SKIP and "groups" not in read_raw(p)["service"]
)
ROSTER = ("agents_by_hour", "shifts")
MAX_DAYS = 70  # enough for xiaomi_2013q1's March phase (day 59)
SHORT = {
    "scale_10m_2014": 5,
    "scale_50m_2014": 3,
}  # 10M, 50M fans: a few days exercise the same code


def _shortened(raw: dict[str, Any]) -> dict[str, Any]:
    meta = raw["scenario"]
    days = SHORT.get(meta["name"], MAX_DAYS)
    if "end" in meta:
        meta["end"] = min(meta["end"], meta["start"] + dt.timedelta(days=days - 1))
        last = meta["end"]
        # campaigns after the shortened end would no longer fall within the run
        raw["campaigns"] = {
            name: c for name, c in raw.get("campaigns", {}).items() if c["start"].date() <= last
        }
    return raw


def as_one_group(raw: dict[str, Any]) -> dict[str, Any]:
    """Move the service roster (and every phase's change of it) into one group `all`."""
    service = raw["service"]
    group = {k: service.pop(k) for k in ROSTER if k in service}
    group["skills"] = list(raw["messages"]["classes"])
    service["groups"] = {"all": group}
    for phase in raw.get("phases", []):
        changes = phase.get("set", {})
        for k in ROSTER:
            if f"service.{k}" in changes:
                changes[f"service.groups.all.{k}"] = changes.pop(f"service.{k}")
    return raw


def outputs(raw: dict[str, Any]) -> tuple[str, bytes]:
    """The summary, hourly and daily tables as JSON (NaN included), and the start times."""
    result = run_one(records=True, spec=RunSpec(scenario_from_dict(raw), seed=3))
    hourly = hourly_rows(result)
    drop = {"params_hash"}

    def clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in drop} for r in rows]

    summary = {k: v for k, v in summarize(result).items() if k not in drop}
    tables = (summary, clean(hourly), clean(daily_rows(result, hourly)))
    return json.dumps(tables, sort_keys=True, default=str), result.queue.start.tobytes()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_one_group_gives_the_single_pool_outputs(path: Path) -> None:
    before = outputs(_shortened(read_raw(path)))
    after = outputs(as_one_group(_shortened(read_raw(path))))
    assert after == before


def test_group_rules_name_the_field() -> None:
    service_day = SCENARIOS_DIR / "xiaomi_service_2013.toml"
    raw = read_raw(service_day)
    raw["service"].pop("shifts")
    raw["service"]["groups"] = {"a": {"skills": ["ordr"], "agents_by_hour": [1] * 24}}
    with pytest.raises(ScenarioError, match=r"service\.groups\.a\.skills\[0\].*did you mean"):
        scenario_from_dict(raw)
    raw = as_one_group(read_raw(service_day))
    raw["service"]["groups"]["all"]["skills"].pop()
    with pytest.raises(ScenarioError, match=r"service\.groups.*every message class"):
        scenario_from_dict(raw)
    raw = as_one_group(read_raw(service_day))
    raw["service"]["groups"]["all"]["max_chats"] = 0
    with pytest.raises(ScenarioError, match=r"service\.groups\.all\.max_chats"):
        scenario_from_dict(raw)


def test_two_groups_with_chats_serve_each_message_by_a_group_of_its_class() -> None:
    """The Xiaomi service day split in two: after-sales (orders, delivery, keyword leftovers)
    and a technical group (flashing, images, voice) holding up to 3 chats with stretch 1.2."""
    raw = read_raw(SCENARIOS_DIR / "xiaomi_service_2013.toml")
    raw["service"].pop("shifts")
    raw["service"]["groups"] = {
        "after_sales": {"skills": ["order", "delivery", "keyword"], "agents_by_hour": [4] * 24},
        "tech": {
            "skills": ["flashing", "image", "voice"],
            "agents_by_hour": [1] * 24,
            "max_chats": 3,
            "stretch": 1.2,
            "order": "skills",
        },
    }
    scenario = scenario_from_dict(raw)
    result = run_one(records=True, spec=RunSpec(scenario, seed=3))
    assert result.groups is not None
    names = result.class_names
    served = result.groups.group
    cls = result.queue.tag
    for g, skills in enumerate((("order", "delivery", "keyword"), ("flashing", "image", "voice"))):
        mine = np.isin(cls, [names.index(c) for c in skills])
        assert np.all((served[mine] == g) | (served[mine] == -1))
        assert np.count_nonzero(served[mine] == g) > 0
    assert result.schedule.agents == (5,)  # both groups' agents together, for agent-hours
    assert summarize(result)["messages_answered"] == np.count_nonzero(served >= 0)


def test_a_grouped_season_gives_the_same_tables_with_or_without_records() -> None:
    """70 days in one group: the group queue compacts and forgets settled messages as it goes."""
    raw = as_one_group(_shortened(read_raw(SCENARIOS_DIR / "xiaomi_2013q1.toml")))
    tables = []
    for records in (False, True):
        result = run_one(RunSpec(scenario_from_dict(raw), seed=3), records=records)
        hourly = hourly_rows(result)
        tables.append(json.dumps([summarize(result), hourly, daily_rows(result, hourly)]))
    assert result.queue is not None and result.queue.arrival.size > 50_000  # compacted
    assert tables[0] == tables[1]
