"""A worker's records written and read back: one row per message and per delivery."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from loadtests.replay.platforms import Message, WeChat
from loadtests.replay.records import Recorder, read_run
from loadtests.wechat.delivery import AFTER_RETRY, Attempt, Delivered
from loadtests.wechat.protocol import parse_message


def test_rows_round_trip_with_times_from_the_workers_origin(tmp_path: Path) -> None:
    rec = Recorder(3)
    first = Attempt(1, 10.5, 5.0, 0, False, 10.45, "timeout", 1)
    second = Attempt(2, 15.5, 0.25, 200, True)
    rec.delivered(Message(7, "fan7", "GO", False, 99), "quiz", 0.4, Delivered((first, second),
                  AFTER_RETRY), origin=10.0)  # fmt: skip
    rec.dropped(Message(5, "fan5", "", True, 98), "order", 0.3, 0.0625, "pool_full")
    rec.write(tmp_path, {"plan": {}})
    r = read_run(tmp_path)
    assert r.msg_id.tolist() == [5, 7]  # sorted by MsgId
    assert r.kind.tolist() == ["subscribe", "text"] and r.cls.tolist() == ["order", "quiz"]
    assert r.outcome.tolist() == ["dropped", "after_retry"]
    # the generator's delay: intended (0.4) -> the first delivery's start (10.45 - 10.0)
    assert r.lateness.tolist() == [0.0625, 0.05] and r.deliveries.tolist() == [0, 2]
    assert r.dropped_why.tolist() == ["pool_full", ""]
    assert r.d_started.tolist() == [0.45, 5.5] and r.d_cause.tolist() == ["timeout", ""]
    assert r.d_stale.tolist() == [1, 0]
    assert math.isnan(r.answered_at[0]) and r.answered_at[1] == 5.75
    assert r.d_msg_id.tolist() == [7, 7] and r.d_sent.tolist() == [0.5, 5.5]
    assert r.d_status.tolist() == [0, 200] and np.array_equal(r.d_answered, [False, True])
    meta = json.loads((tmp_path / "worker-3.json").read_text(encoding="utf-8"))
    assert meta["counts"] == {"in_time": 0, "after_retry": 1, "failed": 0, "dropped": 1}


def test_a_runs_keys_are_the_ones_the_back_end_stores(tmp_path: Path) -> None:
    rec = Recorder(0)
    text, event = Message(7, "fan7", "GO", False, 99), Message(8, "fan8", "", True, 98)
    for m in (text, event):
        rec.dropped(m, "quiz", 0.1, 0.0, "generator_behind")
    rec.write(tmp_path, {"plan": {}})
    r = read_run(tmp_path)
    wechat = WeChat("t")
    stored = [parse_message(wechat.render(m, 1, 100).body).dedup_key for m in (text, event)]
    assert r.dedup_keys(np.ones(2, bool)) == stored == ["m:7", "e:fan8:98"]
