"""The capacity figure is refused, with the reason, when a run cannot show it."""

from __future__ import annotations

from pathlib import Path

from loadtests.replay.platforms import Message
from loadtests.replay.records import Recorder, read_run
from loadtests.report.capacity import capacity
from loadtests.wechat.delivery import FAILED, IN_TIME, Attempt, Delivered


def run(tmp_path: Path, n: int, seconds: float, hung_every: int = 0) -> Path:
    """n messages over `seconds`, answered in 8 ms, every `hung_every`-th never answered."""
    rec = Recorder(0)
    for i in range(n):
        at = i * seconds / n
        m = Message(i + 1, f"fan{i}", "hi", False, 0)
        if hung_every and i % hung_every == 0:
            result = Delivered((Attempt(1, at, 5.0, 0, False, at, "timeout"),), FAILED)
        else:
            result = Delivered((Attempt(1, at, 0.008, 200, True, at),), IN_TIME)
        rec.delivered(m, "k", at, result)
    rec.write(tmp_path, {"plan": {}})
    return tmp_path


def test_a_healthy_run_below_capacity_gives_a_lower_bound(tmp_path: Path) -> None:
    cap = capacity(read_run(run(tmp_path, 200, 10.0)), 5.0, 5.0, 1)
    assert cap["capacity_per_instance"] == 20.0 and not cap["capacity_found"]
    assert cap["capacity_refused"] is None


def test_one_message_in_ten_hanging_is_not_a_capacity_of_zero(tmp_path: Path) -> None:
    cap = capacity(read_run(run(tmp_path, 200, 10.0, hung_every=10)), 5.0, 5.0, 1)
    assert cap["capacity_per_instance"] is None and not cap["capacity_found"]
    assert cap["capacity_refused"].startswith("no window sustained its offered rate")


def test_27_messages_are_too_few(tmp_path: Path) -> None:
    cap = capacity(read_run(run(tmp_path, 27, 30.0)), 5.0, 5.0, 1)
    assert cap["capacity_per_instance"] is None
    assert "too few to read a capacity" in cap["capacity_refused"]
