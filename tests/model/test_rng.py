"""Named random streams, and the common-random-number promises they make to the model."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import RunSpec, run_one
from sim.model.rng import STREAMS, Streams, key_part
from sim.scenario import load_scenario
from tests.factories import growth_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
SERVICE_DAY = SCENARIOS / "xiaomi_service_2013.toml"
FESTIVAL = SCENARIOS / "mifan_festival_2013.toml"
SMALL_FESTIVAL = ["fans.initial=20000", "server.workers_per_instance=2"]


def test_a_stream_is_a_pure_function_of_seed_replication_name_and_key() -> None:
    a = Streams(7, 1).get("traffic.counts", 3, "order").random(4)
    b = Streams(7, 1).get("traffic.counts", 3, "order").random(4)
    assert np.array_equal(a, b)
    others = [
        Streams(8, 1).get("traffic.counts", 3, "order"),
        Streams(7, 2).get("traffic.counts", 3, "order"),
        Streams(7, 1).get("traffic.handle", 3, "order"),
        Streams(7, 1).get("traffic.counts", 4, "order"),
        Streams(7, 1).get("traffic.counts", 3, "voice"),
    ]
    for g in others:
        assert not np.array_equal(a, g.random(4))


def test_unknown_stream_names_and_negative_keys_are_bugs() -> None:
    with pytest.raises(ValueError, match=r"unknown random stream 'traffic\.count'"):
        Streams(1).get("traffic.count")
    with pytest.raises(ValueError, match="must be >= 0"):
        key_part(-1)
    with pytest.raises(ValueError, match="must be >= 0"):
        Streams(-1)


def test_stream_names_are_distinct_as_keys() -> None:
    assert len({key_part(n) for n in STREAMS}) == len(STREAMS)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_switching_the_back_end_off_keeps_every_interval_s_arrivals(seed: int) -> None:
    on = run_one(records=True, spec=RunSpec(load_scenario(SERVICE_DAY), seed))
    off = run_one(
        records=True, spec=RunSpec(load_scenario(SERVICE_DAY, ["service.back_end=false"]), seed)
    )
    assert np.array_equal(on.received, off.received)
    assert off.auto_replied.sum() == 0 < on.auto_replied.sum()
    # messages routed with the back end on are routed with it off too, each with its own
    # attributes (matched by arrival time, so a shuffle of handle times between messages fails)
    at = np.searchsorted(off.queue.arrival, on.queue.arrival)
    assert np.array_equal(off.queue.arrival[at], on.queue.arrival)
    for field in ("handle", "deadline", "tag"):
        assert np.array_equal(getattr(off.queue, field)[at], getattr(on.queue, field)), field


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**32), conversion=st.floats(0.0, 0.2))
def test_changing_one_channel_leaves_another_channel_s_follows(
    seed: int, conversion: float
) -> None:
    def channels(forum_conversion: float) -> dict[str, object]:
        return {
            "forum": {
                "pool": 50_000,
                "conversion": forum_conversion,
                "exposure": {"kind": "visitors", "visitors_per_day": 20_000},
            },
            "store": {
                "pool": 80_000,
                "conversion": 0.02,
                "gift_share": 0.1,
                "exposure": {"kind": "orders", "orders_per_day": 5_000, "prompt_share": 0.5},
            },
        }

    followers = {"unfollow_per_day": 0.002, "unanswered_unfollow": 0.2}
    a = run_one(RunSpec(growth_scenario(channels=channels(0.01), followers=followers), seed))
    b = run_one(RunSpec(growth_scenario(channels=channels(conversion), followers=followers), seed))
    assert a.followers is not None and b.followers is not None
    store = a.followers.sources.index("store")
    assert np.array_equal(a.followers.follows[:, store], b.followers.follows[:, store])


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32), instances=st.integers(1, 6))
def test_resizing_the_server_keeps_every_message_s_handle_time_and_patience(
    seed: int, instances: int
) -> None:
    small = run_one(RunSpec(load_scenario(FESTIVAL, SMALL_FESTIVAL), seed))
    other = load_scenario(FESTIVAL, [*SMALL_FESTIVAL, f"server.instances={instances}"])
    big = run_one(RunSpec(other, seed))
    (w1,), (w2,) = small.windows, big.windows
    assert np.array_equal(w1.arrival_s, w2.arrival_s)
    assert np.array_equal(w1.service_s, w2.service_s)
    for field in ("arrival", "cls", "handle", "deadline"):
        assert np.array_equal(getattr(w1.candidates, field), getattr(w2.candidates, field))


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_adding_a_campaign_leaves_the_everyday_stream_unchanged(seed: int) -> None:
    plain = load_scenario(FESTIVAL, [*SMALL_FESTIVAL, "campaigns={}"])
    quiz = load_scenario(
        FESTIVAL, [*SMALL_FESTIVAL, "campaigns.live_quiz.new_fans_per_participant=0"]
    )
    a = run_one(records=True, spec=RunSpec(plain, seed))
    b = run_one(records=True, spec=RunSpec(quiz, seed))
    assert a.windows == ()
    (w,) = b.windows
    others = [i for i, name in enumerate(b.class_names) if name != "quiz"]
    assert np.array_equal(a.received[:, others], b.received[:, others])
    inside = (a.queue.arrival >= w.window.start) & (a.queue.arrival < w.window.end)
    b_inside = (b.queue.arrival >= w.window.start) & (b.queue.arrival < w.window.end)
    everyday = np.isin(w.candidates.cls, others)
    for field, window_field in (("arrival", "arrival"), ("handle", "handle"), ("tag", "cls")):
        x, y = getattr(a.queue, field), getattr(b.queue, field)
        assert np.array_equal(x[~inside], y[~b_inside]), field
        assert np.array_equal(x[inside], getattr(w.candidates, window_field)[everyday]), field
