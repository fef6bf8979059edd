from pathlib import Path

import pytest

from sim.inference.outputs import published


def test_an_interrupted_write_leaves_the_previous_outputs(tmp_path: Path) -> None:
    target = tmp_path / "fit"
    with published(target) as stage:
        (stage / "posterior.parquet").write_text("old")
    with pytest.raises(KeyboardInterrupt), published(target) as stage:
        (stage / "posterior.parquet").write_text("new, half written")
        raise KeyboardInterrupt
    assert (target / "posterior.parquet").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["fit"]  # no staging folder left behind


def test_a_finished_write_replaces_the_files(tmp_path: Path) -> None:
    target = tmp_path / "fit"
    for text in ("first", "second"):
        with published(target) as stage:
            (stage / "diagnostics.json").write_text(text)
    assert (target / "diagnostics.json").read_text() == "second"
