"""Matching the platform's accepted API calls to messages: each fan's earliest unanswered one."""

from __future__ import annotations

import math
from pathlib import Path

from loadtests.replay.platforms import Message
from loadtests.replay.records import Recorder, read_run
from loadtests.report.fan_answers import fan_answers, first_answers, scenario_targets
from loadtests.wechat.customer_service import OK, OUT_OF_COUNT, Sent
from loadtests.wechat.delivery import IN_TIME, Attempt, Delivered


def test_answers_go_to_the_fans_earliest_unanswered_message(tmp_path: Path) -> None:
    rec = Recorder(0)
    for msg_id, fan, at, replied in ((1, "a", 1.0, False), (2, "a", 2.0, False),
                                     (3, "b", 3.0, True), (4, "c", 4.0, False)):  # fmt: skip
        attempt = Attempt(1, at, 0.01, 200, True, at, "", 0, replied)
        rec.delivered(Message(msg_id, fan, "hi", False, 0), "k", at, Delivered((attempt,), IN_TIME))
    rec.write(tmp_path, {"plan": {}})
    rec.write_answers(tmp_path, [
        Sent(0.5, "c", "text", OK),  # before c's message reached the platform: not its answer
        Sent(5.0, "a", "text", OK),  # a's first message
        Sent(6.0, "a", "text", OUT_OF_COUNT),  # refused: the fan got nothing
        Sent(7.0, "a", "text", OK),  # a's second
        Sent(8.0, "b", "text", OK),  # b had its passive reply already
    ])  # fmt: skip
    r = read_run(tmp_path)
    first, came_async = first_answers(r)
    assert first[:3].tolist() == [5.0, 7.0, 3.01] and math.isnan(first[3])
    assert came_async.tolist() == [True, True, False, False]
    out = fan_answers(r)
    assert (out["answered"], out["answered_asynchronously"], out["passive_replies"]) == (3, 2, 1)
    assert out["unanswered_at_end"] == 1 and out["api_refused_by_errcode"] == {"45047": 1}
    assert out["first_answer_answered_only_ms"]["max"] == 5000.0  # message 2: 2.0 -> 7.0
    assert out["first_answer_ms"]["max"] == "inf"


def test_shares_within_the_targets_count_unanswered_messages_as_missed(tmp_path: Path) -> None:
    rec = Recorder(0)
    for msg_id, at in ((1, 0.0), (2, 1.0), (3, 2.0), (4, 3.0)):
        attempt = Attempt(1, at, 0.01, 200, True, at, "", 0, False)
        rec.delivered(Message(msg_id, f"f{msg_id}", "hi", False, 0), "k", at,
                      Delivered((attempt,), IN_TIME))  # fmt: skip
    rec.write(tmp_path, {"plan": {}})
    # at 60x a wall second is a scenario minute: answers 10, 20 and 40 minutes late, one none
    rec.write_answers(tmp_path, [Sent(10.0, "f1", "text", OK), Sent(21.0, "f2", "text", OK),
                                 Sent(42.0, "f3", "text", OK)])  # fmt: skip
    out = fan_answers(read_run(tmp_path), (15.0, 30.0), speedup=60.0)
    t = out["targets"]
    assert (t["within_first_response_share"], t["within_resolution_share"]) == (0.25, 0.5)
    assert out["by_class"]["k"]["within_resolution_share"] == 0.5
    assert (
        "targets unknown"
        in fan_answers(read_run(tmp_path), "targets unknown")["targets"]["missing"]
    )


def test_the_targets_are_the_replayed_days() -> None:
    meta = {"scenario_path": "scenarios/xiaomi_service_2013.toml", "plan": {"start": 3600},
            "profile": {"first_second": "2013-04-10T09:00:00"}}  # fmt: skip
    assert scenario_targets(meta) == (15.0, 30.0)
    assert "no scenario" in str(scenario_targets({"scenario_path": ""}))
