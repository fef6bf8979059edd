import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.roster import DAY, StaffSchedule, build_schedule, daily_pattern
from sim.scenario.schema import ServiceSpec, ShiftSpec

HOURLY = tuple(h % 7 for h in range(24))


def clock(minute: int) -> dt.time:
    return dt.time(minute // 60, minute % 60)


def shift(name: str, start: str, end: str, agents: int) -> ShiftSpec:
    return ShiftSpec(
        name=name, start=dt.time.fromisoformat(start), end=dt.time.fromisoformat(end), agents=agents
    )


NIGHT_AND_DAY = ServiceSpec(
    shifts=(
        shift("night", "22:00", "06:00", 2),
        shift("early", "08:00", "16:30", 3),
        shift("late", "15:00", "00:00", 4),
    )
)


def test_agents_by_hour_gives_each_hour() -> None:
    schedule = build_schedule(ServiceSpec(agents_by_hour=HOURLY), 1)
    for h, agents in enumerate(HOURLY):
        assert schedule.agents_at(h * 60.0) == agents
        assert schedule.agents_at(h * 60.0 + 30.0) == agents
        assert schedule.agents_at(h * 60.0 + 59.999) == agents


@pytest.mark.parametrize(
    ("hhmm", "agents"),
    [
        ("00:00", 2),  # the night shift that started "yesterday" covers day 1 from midnight
        ("03:30", 2),
        ("05:59", 2),
        ("06:00", 0),
        ("07:59", 0),
        ("08:00", 3),
        ("14:59", 3),
        ("15:00", 7),  # early and late overlap
        ("16:29", 7),
        ("16:30", 4),
        ("21:59", 4),
        ("22:00", 6),  # late (to midnight) and night overlap
        ("23:59", 6),
    ],
)
def test_shifts_give_agents_at_clock_times(hhmm: str, agents: int) -> None:
    t = dt.time.fromisoformat(hhmm)
    minute = t.hour * 60.0 + t.minute
    schedule = build_schedule(NIGHT_AND_DAY, 3)
    for day in range(3):
        assert schedule.agents_at(day * DAY + minute) == agents


def test_daily_pattern_of_wrapping_shift() -> None:
    service = ServiceSpec(shifts=(shift("night", "22:00", "06:00", 2),))
    assert daily_pattern(service) == [(0.0, 2), (360.0, 0), (1320.0, 2)]


def test_daily_pattern_of_agents_by_hour() -> None:
    pattern = daily_pattern(ServiceSpec(agents_by_hour=HOURLY))
    assert pattern == [(h * 60.0, a) for h, a in enumerate(HOURLY)]


def test_daily_pattern_needs_a_roster() -> None:
    with pytest.raises(ValueError, match="agents_by_hour or shifts"):
        daily_pattern(ServiceSpec())


@pytest.mark.parametrize("service", [ServiceSpec(agents_by_hour=HOURLY), NIGHT_AND_DAY])
def test_schedule_repeats_every_day(service: ServiceSpec) -> None:
    days = 4
    schedule = build_schedule(service, days)
    one_day = build_schedule(service, 1)
    for minute in range(0, 1440, 7):
        expected = one_day.agents_at(float(minute))
        for d in range(days):
            assert schedule.agents_at(d * DAY + minute) == expected


def test_schedule_merges_equal_neighbouring_steps() -> None:
    schedule = build_schedule(ServiceSpec(agents_by_hour=(5,) * 24), 3)
    assert schedule.times == (0.0,)
    assert schedule.agents == (5,)
    assert schedule.agent_minutes(3 * DAY) == 5 * 3 * DAY


def test_schedule_times_strictly_increase_and_neighbours_differ() -> None:
    schedule = build_schedule(NIGHT_AND_DAY, 3)
    assert schedule.times[0] == 0.0
    assert all(b > a for a, b in zip(schedule.times, schedule.times[1:], strict=False))
    assert all(b != a for a, b in zip(schedule.agents, schedule.agents[1:], strict=False))


@pytest.mark.parametrize("days", [1, 2, 5])
def test_agent_minutes_of_shifts(days: int) -> None:
    # night 8 h x 2, early 8.5 h x 3, late 9 h x 4 per day
    per_day = (8 * 2 + 8.5 * 3 + 9 * 4) * 60
    schedule = build_schedule(NIGHT_AND_DAY, days)
    assert schedule.agent_minutes(days * DAY) == pytest.approx(days * per_day)


@pytest.mark.parametrize("days", [1, 3])
def test_agent_minutes_of_agents_by_hour(days: int) -> None:
    schedule = build_schedule(ServiceSpec(agents_by_hour=HOURLY), days)
    assert schedule.agent_minutes(days * DAY) == pytest.approx(days * sum(HOURLY) * 60)


def test_agent_minutes_part_of_a_day() -> None:
    schedule = build_schedule(NIGHT_AND_DAY, 1)
    assert schedule.agent_minutes(0.0) == 0.0
    assert schedule.agent_minutes(7 * 60.0) == pytest.approx(2 * 360)
    assert schedule.agent_minutes(9 * 60.0) == pytest.approx(2 * 360 + 3 * 60)


@pytest.mark.parametrize(
    ("times", "agents", "pattern"),
    [
        ((), (), "times must start at 0"),
        ((1.0,), (1,), "times must start at 0"),
        ((0.0, 5.0), (1,), "pair one-to-one"),
        ((0.0, 5.0, 5.0), (1, 2, 3), "strictly increasing"),
        ((0.0,), (-1,), "agents must be >= 0"),
    ],
)
def test_staff_schedule_rejects_malformed_steps(
    times: tuple[float, ...], agents: tuple[int, ...], pattern: str
) -> None:
    with pytest.raises(ValueError, match=pattern):
        StaffSchedule(times, agents)


shift_specs = st.lists(
    st.tuples(
        st.integers(0, 1439),  # start minute of day
        st.integers(1, 1439),  # length in minutes (start == end is rejected by the config)
        st.integers(0, 20),  # agents
    ),
    min_size=1,
    max_size=5,
)


def service_of(specs: list[tuple[int, int, int]]) -> ServiceSpec:
    return ServiceSpec(
        shifts=tuple(
            ShiftSpec(name=f"s{i}", start=clock(s), end=clock((s + n) % 1440), agents=a)
            for i, (s, n, a) in enumerate(specs)
        )
    )


@settings(max_examples=50, deadline=None)
@given(shift_specs, st.integers(1, 3), st.data())
def test_agents_at_is_sum_of_covering_shifts(
    specs: list[tuple[int, int, int]], days: int, data: st.DataObject
) -> None:
    schedule = build_schedule(service_of(specs), days)
    minutes = data.draw(st.lists(st.integers(0, days * 1440 - 1), min_size=1, max_size=50))
    for t in [0, days * 1440 - 1, *minutes]:
        clock_minute = t % 1440
        expected = sum(a for s, n, a in specs if (clock_minute - s) % 1440 < n)
        assert schedule.agents_at(float(t)) == expected
        assert schedule.agents_at(t + 0.5) == expected


@settings(max_examples=50, deadline=None)
@given(shift_specs, st.integers(1, 3))
def test_agent_minutes_is_sum_of_shift_lengths(
    specs: list[tuple[int, int, int]], days: int
) -> None:
    schedule = build_schedule(service_of(specs), days)
    expected = days * sum(n * a for _, n, a in specs)
    assert schedule.agent_minutes(days * DAY) == pytest.approx(expected)
