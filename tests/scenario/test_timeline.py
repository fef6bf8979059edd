"""The timeline: phases resolved once into the scenario of each day, read by model and results."""

import datetime as dt

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.model import RunSpec, run_one
from sim.results import summarize
from sim.scenario import scenario_from_dict
from sim.scenario.timeline import resolve_timeline
from tests.factories import queue_scenario


def _raw_with_phases(phases: list[dict[str, object]]) -> dict[str, object]:
    raw = queue_scenario(rate_per_minute=1.0, agents=1, days=4).model_dump(mode="json")
    raw["phases"] = phases
    return raw


def test_phases_are_resolved_once_at_load_and_carried_beside_the_scenario() -> None:
    sc = scenario_from_dict(
        _raw_with_phases([{"date": "2013-04-12", "set": {"service.agents_by_hour": [3] * 24}}])
    )
    tl = resolve_timeline(sc)
    assert resolve_timeline(sc) is tl  # carried, not resolved again
    assert [s.service.agents_by_hour[0] for s in tl.days] == [1, 1, 3, 3]  # type: ignore[index]
    assert tl.days[0] is tl.days[1] and tl.days[2] is tl.days[3]  # one object per segment
    assert [d for d, _ in tl.segments] == [dt.date(2013, 4, 10), dt.date(2013, 4, 12)]
    assert "timeline" not in sc.model_dump()  # beside the data, not in it


def test_a_copy_is_resolved_afresh_never_with_its_source_s_timeline() -> None:
    sc = scenario_from_dict(
        _raw_with_phases([{"date": "2013-04-12", "set": {"service.agents_by_hour": [3] * 24}}])
    )
    copy = sc.model_copy(update={"phases": ()})
    fresh = resolve_timeline(copy)
    assert fresh is not resolve_timeline(sc) and len(fresh.days) == 4
    assert [s.service.agents_by_hour[0] for s in fresh.days] == [1] * 4  # type: ignore[index]
    assert resolve_timeline(copy) is fresh


def test_a_phase_s_sla_target_counts_in_the_outputs_of_its_days() -> None:
    strict = [{"date": "2013-04-12", "set": {"service.first_response_target_minutes": 0.01}}]
    base = scenario_from_dict(_raw_with_phases([]))
    phased = scenario_from_dict(_raw_with_phases(strict))
    a = summarize(run_one(RunSpec(base, 3)))
    b = summarize(run_one(RunSpec(phased, 3)))
    assert a["sla_first_response_target_minutes"] == 15
    assert b["sla_first_response_target_minutes"] == [
        {"from": "2013-04-10", "minutes": 15.0},
        {"from": "2013-04-12", "minutes": 0.01},
    ]
    # the same messages (same seed); only the days under the strict target miss it
    assert b["sla_first_response_met"] < a["sla_first_response_met"]
    assert b["sla_resolution_met"] == a["sla_resolution_met"]


def test_a_phase_that_adds_a_message_class_brings_its_traffic_from_its_date() -> None:
    new_classes = {
        "all": {
            "share": 0.5,
            "routing": "human",
            "handle_time_minutes": {"dist": "exponential", "mean": 1.0},
        },
        "voice": {
            "share": 0.5,
            "routing": "human",
            "priority": 0,
            "handle_time_minutes": {"dist": "fixed", "value": 2.0},
        },
    }
    sc = scenario_from_dict(
        _raw_with_phases([{"date": "2013-04-12", "set": {"messages.classes": new_classes}}])
    )
    assert resolve_timeline(sc).class_names == ("all", "voice")
    result = run_one(records=True, spec=RunSpec(sc, 5))
    voice = result.received[:, 1].reshape(4, -1).sum(axis=1)
    assert voice[0] == voice[1] == 0 and voice[2] > 0 and voice[3] > 0
    routed_voice = result.queue.tag == 1
    assert np.all(result.queue.arrival[routed_voice] >= 2 * 1440.0)
    assert np.all(result.queue.handle[routed_voice] == 2.0)
    s = summarize(result)
    assert s["by_class"]["voice"]["received"] == int(voice.sum())


def test_a_phase_s_active_share_counts_on_a_fixed_fan_base() -> None:
    """Without channels the fan count is fixed, but a phase may still change who is active.

    Before the fix the base's `fans.active_share` held on every day (1,440 messages a day
    expected from the phase's date on, ~144 sent).
    """
    quiet = [{"date": "2013-04-12", "set": {"fans.active_share": 0.1}}]
    r = run_one(RunSpec(scenario_from_dict(_raw_with_phases(quiet)), 2))
    assert r.followers is None  # a fixed fan base
    per_day = r.received.sum(axis=1).reshape(4, -1).sum(axis=1)
    assert all(abs(n - 1440) < 5 * 1440**0.5 for n in per_day[:2])  # Poisson, 5 sd
    assert all(abs(n - 144) < 5 * 144**0.5 for n in per_day[2:])


def test_the_sampling_interval_cannot_change_by_phase() -> None:
    """The engine samples every day on one interval grid; a phase's value was silently ignored."""
    coarse = [{"date": "2013-04-12", "set": {"model.interval_minutes": 60}}]
    with pytest.raises(
        ScenarioError, match=r"phases\[0\]\.set\.model\.interval_minutes: cannot change by phase"
    ):
        scenario_from_dict(_raw_with_phases(coarse))


def test_a_phase_can_add_a_server_to_a_scenario_without_one() -> None:
    server = {
        "instances": 2,
        "workers_per_instance": 4,
        "service_time_seconds": {"dist": "fixed", "value": 0.05},
    }
    sc = scenario_from_dict(_raw_with_phases([{"date": "2013-04-12", "set": {"server": server}}]))
    assert sc.server is None
    assert [d.server is not None for d in resolve_timeline(sc).days] == [False, False, True, True]
    only_instances = [{"date": "2013-04-12", "set": {"server.instances": 3}}]
    with pytest.raises(ScenarioError, match=r"phases\[0\]\.set\.server"):
        scenario_from_dict(_raw_with_phases(only_instances))  # a partial server is incomplete
