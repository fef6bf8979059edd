"""Work estimates: exact where the scenario fixes the counts, upper where fans grow; the budget."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sim.cli.main import main
from sim.errors import ScenarioError
from sim.model.budget import (
    BASE_BYTES,
    DEFAULT_BUDGET_BYTES,
    QUEUE_DAY_BYTES,
    RECORD_BYTES,
    check_budget,
    estimate_work,
    format_bytes,
    parse_bytes,
)
from sim.scenario.load import load_scenario, scenario_from_dict
from tests.factories import inbound_raw

REPO = Path(__file__).parents[2]
NO_BACK_END = REPO / "scenarios" / "xiaomi_2013q1_no_backend.toml"
SERVICE = REPO / "scenarios" / "xiaomi_service_2013.toml"
FESTIVAL = REPO / "scenarios" / "mifan_festival_2013.toml"
Q1 = REPO / "scenarios" / "xiaomi_2013q1.toml"


def flat(days: int = 1, fans: int = 1000, rate: float = 2.0, **extra: Any) -> dict[str, Any]:
    end = dt.date(2013, 4, 10) + dt.timedelta(days=days - 1)
    return {
        "scenario": {"name": "flat", "start": dt.date(2013, 4, 10), "end": end},
        "fans": {"initial": fans, "active_share": 0.5},
        "messages": {
            "per_active_fan_per_day": rate,
            "auto_reply_coverage": 0.9,
            "classes": {
                "kw": {
                    "share": 0.8,
                    "routing": "auto",
                    "handle_time_minutes": {"dist": "fixed", "value": 1},
                },
                "hu": {
                    "share": 0.2,
                    "routing": "human",
                    "handle_time_minutes": {"dist": "fixed", "value": 1},
                },
            },
        },
        "service": {"agents_by_hour": [1] * 24},
        **extra,
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8GiB", 8 * 2**30),
        ("512MiB", 512 * 2**20),
        ("4GB", 4 * 10**9),
        ("1.5G", 1_500_000_000),
        ("123456", 123456),
        ("2 gib", 2 * 2**30),
        ("100kB", 100_000),
    ],
)
def test_parse_bytes(text: str, value: int) -> None:
    assert parse_bytes(text) == value


@pytest.mark.parametrize("text", ["", "lots", "-1GiB", "0", "4XB", "2PiB", "1e9"])
def test_parse_bytes_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        parse_bytes(text)


def test_format_bytes() -> None:
    assert format_bytes(3.5 * 2**30) == "3.5 GiB"
    assert format_bytes(512) == "512 B"


def test_fixed_fans_give_exact_counts() -> None:
    est = estimate_work(scenario_from_dict(flat(days=3)))
    per_day = 1000 * 0.5 * 2.0
    assert est.days == 3
    assert est.intervals == 3 * 96
    assert est.fans_max == 1000
    assert est.messages_per_day_max == pytest.approx(per_day)
    # routed: the human class, and the 10% of keyword messages the rules do not cover
    assert est.routed_messages == pytest.approx(3 * per_day * (0.2 + 0.8 * 0.1))


def test_without_back_end_every_message_is_routed() -> None:
    raw = flat()
    raw["service"]["back_end"] = False
    assert estimate_work(scenario_from_dict(raw)).routed_messages == pytest.approx(1000.0)


def test_queue_bytes_grow_with_the_busiest_day_not_the_run() -> None:
    """The run's figures are tallied as it goes: a longer run at the same rate costs no more."""
    week = estimate_work(scenario_from_dict(flat(fans=10_000, days=7)))
    year = estimate_work(scenario_from_dict(flat(fans=10_000, days=365)))
    assert year.routed_messages > 50 * week.routed_messages
    assert dict(year.parts)["agents' queue"] == dict(week.parts)["agents' queue"]
    twice = estimate_work(scenario_from_dict(flat(fans=20_000, days=7)))
    grown = dict(twice.parts)["agents' queue"] - dict(week.parts)["agents' queue"]
    more_a_day = (twice.routed_messages - week.routed_messages) / 7
    assert grown == pytest.approx(more_a_day * QUEUE_DAY_BYTES)
    assert week.bytes > BASE_BYTES


def test_records_cost_every_routed_message() -> None:
    sc = scenario_from_dict(flat(fans=10_000, days=7))
    plain, kept = estimate_work(sc), estimate_work(sc, records=True)
    assert kept.bytes - plain.bytes == pytest.approx(kept.routed_messages * RECORD_BYTES)


def test_with_records_a_long_horizon_is_the_field_to_change() -> None:
    est = estimate_work(load_scenario(NO_BACK_END), records=True)
    assert est.parts[0][0] == "per-message records"
    assert est.lever == ("scenario.end", "2013-04-09")


def test_the_50m_year_fits_the_default_budget() -> None:
    est = estimate_work(load_scenario(REPO / "scenarios" / "scale_50m_2014.toml"))
    check_budget(est, DEFAULT_BUDGET_BYTES)  # raises when refused
    assert est.fans_max >= 50_000_000


def test_a_multi_day_campaign_has_one_window_a_day() -> None:
    est = estimate_work(load_scenario(Q1))  # the 3-day 非常6+1 quiz, 20:00-21:00 each day
    assert [w.day for w in est.windows] == [dt.date(2013, 3, d) for d in (5, 6, 7)]
    assert all(w.campaigns == ("six_plus_one",) for w in est.windows)
    assert est.windows[0].messages > est.windows[2].messages  # launch and decay


