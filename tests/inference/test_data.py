import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from sim.errors import OptionError
from sim.inference.data import ENGLISH, WECHAT, parse_date, read_history

GOOD = [
    ("2025-01-01", 10, 2, 8, 108),
    ("2025-01-02", 5, 1, 4, 112),
    ("2025-01-03", 0, 3, -3, 109),
]


def _write(
    path: Path, header: tuple[str, ...], rows: list[tuple[object, ...]], bom: bool = False
) -> Path:
    text = ",".join(header) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def test_english_layout_reads_with_optional_columns(tmp_path: Path) -> None:
    header = (*ENGLISH, "follows_search", "messages")
    rows = [(*r, r[1], 3 * i) for i, r in enumerate(GOOD)]
    h = read_history(_write(tmp_path / "h.csv", header, rows))
    assert h.dates == (dt.date(2025, 1, 1), dt.date(2025, 1, 2), dt.date(2025, 1, 3))
    assert h.net.tolist() == [8, 4, -3]
    assert h.extra["follows_search"].tolist() == [10, 5, 0]
    assert h.extra["messages"].tolist() == [0, 3, 6]
    assert h.until(dt.date(2025, 1, 2)).cumulative.tolist() == [108, 112]


def test_wechat_export_with_bom_and_slashed_dates(tmp_path: Path) -> None:
    rows = [(d.replace("-", "/"), *rest) for d, *rest in GOOD]
    h = read_history(_write(tmp_path / "export.csv", WECHAT, rows, bom=True))
    assert np.array_equal(h.new_follows, [10, 5, 0])
    assert h.end == dt.date(2025, 1, 3)


def test_wechat_export_in_gb18030(tmp_path: Path) -> None:
    text = ",".join(WECHAT) + "\n" + "".join(",".join(map(str, r)) + "\n" for r in GOOD)
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    assert read_history(path).cumulative.tolist() == [108, 112, 109]


@pytest.mark.parametrize("text", ["2025-01-31", "2025/01/31", "20250131", "2025年01月31日"])
def test_dates_in_export_formats(text: str) -> None:
    assert parse_date(text) == dt.date(2025, 1, 31)


def _error(path: Path) -> str:
    with pytest.raises(OptionError) as info:
        read_history(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_missing_column_is_named(tmp_path: Path) -> None:
    msg = _error(_write(tmp_path / "h.csv", ENGLISH[:-1], [r[:-1] for r in GOOD]))
    assert "missing column 'cumulative_follows'" in msg


def test_gap_in_dates_names_line_and_rule(tmp_path: Path) -> None:
    rows = [GOOD[0], ("2025-01-03", *GOOD[1][1:])]
    msg = _error(_write(tmp_path / "h.csv", ENGLISH, rows))
    assert "line 3, column date: days must be consecutive" in msg
    assert "gap of 1 day" in msg


def test_negative_count_names_line_column_value(tmp_path: Path) -> None:
    rows = [GOOD[0], ("2025-01-02", -5, 1, -6, 102)]
    msg = _error(_write(tmp_path / "h.csv", ENGLISH, rows))
    assert "line 3, column new_follows: must be a whole number >= 0 (got '-5')" in msg


def test_net_that_does_not_add_up(tmp_path: Path) -> None:
    rows = [GOOD[0], ("2025-01-02", 5, 1, 5, 113)]
    msg = _error(_write(tmp_path / "h.csv", ENGLISH, rows))
    assert "line 3, column net_follows: must equal new_follows - unfollows = 4 (got 5)" in msg


def test_cumulative_that_does_not_add_up(tmp_path: Path) -> None:
    rows = [GOOD[0], ("2025-01-02", 5, 1, 4, 120)]
    msg = _error(_write(tmp_path / "h.csv", WECHAT, rows))
    assert "line 3, column 累积关注人数: must equal the previous day's 累积关注人数" in msg
    assert "= 112 (got 120)" in msg


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    rows = [("x", 1, 0, 1, 1), ("2025-01-02", "a", 0, 0, 1)]
    msg = _error(_write(tmp_path / "h.csv", ENGLISH, rows))
    assert "2 problems" in msg and "column date" in msg and "column new_follows" in msg


def test_dates_outside_the_scenario(tmp_path: Path) -> None:
    h = read_history(_write(tmp_path / "h.csv", ENGLISH, GOOD))
    problems = h.problems_against(dt.date(2025, 1, 2), dt.date(2025, 1, 2))
    assert [p.path for p in problems] == ["line 2, column date", "line 4, column date"]
    assert "scenario's start (2025-01-02)" in str(problems[0])


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="cannot read"):
        read_history(tmp_path / "none.csv")
