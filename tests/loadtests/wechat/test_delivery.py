from __future__ import annotations

from collections.abc import Callable

import pytest

from loadtests.wechat.delivery import AFTER_RETRY, FAILED, IN_TIME, LATE, Reply, deliver
from sim.scenario.schema import ServerSpec

# WeChat's rules: the scenario's defaults (5 s, 3 deliveries)
DEADLINE = float(ServerSpec.model_fields["deadline_seconds"].default)
DELIVERIES = int(ServerSpec.model_fields["max_deliveries"].default)
RULES = (DEADLINE, DELIVERIES)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def sender(
    clock: FakeClock, replies: list[tuple[float, int, bool]], before: float = 0.0
) -> Callable[[int], Reply]:
    """Each delivery waits `before` in the client, then is written and takes `took`."""

    def send(d: int) -> Reply:
        took, status, valid = replies[d - 1]
        clock.now += before
        written = clock.now
        clock.now += took
        return Reply(status, valid, written, "" if valid else "timeout")

    return send


def test_a_quick_valid_reply_answers_at_once() -> None:
    c = FakeClock()
    r = deliver(sender(c, [(0.01, 200, True)]), c, c.sleep, *RULES)
    assert r.outcome == IN_TIME and len(r.attempts) == 1
    assert r.answered_at == pytest.approx(100.01)


def test_silence_gives_three_deliveries_one_deadline_apart_then_failure() -> None:
    c = FakeClock()
    r = deliver(sender(c, [(5.0, 0, False)] * 3), c, c.sleep, *RULES)
    assert r.outcome == FAILED and r.answered_at is None
    assert [a.sent for a in r.attempts] == [100.0, 105.0, 110.0]
    assert [a.delivery for a in r.attempts] == [1, 2, 3]


def test_a_5xx_is_redelivered_a_deadline_later_and_can_then_succeed() -> None:
    c = FakeClock()
    r = deliver(
        sender(c, [(0.002, 503, False), (0.003, 200, True)]), c, c.sleep, DEADLINE, DELIVERIES
    )
    assert r.outcome == AFTER_RETRY
    assert r.attempts[1].sent == pytest.approx(105.0)


def test_a_valid_reply_after_the_deadline_does_not_count() -> None:
    c = FakeClock()
    r = deliver(sender(c, [(5.5, 200, True), (0.1, 200, True)]), c, c.sleep, *RULES)
    assert not r.attempts[0].answered and r.outcome == AFTER_RETRY
    assert r.attempts[0].cause == LATE
    assert r.attempts[1].sent == pytest.approx(105.5)  # right away: the deadline already passed


def test_time_in_the_client_before_writing_is_not_the_servers_and_shifts_no_redelivery() -> None:
    c = FakeClock()
    r = deliver(sender(c, [(5.0, 0, False)] * 2, before=1.5), c, c.sleep, 5.0, 2)
    first, second = r.attempts
    assert first.started == pytest.approx(100.0) and first.sent == pytest.approx(101.5)
    assert first.response == pytest.approx(5.0) and first.cause == "timeout"
    # redelivered 5 s after the first was written; it too waited 1.5 s before being written
    assert second.started == pytest.approx(106.5) and second.sent == pytest.approx(108.0)


def test_rules_are_checked() -> None:
    c = FakeClock()
    with pytest.raises(ValueError, match=r"deadline\(=0\) must be > 0"):
        deliver(sender(c, []), c, c.sleep, 0, RULES[1])
