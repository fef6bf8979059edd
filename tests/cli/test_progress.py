import io

from sim.cli.progress import Progress


def test_quiet_while_short_then_plain_lines_in_logs() -> None:
    quiet = io.StringIO()
    short = Progress("run", stream=quiet, after_seconds=3600)
    for day in range(1, 4):
        short(day, 3)
    assert quiet.getvalue() == ""

    log = io.StringIO()
    long = Progress("run", stream=log, after_seconds=0, every_seconds=0)
    for day in range(1, 4):
        long(day, 3)
    lines = log.getvalue().splitlines()
    assert [line.split(" (")[0] for line in lines] == [
        "run: day 1/3",
        "run: day 2/3",
        "run: day 3/3",
    ]


def test_units_are_named() -> None:
    log = io.StringIO()
    Progress("calibrate", stream=log, after_seconds=0, unit="run")(2, 4)
    assert log.getvalue().startswith("calibrate: run 2/4")


def test_a_long_campaign_window_reports_progress_before_the_day_ends() -> None:
    from pathlib import Path

    from sim.model import RunSpec, run_one
    from sim.scenario import load_scenario

    heard: list[tuple[int, int, str]] = []

    def record(done: int, total: int, note: str = "") -> None:
        heard.append((done, total, note))

    festival = Path(__file__).parents[2] / "scenarios" / "mifan_festival_2013.toml"
    run_one(RunSpec(load_scenario(festival), 1), record)
    notes = [n for _, _, n in heard if n]
    assert notes and all(n.startswith("campaign window: ") for n in notes)
    assert heard[-1] == (1, 1, "")
    assert heard.index((1, 1, "")) > 0  # window reports came first
