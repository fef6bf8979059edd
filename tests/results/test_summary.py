import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.engine import RunSpec, run_one
from sim.results.summary import hourly_rows, summarize
from tests.factories import queue_scenario


def run(seed: int, agents: int, patience: float | None):  # type: ignore[no-untyped-def]
    return run_one(
        RunSpec(
            queue_scenario(rate_per_minute=3.0, agents=agents, mean_patience=patience, days=1), seed
        ),
        records=True,
    )


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 9999),
    agents=st.integers(1, 4),
    patience=st.one_of(st.none(), st.floats(1, 30)),
)
def test_hourly_rows_add_up_to_the_summary(seed: int, agents: int, patience: float | None) -> None:
    result = run(seed, agents, patience)
    s, rows = summarize(result), hourly_rows(result)
    assert len(rows) == 24
    for key in (
        "messages_received",
        "messages_auto_replied",
        "messages_to_humans",
        "messages_answered",
        "messages_abandoned",
    ):
        assert sum(r[key] for r in rows) == s[key], key
    assert rows[-1]["backlog"] == s["backlog_final"]
    assert max(r["backlog_max"] for r in rows) == s["backlog_max"]
    for r in rows:
        assert 0 <= r["backlog"] <= r["backlog_max"]
        assert r["agents_present"] >= 0


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 9999),
    agents=st.integers(1, 4),
    patience=st.one_of(st.none(), st.floats(1, 30)),
)
def test_backlog_levels_match_a_direct_count(
    seed: int, agents: int, patience: float | None
) -> None:
    """The swept levels at hour edges and the peak are those of counting every message."""
    result = run(seed, agents, patience)
    q, waiting = result.queue, result.tally.waiting
    started = np.where(np.isnan(q.start), np.inf, q.start)
    gone = np.where(np.isnan(q.start), q.deadline, np.inf)

    def level(t: float) -> int:
        return int(((q.arrival <= t) & (started > t) & (gone > t)).sum())

    for i, t in enumerate(waiting.probes.tolist()):
        assert waiting.level[i] == level(t), t
    waited = np.isnan(q.start) | (q.start > q.arrival)
    peak = max((level(t) for t in q.arrival[waited]), default=0)
    assert waiting.peak() == peak
    assert summarize(result)["backlog_max"] == peak


def test_utilization_is_busy_over_present() -> None:
    result = run(1, 3, None)
    s = summarize(result)
    q = result.queue
    ok = ~np.isnan(q.start)
    busy = np.sum(np.clip(q.horizon - q.start[ok], 0, q.handle[ok]))
    assert np.isclose(s["agent_utilization"], busy / (s["agent_hours_present"] * 60))
    # M/M/3 at 3/min with mean handle 1: offered load 3 Erlangs on 3 agents -> near 1
    assert 0.8 < s["agent_utilization"] <= 1.0


def test_sla_counts_abandoned_as_missed() -> None:
    s = summarize(run(2, 1, 0.5))  # one agent, 3 msgs/min, fans leave after ~30 s
    assert s["messages_abandoned"] > 0
    assert (
        s["sla_first_response_met"] < 1 - s["messages_abandoned"] / s["messages_to_humans"] + 1e-9
    )
