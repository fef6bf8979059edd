"""Staffing agent groups: the grouped search against the one-pool search, the plan re-simulated
on fresh traffic, and `fansim staff` on a grouped scenario (files, report, bad input)."""

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.cli.main import main
from sim.model.engine import RunSpec
from sim.model.group_queue import AgentGroup
from sim.model.groups import scenario_groups
from sim.model.human_queue import QueueRecords
from sim.model.replay import sample_traffic
from sim.model.roster import StaffSchedule
from sim.results.stats import mean_ci95
from sim.scenario.load import scenario_from_dict
from sim.scenario.schema import Scenario
from sim.scenario.timeline import resolve_timeline
from sim.staffing.group_plan import of_classes, plan_group_staffing
from sim.staffing.group_search import GroupSystem, search_groups, serve_groups
from sim.staffing.plan import plan_staffing
from sim.staffing.requirements import Grid, erlang_c_agents
from sim.staffing.search import search
from sim.staffing.tables import staffing_rows
from sim.staffing.targets import Policy, ServiceTarget
from sim.staffing.theory import stationary_scenario

POLICY = Policy(ServiceTarget(0.8, 5.0), max_abandon=0.05)
GRID = Grid(60.0, 24)
CLOSED = dict.fromkeys(range(6), 0)  # a closed night: its backlog raises the morning


def scenario(shared: bool, chats: int = 1, patience: float | None = 30.0) -> Scenario:
    """WeChat (group wx) and Weibo (group wb) messages; with `shared` wb also serves WeChat."""

    def cls(share: float, mean: float) -> dict[str, Any]:
        return {
            "share": share,
            "routing": "human",
            "handle_time_minutes": {"dist": "exponential", "mean": mean},
        }

    wb = ["weibo", "wechat"] if shared else ["weibo"]
    groups = {
        "wx": {"skills": ["wechat"], "agents_by_hour": [1] * 24, "max_chats": chats},
        "wb": {"skills": wb, "agents_by_hour": [1] * 24},
    }
    service: dict[str, Any] = {"groups": groups}
    if patience is not None:
        service["patience_minutes"] = {"dist": "exponential", "mean": patience}
    return scenario_from_dict(
        {
            "scenario": {"name": "two_groups", "start": "2013-04-10", "end": "2013-04-10"},
            "fans": {"initial": 2000},
            "messages": {
                "per_active_fan_per_day": 1.0,
                "classes": {"wechat": cls(0.6, 4.0), "weibo": cls(0.4, 3.0)},
            },
            "service": service,
        }
    )


def records(sc: Scenario, seed: int, replications: int) -> list[QueueRecords]:
    return [sample_traffic(RunSpec(sc, seed, r)).result.queue for r in range(replications)]


def system(groups: tuple[AgentGroup, ...], classes: int = 2) -> GroupSystem:
    return GroupSystem(groups, classes, (POLICY,) * len(groups))


def group(name: str, skills: tuple[int, ...], chats: int = 1) -> AgentGroup:
    return AgentGroup(name, StaffSchedule((0.0,), (0,)), skills, chats)


CAPPED = Policy(ServiceTarget(0.8, 5.0), max_abandon=0.05, max_occupancy=0.6)


@pytest.mark.parametrize("policy", [POLICY, CAPPED], ids=["target", "occupancy-cap"])
def test_disjoint_groups_get_the_plan_each_gets_alone(policy: Policy) -> None:
    """wx serves WeChat (class 0), wb Weibo (class 1): each group's agents, interval by interval,
    are what the one-pool search gives for its messages alone."""
    recs = records(scenario(shared=False), 1, 3)
    groups = (group("wx", (0,)), group("wb", (1,)))
    both = search_groups(recs, GRID, GroupSystem(groups, 2, (policy,) * 2), CLOSED)
    for cls, found in enumerate(both):
        alone = search([of_classes(q, np.array([cls])) for q in recs], GRID, policy, CLOSED)
        assert found.agents == alone.agents
        assert [i.met for i in found.intervals] == [i.met for i in alone.intervals]
        assert [i.below for i in found.intervals] == [i.below for i in alone.intervals]
    assert sum(both[0].agents) > sum(both[1].agents) > 0  # WeChat carries more work