def test_festival_window_holds_everyday_stream_and_burst() -> None:
    sc = load_scenario(FESTIVAL)
    est = estimate_work(sc)
    (window,) = est.windows
    quiz = sc.campaigns["live_quiz"]
    active = sc.fans.initial * sc.fans.active_share
    people = active * quiz.participation * (1 + quiz.new_fans_per_participant)
    burst = people * quiz.messages_per_participant
    assert window.day == dt.date(2013, 4, 9)
    assert window.campaigns == ("live_quiz",)
    # margins of 5 minutes before and 30 after, widened to the 15-minute grid: 13:45 to 16:30
    assert window.seconds == (16 * 60 + 30 - (13 * 60 + 45)) * 60
    assert burst < window.messages < burst + 30_000  # + the everyday stream of those hours
    assert window.spikes == 12  # the opening spike and 11 rounds in two hours
    assert est.server and est.server_messages == window.messages


def test_growth_is_bounded_above() -> None:
    est = estimate_work(load_scenario(Q1))
    assert 800_000 < est.fans_max < 2_000_000  # ~800k reached; full-quality bound above it


def test_under_budget_passes() -> None:
    check_budget(estimate_work(load_scenario(SERVICE)), 4 * 2**30)


@pytest.mark.parametrize(
    ("path", "overrides", "lever", "value"),
    [
        # every message routed: the busiest day's queue is the largest part
        (NO_BACK_END, [], "messages.per_active_fan_per_day", 0.062),
        (Q1, [], "campaigns.six_plus_one.messages_per_participant", 2.0),
        (SERVICE, ["fans.initial=2000000000"], "fans.initial", 2_000_000_000),
        (FESTIVAL, [], "campaigns.live_quiz.messages_per_participant", 3.0),
        (
            SERVICE,
            [
                "model.interval_minutes=1",
                "scenario.end=2023-01-01",
                "messages.per_active_fan_per_day=0",
            ],
            "model.interval_minutes",
            1,
        ),
    ],
)
def test_over_budget_names_the_field_the_estimate_and_the_limit(
    path: Path, overrides: list[str], lever: str, value: object
) -> None:
    est = estimate_work(load_scenario(path, overrides))
    limit = int(est.bytes) - 1
    with pytest.raises(ScenarioError) as info:
        check_budget(est, limit, "f.toml")
    (problem,) = info.value.problems
    assert (problem.path, problem.value) == (lever, value)
    assert f"needs an estimated {format_bytes(est.bytes)}" in problem.message
    assert f"over the memory budget of {format_bytes(limit)}" in problem.message
    assert "--memory-budget" in problem.message


def test_cli_refuses_before_simulating(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["run", str(FESTIVAL), "--out", str(out), "--memory-budget", "200MiB"]) == 2
    err = capsys.readouterr().err
    assert "campaigns.live_quiz.messages_per_participant: the run needs an estimated" in err
    assert "over the memory budget of 200.0 MiB" in err
    assert not out.exists()
    assert (
        main(["profile", str(FESTIVAL), "--out", str(out / "p.csv"), "--memory-budget", "200MiB"])
        == 2
    )
    assert main(["run", str(FESTIVAL), "--out", str(out), "--memory-budget", "lots"]) == 2
    assert "must be a size like 4GiB" in capsys.readouterr().err


def peak_rss_bytes(scenario: Path, out: Path) -> int:
    """Peak RSS (VmHWM) of `fansim run` in a child process.

    Not `ru_maxrss`: on Linux a forked child starts with its parent's high-water mark, and the
    test process may be large; VmHWM belongs to the child's own address space after exec.
    """
    argv = ["run", str(scenario), "--out", str(out), "-q", "--memory-budget", "20GiB"]
    code = (
        "import sys; from pathlib import Path; from sim.cli.main import main; "
        f"rc = main({argv!r}); "
        "print(Path('/proc/self/status').read_text()); sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        cwd=REPO,
    )
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("VmHWM:")]
    return int(line.split()[1]) * 1024


def test_estimate_is_above_the_measured_peak_of_a_small_run(tmp_path: Path) -> None:
    est = estimate_work(load_scenario(SERVICE))
    assert peak_rss_bytes(SERVICE, tmp_path) <= est.bytes


@pytest.mark.benchmark
@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.toml")), ids=lambda p: p.stem)
def test_estimate_is_above_the_measured_peak(path: Path, tmp_path: Path) -> None:
    est = estimate_work(load_scenario(path))
    peak = peak_rss_bytes(path, tmp_path)
    print(
        json.dumps(
            {
                "scenario": path.stem,
                "estimate_mib": round(est.bytes / 2**20),
                "peak_mib": round(peak / 2**20),
            }
        )
    )
    assert peak <= est.bytes <= 2.5 * peak


def test_inbound_channels_count_in_the_routed_estimate() -> None:
    raw = inbound_raw(days=2)
    with_weibo = estimate_work(scenario_from_dict(raw)).routed_messages
    del raw["inbound"]
    without = estimate_work(scenario_from_dict(raw)).routed_messages
    # Weibo: 400 a day, all private messages (60%) and half the mentions (40%) routed
    assert with_weibo - without == pytest.approx(2 * 400 * (0.6 + 0.4 * 0.5))
