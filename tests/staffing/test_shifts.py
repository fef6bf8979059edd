"""The roster integer program: it covers every interval, and it is optimal on small cases."""

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import ScenarioError
from sim.scenario.schema import ShiftPatternSpec
from sim.staffing.requirements import Grid
from sim.staffing.shifts import ShiftOption, shift_options, solve_roster

DAY_GRID = Grid(60.0, 24)


def _pattern(length: int, brk: int | None, starts: tuple[int, ...] | None) -> ShiftPatternSpec:
    return ShiftPatternSpec(
        name=f"p{length}",
        length_hours=length,
        starts=None if starts is None else tuple(dt.time(h) for h in starts),
        break_after_hours=brk,
    )


@st.composite
def patterns(draw: st.DrawFn) -> tuple[ShiftPatternSpec, ...]:
    out = []
    for _ in range(draw(st.integers(1, 3))):
        length = draw(st.integers(2, 10))
        brk = draw(st.none() | st.integers(1, length - 2)) if length >= 3 else None
        out.append(_pattern(length, brk, None))
    return tuple(out)


@settings(max_examples=40, deadline=None)
@given(patterns(), st.lists(st.integers(0, 8), min_size=24, max_size=24))
def test_roster_covers_every_interval(pats: tuple[ShiftPatternSpec, ...], need: list[int]) -> None:
    roster = solve_roster(need, shift_options(pats, DAY_GRID))
    assert all(c >= n for c, n in zip(roster.coverage, need, strict=True))
    assert roster.agent_hours == sum(o.hours * n for o, n in roster.used)


def test_breaks_take_agents_off_the_phones() -> None:
    (opt, *_) = shift_options([_pattern(9, 4, (8,))], DAY_GRID)
    assert opt.covers == (8, 9, 10, 11, 13, 14, 15, 16)
    assert opt.break_start == 12


def test_night_shift_wraps_to_the_morning() -> None:
    (opt,) = shift_options([_pattern(8, None, (22,))], DAY_GRID)
    assert opt.covers == (22, 23, 0, 1, 2, 3, 4, 5)


def _brute_force(need: list[int], options: list[ShiftOption]) -> float:
    top = max(need)
    best = float("inf")
    for x in itertools.product(range(top + 1), repeat=len(options)):
        cover = [0] * len(need)
        for o, n in zip(options, x, strict=True):
            for i in o.covers:
                cover[i] += n
        if all(c >= r for c, r in zip(cover, need, strict=True)):
            best = min(best, sum(o.hours * n for o, n in zip(options, x, strict=True)))
    return best


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[list[int], list[ShiftOption]]:
    h = draw(st.integers(3, 6))
    need = draw(st.lists(st.integers(0, 3), min_size=h, max_size=h))
    options = []
    for k in range(draw(st.integers(1, 5))):
        start = draw(st.integers(0, h - 1))
        length = draw(st.integers(1, h))
        covers = tuple(sorted({(start + i) % h for i in range(length)}))
        options.append(ShiftOption(f"o{k}", start, covers, float(length)))
    # every interval coverable: a one-interval option per uncovered interval
    covered = {i for o in options for i in o.covers}
    options += [ShiftOption(f"u{i}", i, (i,), 1.5) for i in range(h) if i not in covered]
    return need, options


@settings(max_examples=60, deadline=None)
@given(small_cases())
def test_roster_is_optimal_on_small_cases(case: tuple[list[int], list[ShiftOption]]) -> None:
    need, options = case
    roster = solve_roster(need, options)
    assert roster.agent_hours == pytest.approx(_brute_force(need, options))


def test_off_grid_patterns_are_rejected_with_their_paths() -> None:
    bad = ShiftPatternSpec(
        name="x",
        length_hours=7.5,
        starts=(dt.time(8, 30),),
        break_after_hours=4,
        break_minutes=30,
    )
    with pytest.raises(ScenarioError) as info:
        shift_options([bad], DAY_GRID)
    paths = {p.path for p in info.value.problems}
    assert paths == {
        "staffing.shift_patterns[0].length_hours",
        "staffing.shift_patterns[0].starts[0]",
        "staffing.shift_patterns[0].break_minutes",
    }
    assert shift_options([bad], Grid(30.0, 48))  # fine on a 30-minute grid


def test_an_uncoverable_interval_is_an_error() -> None:
    options = shift_options([_pattern(2, None, (8,))], DAY_GRID)
    with pytest.raises(ScenarioError, match="no allowed shift covers interval 3"):
        solve_roster([0, 0, 0, 1] + [0] * 20, options)