def test_one_group_serving_everything_is_the_one_pool_search() -> None:
    recs = records(scenario(shared=False), 2, 2)
    (found,) = search_groups(recs, GRID, system((group("all", (0, 1)),)), CLOSED)
    assert found.agents == search(recs, GRID, POLICY, CLOSED).agents


def test_the_occupancy_cap_follows_the_work_a_group_answers() -> None:
    """wb also answers WeChat: with a 60% occupancy cap, the work each group answers in an open
    hour (its own classes and what it takes of the shared one) stays within agents x chats x
    60% when the plan is served."""
    recs = records(scenario(shared=True), 1, 3)
    sysm = GroupSystem((group("wx", (0,), 2), group("wb", (1, 0))), 2, (CAPPED,) * 2)
    levels = [f.agents for f in search_groups(recs, GRID, sysm, CLOSED)]
    served = serve_groups(recs, GRID, sysm, levels)
    for g, spec in enumerate(sysm.groups):
        load = served.work[g, 6:] / (len(recs) * GRID.minutes)
        assert np.all(load <= np.asarray(levels[g][6:]) * spec.max_chats * 0.6 + 1e-9)
        assert served.work[g, 6:].min() > 0  # both groups answer work in every open hour


def test_chats_per_agent_lower_the_agents_needed() -> None:
    recs = records(scenario(shared=False), 3, 2)
    one = search_groups(recs, GRID, system((group("wx", (0,)), group("wb", (1,)))))
    three = search_groups(recs, GRID, system((group("wx", (0,), 3), group("wb", (1,)))))
    assert sum(three[0].agents) < sum(one[0].agents)
    assert three[1].agents == one[1].agents  # the other group's messages never reach wx


