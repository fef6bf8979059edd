"""Matching the platform's accepted API calls to messages: each fan's earliest unanswered one."""

from __future__ import annotations

import math
from pathlib import Path

from loadtests.replay.platforms import Message
from loadtests.replay.records import Recorder, read_run
from loadtests.report.fan_answers import fan_answers, first_answers
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
