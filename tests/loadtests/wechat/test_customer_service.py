"""The customer-service API's rules: the 48 h window after a fan's message, 5 answers in it."""

from __future__ import annotations

from loadtests.wechat.customer_service import OK, OUT_OF_COUNT, OUT_OF_TIME, CustomerService


def test_a_fan_can_be_answered_five_times_within_48_hours_of_its_message() -> None:
    cs = CustomerService()
    assert cs.send("fan1", "text", 0.0) == OUT_OF_TIME  # the fan never wrote
    cs.saw("fan1", 10.0)
    assert [cs.send("fan1", "text", 11.0 + k) for k in range(6)] == [OK] * 5 + [OUT_OF_COUNT]
    cs.saw("fan1", 20.0)  # a new message opens a new window
    assert cs.send("fan1", "text", 20.0 + 48 * 3600) == OK
    assert cs.send("fan1", "text", 20.1 + 48 * 3600) == OUT_OF_TIME
    assert [s.errcode for s in cs.log].count(OK) == 6


def test_the_window_shrinks_with_the_speedup() -> None:
    cs = CustomerService(speedup=60.0)  # 48 scenario hours = 48 wall minutes
    cs.saw("f", 0.0)
    assert cs.send("f", "text", 48 * 60 - 1) == OK and cs.send("f", "text", 48 * 60 + 1) != OK