def test_k_chats_without_stretch_need_erlang_c_servers_over_k_agents() -> None:
    """M/M/c, 9/min, 1-minute handling, 80% within 20 s: Erlang C says 12 servers; one group
    whose agents hold k chats (stretch 1, so k chats are k servers) needs ceil(12 / k) agents,
    and a stretch of 1.3 per open chat needs more."""
    recs = [sample_traffic(RunSpec(stationary_scenario(9.0, 1.0, None), 1, r)).result.queue
            for r in range(3)]  # fmt: skip
    target = ServiceTarget(0.8, 1 / 3)
    pol, grid = Policy(target), Grid(1440.0, 1)
    servers = erlang_c_agents(9.0, 1.0, target)
    assert servers == 12 and search(recs, grid, pol).agents == (servers,)

    def agents(k: int, stretch: float = 1.0) -> int:
        g = AgentGroup("g", StaffSchedule((0.0,), (0,)), (0,), k, stretch)
        return search_groups(recs, grid, GroupSystem((g,), 1, (pol,)))[0].agents[0]

    for k in (2, 3, 5):
        assert agents(k) == -(-servers // k)
    assert agents(2, 1.3) > agents(2)


@pytest.mark.parametrize("shared", [False, True], ids=["disjoint", "shared"])
def test_the_roster_meets_the_targets_on_fresh_traffic(shared: bool) -> None:
    """The plan (seed 1, 6 replications) served on 10 replications of another seed: each group's
    whole-day share within the target has its 95% CI lower bound at or above the target level,
    and no open hour of the pooled fresh runs falls more than 10 points below it."""
    sc = scenario(shared, chats=2)
    plan = plan_group_staffing(sc, 1, 6, POLICY)
    grid = plan.grid
    sysm = GroupSystem(_specs(sc), 2, (POLICY,) * 2)  # the rosters replace their schedules
    fresh = serve_groups(records(sc, 101, 10), grid, sysm, [g.on_phones for g in plan.groups])
    for out in fresh:
        daily = out.met.sum(axis=1) / out.arrived.sum(axis=1)
        lo, _ = mean_ci95(tuple(float(x) for x in daily))
        assert lo >= POLICY.target.level, (lo, daily)
        hourly = [out.pooled(h)[0] for h in range(grid.intervals)]
        assert min(hourly) >= POLICY.target.level - 0.10, hourly


def _specs(sc: Scenario) -> tuple[AgentGroup, ...]:
    grouped = scenario_groups(
        [d.service for d in resolve_timeline(sc).days], resolve_timeline(sc).class_names
    )
    assert grouped is not None
    return grouped.groups


def test_sharing_a_class_needs_no_more_agent_hours_here() -> None:
    """wb helping with WeChat pools the two queues; on this traffic the plan is no dearer."""
    hours = []
    for shared in (False, True):
        plan = plan_group_staffing(scenario(shared), 1, 3, POLICY)
        hours.append(sum(sum(g.search.agents) for g in plan.groups))
    assert hours[1] <= hours[0]


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sc") / "two_groups.toml"
    path.write_text(
        """
[scenario]
name = "two_groups"
start = 2013-04-10
end = 2013-04-10
[fans]
initial = 2000
[messages]
per_active_fan_per_day = 1.0
[messages.classes.wechat]
share = 0.6
routing = "human"
handle_time_minutes = { dist = "exponential", mean = 4 }
[messages.classes.weibo]
share = 0.4
routing = "human"
handle_time_minutes = { dist = "exponential", mean = 3 }
[service.groups.wx]
skills = ["wechat"]
agents_by_hour = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
max_chats = 2
[service.groups.wb]
skills = ["weibo", "wechat"]
agents_by_hour = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
""",
        encoding="utf-8",
    )
    return path


def _staff(toml: Path, out: Path, *extra: str, quiet: bool = True) -> int:
    return main(
        ["staff", str(toml), "--target", "80% within 5 min", "--replications", "2",
         "--open", "08:00-24:00", "--out", str(out), *(["-q"] if quiet else []), *extra]
    )  # fmt: skip


def test_staff_writes_rows_per_group_with_their_targets(toml: Path, tmp_path: Path) -> None:
    extra = ("--group-target", "wb=90% within 10 min", "--report")
    assert _staff(toml, tmp_path, *extra) == 0
    rows = _rows(tmp_path / "staffing.csv")
    assert [r["group"] for r in rows] == ["wx"] * 24 + ["wb"] * 24
    assert {r["target"] for r in rows if r["group"] == "wx"} == {"80% within 5 min"}
    assert {r["target"] for r in rows if r["group"] == "wb"} == {"90% within 10 min"}
    assert all(r["roster_met"] == "True" for r in rows)
    roster = _rows(tmp_path / "roster.csv")
    assert {r["group"] for r in roster} == {"wx", "wb"} and "target" not in roster[0]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Group wx: agents on duty vs required (80% within 5 min)" in html
    assert "Group wb&#x27;s roster: meets the staffing target" in html
    again = tmp_path / "again"
    assert _staff(toml, again, *extra[:2], quiet=False) == 0  # the tables on the terminal too
    for name in ("staffing.csv", "roster.csv"):
        assert (again / name).read_bytes() == (tmp_path / name).read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--group-target", "weibo=90% within 10 min"], "--group-target: names no group"),
        (["--group-target", "wb 90% within 10 min"], 'must read like "weibo=80%'),
        (["--group-target", "wb=90 within 10 min"], 'must read like "80% within 15 min"'),
    ],
)
def test_bad_group_targets_exit_2_naming_the_option(
    toml: Path, tmp_path: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _staff(toml, tmp_path, *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err


def test_a_group_target_on_a_one_pool_scenario_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = Path(__file__).parents[2] / "scenarios" / "xiaomi_service_2013.toml"
    assert _staff(service, tmp_path, "--group-target", "wx=90% within 10 min") == 2
    err = capsys.readouterr().err
    assert "--group-target" in err and "one pool" in err and "Traceback" not in err


def test_groups_and_one_pool_keep_apart() -> None:
    """The one-pool planner's columns stay as they were: no `group`/`target` there."""
    sc = stationary_scenario(1.0, 1.0, None)
    rows = staffing_rows(plan_staffing(sc, 1, 1, POLICY))
    assert "group" not in rows[0] and "target" not in rows[0]
    assert np.isfinite(rows[12]["offered_load"])


def test_a_group_whose_skill_is_an_inbound_channel_is_staffed_for_its_classes() -> None:
    """xiaomi_newmedia_2013: `weibo_team` serves the whole `weibo` channel by its name."""
    from sim.scenario.load import load_scenario

    path = Path(__file__).parents[2] / "scenarios" / "xiaomi_newmedia_2013.toml"
    scenario = load_scenario(path, ["scenario.end=2013-04-15"])
    target = Policy(ServiceTarget(0.8, 20.0))
    plan = plan_group_staffing(scenario, 1, 1, target)
    weibo = next(g for g in plan.groups if g.name == "weibo_team")
    assert set(weibo.skills) == {"weibo_pm", "weibo_mention"}
    assert sum(weibo.required) > 0
