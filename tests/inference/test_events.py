import datetime as dt
from pathlib import Path

import pytest

from sim.errors import OptionError
from sim.inference.events import EVENT_COLUMNS, dated_problems, read_events, read_facts


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_events_read_with_blanks_as_unknown(tmp_path: Path) -> None:
    header = ",".join(EVENT_COLUMNS)
    row = "weibo,repost_lottery,2025-03-01,2025-03-03,30,12,50,2500.5,,40000,9000"
    events = read_events(_csv(tmp_path / "e.csv", f"{header}\n{row}\n"))
    (e,) = events
    assert e.platform == "weibo" and e.end == dt.date(2025, 3, 3)
    assert e.counts["participants"] is None and e.counts["shares"] == 40000
    assert e.prize_value == 2500.5


def test_event_errors_name_line_column_and_rule(tmp_path: Path) -> None:
    header = ",".join(EVENT_COLUMNS)
    row = "weibo,quiz,2025-03-05,2025-03-01,,-2,,,,,"
    with pytest.raises(OptionError) as info:
        read_events(_csv(tmp_path / "e.csv", f"{header}\n{row}\n"))
    msg = str(info.value)
    assert "line 2, column end: must not be before start (2025-03-05)" in msg
    assert "line 2, column posts: must be a whole number >= 0" in msg


def test_events_missing_column(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match="missing column 'end'"):
        read_events(_csv(tmp_path / "e.csv", "platform,type,start\nweibo,quiz,2025-01-01\n"))


def test_facts_absolute_and_relative_tolerance(tmp_path: Path) -> None:
    text = "date,metric,value,tolerance\n2025-02-01,cumulative_follows,50000,10%\n"
    text += "2025-04-09,new_follows,800,100\n"
    facts = read_facts(_csv(tmp_path / "f.csv", text))
    assert [f.tolerance for f in facts] == [5000.0, 100.0]


def test_fact_errors(tmp_path: Path) -> None:
    text = "date,metric,value,tolerance\n2025-02-30,fans,x,0\n"
    with pytest.raises(OptionError) as info:
        read_facts(_csv(tmp_path / "f.csv", text))
    msg = str(info.value)
    assert "line 2, column date" in msg and "line 2, column metric" in msg
    assert "line 2, column value: must be a number >= 0 (got 'x')" in msg


def test_dated_problems_outside_scenario() -> None:
    rows = [(2, "start", dt.date(2024, 12, 31)), (3, "start", dt.date(2025, 1, 5))]
    problems = dated_problems(rows, dt.date(2025, 1, 1), dt.date(2025, 1, 31))
    assert [p.path for p in problems] == ["line 2, column start"]


def test_message_and_share_facts(tmp_path: Path) -> None:
    text = "date,metric,value,tolerance\n2025-02-01,messages,3000,20%\n"
    text += "2025-02-01,share_search,0.8,0.05\n2025-02-01,share_search,1.5,0.05\n"
    text += "2025-02-01,share_,0.5,0.05\n"
    with pytest.raises(OptionError) as info:
        read_facts(_csv(tmp_path / "f.csv", text))
    msg = str(info.value)
    assert "line 4, column value: a share must be a fraction from 0 to 1 (got '1.5')" in msg
    assert "line 5, column metric" in msg and "line 2" not in msg and "line 3" not in msg
    facts = read_facts(_csv(tmp_path / "g.csv", "\n".join(text.splitlines()[:3]) + "\n"))
    assert [(f.metric, f.tolerance) for f in facts] == [("messages", 600.0), ("share_search", 0.05)]
