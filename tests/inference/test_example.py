import runpy
import shutil
from pathlib import Path

from sim.inference.data import read_history
from sim.inference.priors import load_fit_config, load_truth

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
