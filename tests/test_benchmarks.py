"""Speed targets, checked by measurement (`make bench`), never by timed asserts.

Targets, on the 2-core reference machine:
- human queue on M/M/c (9/min, 1/min, 10 agents): >= 200,000 messages/s, exact;
- the same load over three agent groups with overlapping skills: within 2x of that;
- one simulated day of scenarios/xiaomi_service_2013.toml: < 1 s;
- the flagship 99-day scenarios/xiaomi_2013q1.toml: < 10 s;
- the multi-channel flagship (xiaomi_2013q1 with a Weibo channel) and the new-media group's week
  (scenarios/xiaomi_newmedia_2013.toml, WeChat and Weibo, two groups): < 10 s each;
- scenarios/scale_10m_2014.toml (10M fans, 365 days): < 60 s and < 0.8 GiB peak memory;
- scenarios/scale_50m_2014.toml (50M fans, five times the agents): under the default memory
  budget, < 1.5 GiB peak, wall time at most 4.5x the 10M year's (measured in one session:
  `test_scale_50m_within_4_5x_of_10m`);
- the 米粉节 surge (scenarios/mifan_festival_2013.toml), every message and retry through the
  server: < 10 s;
- staffing one day (24 hourly intervals) with 10 replications (`fansim staff`): < 10 s
  (the same day in two agent groups is measured beside it);
- staffing the campaign week of scenarios/planner_8weeks_2021.toml (`fansim staff --campaign`,
  15-minute intervals, 10 replications; the 5 weeks before simulated once for the fans): < 60 s;
- sizing servers for the full 米粉节 surge, three back ends (`fansim size-servers`): < 30 s.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.model.budget import DEFAULT_BUDGET_BYTES, check_budget, estimate_work
from sim.model.engine import RunSpec, run_one
from sim.model.group_queue import AgentGroup, GroupQueue
from sim.model.human_queue import HumanQueue
from sim.model.roster import StaffSchedule
from sim.results.summary import hourly_rows, summarize
from sim.scenario.load import load_scenario
from tests.reference_queue import reference_starts

pytestmark = pytest.mark.benchmark

N = 200_000


def mmc_inputs(n: int, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    arrival = np.cumsum(rng.exponential(1 / 9.0, n))
    return arrival, np.zeros(n, np.int64), rng.exponential(1.0, n), np.full(n, np.inf)


def run_engine(inputs: tuple[np.ndarray, ...]) -> np.ndarray:
    q = HumanQueue(StaffSchedule((0.0,), (10,)))
    q.offer(*inputs)
    q.advance(np.inf)
    return q.records().start


def test_engine_is_exact_on_the_benchmark_queue() -> None:
    """Same waits as one-SimPy-process-per-message fed the same random numbers."""
    inputs = mmc_inputs(20_000)
    assert np.allclose(run_engine(inputs), reference_starts(10, *inputs), rtol=0, atol=1e-9)


def test_human_queue_throughput(benchmark: Any) -> None:
    inputs = mmc_inputs(N)
    start = benchmark(run_engine, inputs)
    assert not np.isnan(start).any()
    if benchmark.stats is not None:
        mean = benchmark.stats.stats.mean
        benchmark.extra_info["messages_per_second"] = round(N / mean)


def run_three_groups(inputs: tuple[np.ndarray, ...], skill: np.ndarray) -> np.ndarray:
    groups = (
        AgentGroup("a", StaffSchedule((0.0,), (4,)), (0, 1)),
        AgentGroup("b", StaffSchedule((0.0,), (3,)), (1, 2)),
        AgentGroup("c", StaffSchedule((0.0,), (3,)), (2, 0)),
    )
    q = GroupQueue(groups, 3)
    q.offer(*inputs, skill=skill)
    q.advance(np.inf)
    return q.records().start


def test_group_queue_three_groups_throughput(benchmark: Any) -> None:
    """The same M/M/10 load as three skills over three overlapping groups (target: within 2x
    of `test_human_queue_throughput`)."""
    inputs = mmc_inputs(N)
    skill = np.random.default_rng(2).integers(0, 3, N)
    start = benchmark(run_three_groups, inputs, skill)
    assert not np.isnan(start).any()
    if benchmark.stats is not None:
        benchmark.extra_info["messages_per_second"] = round(N / benchmark.stats.stats.mean)


def test_xiaomi_service_day(benchmark: Any) -> None:
    scenario = load_scenario(Path(__file__).parents[1] / "scenarios" / "xiaomi_service_2013.toml")

    def one_day() -> dict[str, Any]:
        result = run_one(RunSpec(scenario, 1))
        hourly_rows(result)
        return summarize(result)

    summary = benchmark(one_day)
    assert summary["messages_received"] > 0


SCENARIOS = Path(__file__).parents[1] / "scenarios"


def test_flagship_99_days(benchmark: Any) -> None:
    scenario = load_scenario(SCENARIOS / "xiaomi_2013q1.toml")

    def quarter() -> dict[str, Any]:
        result = run_one(RunSpec(scenario, 1))
        hourly_rows(result)
        return summarize(result)

    summary = benchmark.pedantic(quarter, rounds=3, iterations=1)
    assert summary["days"] == 99


SCALE_RUN = """
import json, resource, time
from sim.scenario.load import load_scenario
from sim.results.summary import daily_rows, hourly_rows, summarize
from sim.model.budget import DEFAULT_BUDGET_BYTES, check_budget, estimate_work
from sim.model.engine import RunSpec, run_one
t0 = time.perf_counter()
result = run_one(RunSpec(load_scenario({path!r}), 1))
daily_rows(result, hourly_rows(result))
s = summarize(result)
print(json.dumps({{"seconds": time.perf_counter() - t0, "fans_final": s["fans_final"],
                  "messages": s["messages_received"], "routed": s["messages_to_humans"],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def scale_run(name: str) -> dict[str, Any]:
    """One run of a scale scenario in a fresh process, so its peak memory is its own."""
    code = SCALE_RUN.format(path=str(SCENARIOS / f"{name}.toml"))
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout))


def test_scale_10m_fans_365_days(benchmark: Any) -> None:
    measured = benchmark.pedantic(scale_run, ("scale_10m_2014",), rounds=1, iterations=1)
    benchmark.extra_info.update(measured)
    assert measured["messages"] > 100_000_000  # 10M fans at the start; churn ends it near 7.5M
    assert measured["peak_mib"] < 0.8 * 1024, measured


def test_scale_50m_within_4_5x_of_10m(benchmark: Any) -> None:
    """The 50M-fan year: default budget, < 1.5 GiB, time linear in messages (<= 4.5x 10M's)."""
    scenario = load_scenario(SCENARIOS / "scale_50m_2014.toml")
    check_budget(estimate_work(scenario), DEFAULT_BUDGET_BYTES)  # raises if refused
    small = scale_run("scale_10m_2014")
    big = benchmark.pedantic(scale_run, ("scale_50m_2014",), rounds=1, iterations=1)
    ratio = big["seconds"] / small["seconds"]
    benchmark.extra_info.update({**big, "seconds_10m": small["seconds"], "ratio_to_10m": ratio})
    assert big["messages"] > 4 * small["messages"]  # the load the ratio is judged against
    assert big["peak_mib"] < 1.5 * 1024, big
    assert ratio <= 4.5, (ratio, big, small)  # time linear in messages


def test_festival_surge_message_by_message(benchmark: Any) -> None:
    scenario = load_scenario(SCENARIOS / "mifan_festival_2013.toml")

    def festival() -> dict[str, Any]:
        return summarize(run_one(RunSpec(scenario, 1)))

    summary = benchmark.pedantic(festival, rounds=3, iterations=1)
    benchmark.extra_info["server_messages"] = summary["server_messages"]
    benchmark.extra_info["server_requests"] = summary["server_requests"]
    assert summary["server_requests"] > 500_000


def test_cascade_reaching_5_million(benchmark: Any) -> None:
    """Target: < 5 s for a cascade that reaches 5 million people (drawn per generation)."""
    from sim.model.cascades import run_cascade
    from sim.model.rng import Streams
    from sim.scenario.spread import CascadeSpec

    spec = CascadeSpec(
        share_probability=0.8, contacts_mean=10, contacts_dispersion=1.0, join_probability=0.5
    )

    def cascade() -> int:
        return run_cascade(spec, 1000, 14, 5_200_000, 24 * 60, Streams(1), 0, "big").reach

    reach = benchmark.pedantic(cascade, rounds=5, iterations=1)
    benchmark.extra_info["reach"] = reach
    assert reach > 5_000_000


def test_flagship_with_campaigns(benchmark: Any) -> None:
    """Target: < 10 s for the flagship with a 3-day quiz that cascades (via --set)."""
    scenario = load_scenario(
        SCENARIOS / "xiaomi_2013q1.toml",
        [
            'campaigns.quiz={type="live_quiz", start=2013-03-20T20:00:00, '
            'end=2013-03-22T21:00:00, participation=0.3, message_class="keyword", '
            'new_fans_per_participant=0.2, source="campaign", gift_share=0.3, daily_decay=0.6, '
            "burst={every_minutes=10}, cascade={share_probability=0.3, contacts_mean=5, "
            "contacts_dispersion=0.5, join_probability=0.2, pool=5000000}}",
        ],
    )

    def quarter() -> dict[str, Any]:
        result = run_one(RunSpec(scenario, 1))
        hourly_rows(result)
        return summarize(result)

    summary = benchmark.pedantic(quarter, rounds=3, iterations=1)
    benchmark.extra_info["cascade_follows"] = summary["cascades"]["quiz"]["follows"]
    assert summary["days"] == 99


WEIBO = (
    'inbound.weibo={platform="weibo", followers=3000000, growth_per_day=20000, active_share=0.1, '
    "per_active_fan_per_day=0.0022, auto_reply_coverage=0.0, first_response_target_minutes=20, "
    'classes={weibo_pm={share=0.7, routing="human", priority=1, '
    'handle_time_minutes={dist="lognormal", mean=3.0, cv=0.8}}, '
    'weibo_mention={share=0.3, routing="human", priority=2, '
    'handle_time_minutes={dist="lognormal", mean=2.0, cv=0.8}}}}'
)
"""The flagship's Weibo account: several million followers [A], ~660 messages a day at first."""


@pytest.mark.parametrize(
    ("path", "overrides"),
    [("xiaomi_2013q1.toml", [WEIBO]), ("xiaomi_newmedia_2013.toml", [])],
    ids=["flagship_with_weibo", "newmedia_week"],
)
def test_multi_channel_flagship(benchmark: Any, path: str, overrides: list[str]) -> None:
    """Target: < 10 s, run + summary (per channel) + hourly rows."""
    scenario = load_scenario(SCENARIOS / path, overrides)

    def run() -> dict[str, Any]:
        result = run_one(RunSpec(scenario, 1))
        hourly_rows(result)
        return summarize(result)

    summary = benchmark.pedantic(run, rounds=3, iterations=1)
    weibo = summary["channels"]["weibo"]
    benchmark.extra_info["weibo_received_per_day"] = weibo["received_per_day"]
    benchmark.extra_info["messages_to_humans"] = summary["messages_to_humans"]
    assert weibo["messages_received"] > 0


def test_staffing_24_intervals_10_replications(benchmark: Any) -> None:
    """Sampling, Erlang pre-screen, simulation search, roster program and the roster's check."""
    from sim.staffing.plan import plan_staffing
    from sim.staffing.targets import Policy, ServiceTarget

    scenario = load_scenario(SCENARIOS / "xiaomi_service_2013.toml")
    policy = Policy(ServiceTarget(0.8, 15.0), 0.05, 0.3, 0.85)
    closed = tuple(range(8))  # open 08:00-24:00, as in docs/staffing.md

    plan = benchmark.pedantic(
        lambda: plan_staffing(scenario, 1, 10, policy, 60.0, closed), rounds=3, iterations=1
    )
    assert plan.grid.intervals == 24 and plan.replications == 10


def test_staffing_a_campaign_week_at_15_minutes_10_replications(benchmark: Any) -> None:
    """The planner's question of issue 22: the 8-week scenario's campaign days, as the CLI
    does them (the warm-up to the fans at the start, then the plan of those days only)."""
    from sim.staffing.period import campaign_period, cut_to_period
    from sim.staffing.plan import plan_staffing
    from sim.staffing.targets import Policy, ServiceTarget

    scenario = load_scenario(SCENARIOS / "planner_8weeks_2021.toml")
    policy = Policy(ServiceTarget(0.8, 15.0))

    def staff() -> Any:
        first, last = campaign_period(scenario, "spring_fission")
        cut = cut_to_period(scenario, first, last, 1)
        return plan_staffing(cut.scenario, 1, 10, policy, 15.0)

    plan = benchmark.pedantic(staff, rounds=1, iterations=1)
    assert plan.grid.intervals == 5 * 96 and plan.replications == 10


def service_day_in_two_groups() -> Any:
    """The service day's 7 agents as two groups: orders and delivery (2 chats each), and a
    technical group for flashing, images and voice that also takes orders."""
    from sim.scenario.files import read_raw
    from sim.scenario.load import scenario_from_dict

    raw = read_raw(SCENARIOS / "xiaomi_service_2013.toml")
    shifts = raw["service"].pop("shifts")
    raw["service"]["groups"] = {
        "orders": {"skills": ["order", "delivery", "keyword"], "shifts": shifts, "max_chats": 2},
        "tech": {"skills": ["flashing", "image", "voice", "order"], "shifts": shifts},
    }
    return scenario_from_dict(raw)


def test_staffing_two_groups_24_intervals_10_replications(benchmark: Any) -> None:
    """The grouped planner on the same day and policy (no target of its own: compared with
    `test_staffing_24_intervals_10_replications`)."""
    from sim.staffing.group_plan import plan_group_staffing
    from sim.staffing.targets import Policy, ServiceTarget

    scenario = service_day_in_two_groups()
    policy = Policy(ServiceTarget(0.8, 15.0), 0.05, 0.3, 0.85)
    closed = tuple(range(8))

    plan = benchmark.pedantic(
        lambda: plan_group_staffing(scenario, 1, 10, policy, 60.0, closed),
        rounds=3,
        iterations=1,
    )
    assert [g.name for g in plan.groups] == ["orders", "tech"]
    benchmark.extra_info["roster_agent_hours"] = [g.roster.agent_hours for g in plan.groups]


def test_sizing_servers_for_the_festival_surge(benchmark: Any) -> None:
    """Sampling the surge once, then the fewest instances for sync, dedup and async replies."""
    from sim.staffing.measurements import read_loadreport
    from sim.staffing.servers import (
        VARIANTS,
        BackEnd,
        SizingTarget,
        size_servers,
        surge_from_scenario,
    )

    scenario = load_scenario(SCENARIOS / "mifan_festival_2013.toml")
    report = read_loadreport(Path(__file__).parent / "data" / "loadreport")
    service = {"dist": "empirical", "values": list(report.service_time_seconds)}
    target = SizingTarget(0.001, 5.0)

    def sizing() -> list[int]:
        variant, surge = surge_from_scenario(scenario, 1, 1, service, 16)
        assert variant.server is not None
        back_end = BackEnd.from_spec(variant.server, 16)
        return [size_servers(surge, back_end, v, target).instances for v in VARIANTS]

    answers = benchmark.pedantic(sizing, rounds=2, iterations=1)
    benchmark.extra_info["instances_sync_dedup_async"] = answers
    assert all(n >= 1 for n in answers)
