"""The 米粉节 surge: a back end sized for ordinary days falls over; a sized one holds."""

import csv
import io
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.model.engine import ModelResult, RunSpec, run_one
from sim.results.server_tables import profile_rows, surge_rows
from sim.results.summary import summarize
from sim.scenario.load import load_scenario

SCENARIOS = Path(__file__).parents[2] / "scenarios"
BASE = SCENARIOS / "mifan_festival_2013.toml"
SIZED = SCENARIOS / "mifan_festival_2013_sized.toml"


@pytest.fixture(scope="module")
def base() -> ModelResult:
    return run_one(RunSpec(load_scenario(BASE), 1))


@pytest.fixture(scope="module")
def sized() -> ModelResult:
    return run_one(RunSpec(load_scenario(SIZED), 1))


def test_2013_back_end_is_overwhelmed(base: ModelResult) -> None:
    s = summarize(base)
    assert s["participants"] > 200_000  # facts section 2 [A]
    assert s["server_messages"] > 500_000  # hundreds of thousands of messages [A]
    assert s["server_failed_share"] > 0.2
    assert s["server_retry_amplification"] > 1.3
    assert s["server_duplicates"] == s["server_requests"] - s["server_messages"]
    assert s["server_p99_seconds"] > 5.0  # requests outlive WeChat's deadline


def test_sized_back_end_fails_fewer_than_one_in_a_thousand(sized: ModelResult) -> None:
    s = summarize(sized)
    assert s["server_failed_share"] < 0.001
    assert s["server_retry_amplification"] < 1.01


def test_failures_fall_as_instances_grow_on_the_same_seed() -> None:
    failed = []
    for n in (2, 8, 16):
        sc = load_scenario(BASE, [f"server.instances={n}"])
        failed.append(summarize(run_one(RunSpec(sc, 1)))["server_failed_messages"])
    assert failed[0] >= failed[1] >= failed[2]


def test_messages_conserved_with_server_failures(base: ModelResult) -> None:
    s = summarize(base)
    for name, c in s["by_class"].items():
        assert c["received"] == (
            c["auto_replied"] + c["answered"] + c["abandoned"] + c["queued"] + c["failed_at_server"]
        ), name
    assert s["messages_failed_at_server"] == s["server_failed_messages"]


def test_surge_rows_add_up(base: ModelResult) -> None:
    s = summarize(base)
    rows = surge_rows(base)
    window = base.windows[0].window
    assert len(rows) == round((window.end - window.start) * 60)
    assert sum(r["messages"] for r in rows) == s["server_messages"]
    assert sum(r["requests"] for r in rows) == s["server_requests"]
    assert sum(r["failed_messages"] for r in rows) == s["server_failed_messages"]
    assert rows[0]["second"] < "2013-04-09T14:00:00" < rows[-1]["second"]


def test_profile_is_the_expected_offered_load(base: ModelResult) -> None:
    rows = profile_rows(base)
    total = sum(r["rate_per_second"] for r in rows)
    window = base.windows[0]
    bursts = sum(b.total for _, b in window.window.bursts)
    assert total == pytest.approx(bursts + window.background_per_second.sum(), rel=1e-3)
    peak = max(rows, key=lambda r: r["rate_per_second"])
    assert peak["second"].startswith("2013-04-09T14:00")
    for r in rows:
        assert r["rate_per_second"] == pytest.approx(
            sum(v for k, v in r.items() if k.startswith("rate_") and k != "rate_per_second")
        )


def test_profile_command_writes_documented_columns(tmp_path: Path) -> None:
    out = tmp_path / "profile.csv"
    assert main(["profile", str(BASE), "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {
        "scenario",
        "seed",
        "replication",
        "params_hash",
        "second",
        "t_seconds",
        "rate_per_second",
        "rate_quiz",
    } <= set(rows[0])
    again = tmp_path / "again.csv"
    assert main(["profile", str(BASE), "--out", str(again)]) == 0
    assert out.read_bytes() == again.read_bytes()


def test_profile_without_campaigns_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code = main(
        ["profile", str(SCENARIOS / "xiaomi_service_2013.toml"), "--out", str(tmp_path / "p.csv")]
    )
    assert code == 2
    assert "no campaign" in capsys.readouterr().err


def test_run_writes_surge_csv(tmp_path: Path) -> None:
    assert main(["run", str(SIZED), "-q", "--out", str(tmp_path)]) == 0
    header = (tmp_path / "surge.csv").read_text().split("\n", 1)[0]
    assert header.startswith("scenario,seed,replication,params_hash,second")


def test_campaign_mistakes_are_reported_with_paths() -> None:
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError) as info:
        load_scenario(
            BASE,
            [
                "campaigns.live_quiz.message_class=quizz",
                "campaigns.live_quiz.end=2013-04-09T13:00:00",
                "campaigns.live_quiz.burst.rise_seconds=100",
            ],
        )
    text = str(info.value)
    assert (
        "campaigns.live_quiz.message_class: must be a class in messages.classes; "
        "did you mean `quiz`? (got 'quizz')" in text
    )
    assert "campaigns.live_quiz.end: must be after campaigns.live_quiz.start" in text
    assert "campaigns.live_quiz.burst.rise_seconds: must be less than decay_seconds" in text
    with pytest.raises(ScenarioError, match=r"campaigns.live_quiz.start: must fall within"):
        load_scenario(
            BASE,
            [
                "campaigns.live_quiz.start=2013-05-01T14:00:00",
                "campaigns.live_quiz.end=2013-05-01T15:00:00",
            ],
        )


