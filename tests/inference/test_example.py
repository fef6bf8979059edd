import runpy
import shutil
from pathlib import Path

from sim.inference.data import read_history
from sim.inference.event_stats import event_targets, match_events, scenario_campaigns
from sim.inference.events import read_events
from sim.inference.priors import load_fit_config, load_truth
from sim.scenario import load_scenario

EXAMPLE = Path(__file__).parents[2] / "examples" / "synthetic_account"


def test_shipped_export_is_what_its_script_makes(tmp_path: Path) -> None:
    for name in ("scenario.toml", "true_parameters.toml", "make_export.py"):
        shutil.copy(EXAMPLE / name, tmp_path / name)
    runpy.run_path(str(tmp_path / "make_export.py"), run_name="__main__")
    assert (tmp_path / "export.csv").read_bytes() == (EXAMPLE / "export.csv").read_bytes()


def test_shipped_export_is_a_valid_year_of_wechat_history() -> None:
    h = read_history(EXAMPLE / "export.csv")
    assert len(h.dates) == 365 and h.start.isoformat() == "2025-01-01"
    assert load_fit_config(EXAMPLE / "priors.toml").particles >= 2


def test_the_true_parameters_serve_a_backtest_s_truth() -> None:
    paths = load_fit_config(EXAMPLE / "priors.toml").paths
    assert load_truth(EXAMPLE / "true_parameters.toml", paths) == (0.008, 0.03, 0.0015)


EVENTS_EXAMPLE = EXAMPLE.parent / "synthetic_events"


def test_shipped_events_example_is_what_its_script_makes(tmp_path: Path) -> None:
    for name in ("scenario.toml", "true_parameters.toml", "make_export.py"):
        shutil.copy(EVENTS_EXAMPLE / name, tmp_path / name)
    runpy.run_path(str(tmp_path / "make_export.py"), run_name="__main__")
    for name in ("export.csv", "events.csv"):
        assert (tmp_path / name).read_bytes() == (EVENTS_EXAMPLE / name).read_bytes(), name


def test_shipped_events_each_match_one_campaign_and_serve_the_fit() -> None:
    sc = load_scenario(EVENTS_EXAMPLE / "scenario.toml")
    events = read_events(EVENTS_EXAMPLE / "events.csv")
    assert len(match_events(sc, events)) == len(scenario_campaigns(sc)) == 6
    targets = event_targets(sc, events, sc.scenario.start)
    assert len(targets) == 6 * 2 + 3  # participants and follows each; shares of the 3 draws
    paths = load_fit_config(EVENTS_EXAMPLE / "priors.toml").paths
    assert load_truth(EVENTS_EXAMPLE / "true_parameters.toml", paths) == (0.008, 0.0015, 0.2)
    assert len(read_history(EVENTS_EXAMPLE / "export.csv").dates) == 181
