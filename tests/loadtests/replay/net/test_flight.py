"""The replay's bounded pool of raw greenlets."""

from __future__ import annotations

import gevent
import pytest

from loadtests.replay.net.flight import Flight


def test_the_bound_holds_and_join_waits_for_every_task() -> None:
    flight = Flight(2)
    done: list[int] = []

    def task(i: int) -> None:
        gevent.sleep(0.01)
        done.append(i)

    flight.spawn(task, 1)
    flight.spawn(task, 2)
    assert flight.full() and flight.busy == 2
    with pytest.raises(RuntimeError, match="pool full"):
        flight.spawn(task, 3)
    flight.join(poll=0.001)
    assert sorted(done) == [1, 2] and flight.busy == 0 and not flight.full()


def test_a_task_that_raises_frees_its_place_and_is_counted() -> None:
    flight = Flight(1)

    def boom() -> None:
        raise ValueError("boom")

    hub = gevent.get_hub()
    printed, hub.print_exception = hub.print_exception, lambda *a: None  # keep stderr quiet
    try:
        flight.spawn(boom)
        flight.join(poll=0.001)
    finally:
        hub.print_exception = printed
    assert flight.busy == 0 and flight.errors == 1


def test_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match=r"size\(=0\) must be >= 1"):
        Flight(0)