def test_window_covers_the_campaign_with_margins_on_the_interval_grid() -> None:
    from sim.model.surge import window_bounds

    sc = load_scenario(BASE)
    lo, hi = window_bounds(sc.scenario.start, sc, dict(sc.campaigns), 0, 15.0)
    assert (lo, hi) == (13 * 60 + 45, 16 * 60 + 30)  # 14:00 - 5 min -> 13:45; 16:00 + 30 min
    late = load_scenario(
        BASE,
        [
            "campaigns.live_quiz.start=2013-04-09T23:00:00",
            "campaigns.live_quiz.end=2013-04-09T23:50:00",
        ],
    )
    assert window_bounds(late.scenario.start, late, dict(late.campaigns), 0, 15.0)[1] == 1440.0


def test_a_burst_cut_off_by_midnight_is_an_error_not_lost_messages() -> None:
    from sim.errors import ScenarioError

    late = load_scenario(
        BASE,
        [
            "campaigns.live_quiz.start=2013-04-09T23:55:00",
            "campaigns.live_quiz.end=2013-04-09T23:58:00",
            "campaigns.live_quiz.burst.decay_seconds=600",
        ],
    )
    with pytest.raises(ScenarioError, match=r"campaigns\.live_quiz\.end: the burst's tail"):
        run_one(RunSpec(late, 1))


def test_async_replies_trade_failures_for_a_later_answer() -> None:
    s = summarize(run_one(RunSpec(load_scenario(SCENARIOS / "mifan_festival_2013_async.toml"), 1)))
    assert s["server_failed_share"] < 0.001
    assert s["server_answer_p99_seconds"] > 60  # the 2013 workers drain the spike for minutes


def test_profile_counts_new_fans_first_messages() -> None:
    """The offered load is what the simulation samples, new fans' first messages included."""
    from tests.factories import growth_scenario

    channels = {
        "store": {
            "pool": 1e6,
            "conversion": 0.2,
            "first_message_share": 1.0,
            "first_message_class": "keyword",
            "exposure": {"kind": "orders", "orders_per_day": 20_000, "prompt_share": 1.0},
        }
    }
    campaigns = {
        "quiz": {
            "type": "live_quiz",
            "start": "2013-01-02T01:00:00",
            "end": "2013-01-02T22:00:00",
            "participation": 0.01,
            "message_class": "keyword",
        }
    }
    sc = growth_scenario(channels=channels, campaigns=campaigns, days=2, initial=1000)
    result = run_one(RunSpec(sc, 5))
    offered = sum(r["rate_per_second"] for r in profile_rows(result))
    sampled = result.windows[0].arrival_s.size
    assert sampled > 1000  # the day's first messages dominate this window
    assert abs(sampled - offered) < 5 * offered**0.5
    assert sum(r["expected_messages"] for r in surge_rows(result)) == pytest.approx(offered)


def test_a_slow_burst_is_simulated_to_its_tail_not_cut_at_the_margin() -> None:
    """A decay allowed by validation (length + margin) must not lose its tail at the window end.

    A 30-minute quiz decaying over an hour with a 30-minute margin once lost ~44% of its
    messages silently: the window ended at end + margin while the burst was still running.
    """
    from sim.model.surge import LOST_TAIL_SHARE

    slow = load_scenario(
        BASE,
        [
            "fans.initial=20000",
            "server.workers_per_instance=64",
            "campaigns.live_quiz.new_fans_per_participant=0",
            "campaigns.live_quiz.end=2013-04-09T14:30:00",
            "campaigns.live_quiz.burst.decay_seconds=3600",
        ],
    )
    r = run_one(RunSpec(slow, 1))
    (w,) = r.windows
    ((_, schedule),) = w.window.bursts
    quiz = r.class_names.index("quiz")
    covered = schedule.expected(w.window.start * 60.0, w.window.end * 60.0)
    assert covered >= schedule.total * (1 - LOST_TAIL_SHARE)
    sent = w.window.participants * 3.0  # messages_per_participant
    assert abs(int(r.received[:, quiz].sum()) - sent) < 5 * sent**0.5  # Poisson, 5 sd


def test_without_a_back_end_no_message_fails_at_the_server() -> None:
    """`service.back_end = false` means no developer server: nothing can fail at one.

    Before the fix, messages of a window on a day without a back end went through `[server]`
    anyway and ~20% of them failed at a server that was not live.
    """
    from sim.model.replay import sample_traffic, serve

    off = load_scenario(
        BASE, ["fans.initial=20000", "server.workers_per_instance=2", "service.back_end=false"]
    )
    r = run_one(records=True, spec=RunSpec(off, 3))
    (w,) = r.windows
    assert w.server is None
    assert r.server_failed.sum() == 0
    assert r.auto_replied.sum() == 0
    assert r.to_humans.sum() == r.received.sum() == r.queue.arrival.size
    resized = serve(sample_traffic(RunSpec(off, 3)), server=off.server, keep_server=False)
    assert resized.server_failed.sum() == 0
