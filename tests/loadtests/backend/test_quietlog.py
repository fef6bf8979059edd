"""`quietlog`: the first event of a kind is logged, then at most one line per interval."""

import logging

import pytest

from loadtests.backend.quietlog import QuietLog


def test_repeats_are_counted_into_the_next_line(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    quiet = QuietLog(logging.getLogger("test.quiet"), every=10.0, clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, "test.quiet"):
        assert quiet.warn("full", "disk full")
        for t in (1.0, 2.0, 9.9):
            now[0] = t
            assert not quiet.warn("full", "disk full")
        assert quiet.warn("shed", "closed a connection")  # another kind has its own interval
        now[0] = 10.0
        assert quiet.warn("full", "disk full")
    assert caplog.messages == [
        "disk full",
        "closed a connection",
        "disk full (4 times since the last such line)",
    ]
