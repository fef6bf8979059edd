"""Outputs are put in place whole or not at all (sim/results/publish.py and `fansim --out`)."""

import importlib
import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from sim.cli.main import main
from sim.cli.signals import Terminated
from sim.errors import ScenarioError
from sim.results.publish import MANIFEST, StagedFile, StagedFolder

cli = importlib.import_module("sim.cli.main")  # the module (sim.cli.main is also the function)
REPO = Path(__file__).parents[2]
DAY = REPO / "scenarios" / "xiaomi_service_2013.toml"  # one day, no campaign: no surge.csv
FEST = REPO / "scenarios" / "mifan_festival_2013_sized.toml"  # a campaign day: surge.csv


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every entry of `folder` (hidden ones included) with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def leftovers(parent: Path) -> list[str]:
    return [p.name for p in parent.iterdir() if p.name.endswith(".partial")]


@pytest.fixture(scope="module")
def festival(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished festival run (with surge.csv), copied by tests that need previous outputs."""
    out = tmp_path_factory.mktemp("fest") / "out"
    assert main(["run", str(FEST), "-q", "--out", str(out)]) == 0
    return out


def must_not_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("simulated despite a bad --out")


def copy_of(folder: Path, dest: Path) -> Path:
    dest.mkdir()
    for name, data in snapshot(folder).items():
        (dest / name).write_bytes(data)
    return dest


# --- the folder, unit by unit ----------------------------------------------------------------


def test_publish_moves_every_file_in_and_writes_a_manifest(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    with StagedFolder(target) as stage:
        assert stage.path is not None and stage.path.parent == tmp_path / "a"
        assert not target.exists()  # nothing visible before publishing
        paths = stage.publish({"x.csv": "1\n", "y.json": "{}\n"}, {"seed": 3})
    assert paths == [target / "x.csv", target / "y.json"]
    files = snapshot(target)
    assert files.keys() == {"x.csv", "y.json", MANIFEST}
    assert (files["x.csv"], files["y.json"]) == (b"1\n", b"{}\n")
    assert json.loads((target / MANIFEST).read_text()) == {"files": ["x.csv", "y.json"], "seed": 3}
    assert leftovers(tmp_path / "a") == []


def test_failed_run_removes_the_stage_and_the_folders_it_created(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "out"
    with pytest.raises(RuntimeError, match="boom"), StagedFolder(target):
        assert (tmp_path / "new" / "deeper").is_dir()
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_stale_files_go_but_files_fansim_did_not_write_stay(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with StagedFolder(target) as stage:
        stage.publish({"a.csv": "a", "b.csv": "b"}, {})
    (target / "notes.txt").write_text("mine")
    (target / "surge.csv").write_text("from a version without a manifest")
    with StagedFolder(target) as stage:
        stage.publish({"a.csv": "a2"}, {}, known=("surge.csv",))
    assert snapshot(target).keys() == {"a.csv", "notes.txt", MANIFEST}
    assert (target / "a.csv").read_text() == "a2"


def test_a_manifest_cannot_make_publish_delete_outside_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (tmp_path / "precious").write_text("keep")
    (target / ".hidden").write_text("keep")
    (target / MANIFEST).write_text(json.dumps({"files": ["../precious", ".hidden", MANIFEST, 3]}))
    with StagedFolder(target) as stage:
        stage.publish({"a.csv": "a"}, {})
    assert (tmp_path / "precious").read_text() == "keep"
    assert (target / ".hidden").read_text() == "keep"


def test_interrupt_note_says_what_became_of_the_outputs(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt) as info, StagedFolder(tmp_path / "o"):
        raise KeyboardInterrupt
    assert info.value.__notes__ == [f"previous outputs in {tmp_path / 'o'} left as they were"]
    with pytest.raises(KeyboardInterrupt) as info, StagedFolder(tmp_path / "o") as stage:
        stage.publish({"a": "a"}, {})
        raise KeyboardInterrupt
    assert info.value.__notes__ == [f"the new outputs in {tmp_path / 'o'} are complete"]


def test_a_signal_during_the_moves_waits_until_they_are_done(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "a.csv").write_text("old")
    real_replace = os.replace
    moved: list[str] = []

    def replace_then_interrupt(src: Path, dst: Path) -> None:
        real_replace(src, dst)
        moved.append(Path(dst).name)
        if len(moved) == 1:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C after the first of three moves

    # Python's own Ctrl-C handler, whatever this process inherited (`nohup make test &` starts
    # it with SIGINT ignored, and an ignored signal would rightly stay ignored)
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "replace", replace_then_interrupt)
            with pytest.raises(KeyboardInterrupt), StagedFolder(target) as stage:
                stage.publish({"a.csv": "new", "b.csv": "new"}, {})
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)
    assert moved == ["a.csv", "b.csv", MANIFEST]
    assert (target / "a.csv").read_text() == (target / "b.csv").read_text() == "new"


def test_an_ignored_signal_during_the_moves_stays_ignored(tmp_path: Path) -> None:
    target = tmp_path / "out"
    real_replace = os.replace

    def replace_then_interrupt(src: Path, dst: Path) -> None:
        real_replace(src, dst)
        signal.raise_signal(signal.SIGINT)

    inherited = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under nohup ... &
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(os, "replace", replace_then_interrupt)
            target.mkdir()
            with StagedFolder(target) as stage:
                stage.publish({"a.csv": "new"}, {})
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, inherited)
    assert (target / "a.csv").read_text() == "new"


@pytest.mark.parametrize(
    ("make", "target", "rule"),
    [
        (lambda p: (p / "f").write_text("x"), "f", "is a file, not a folder"),
        (lambda p: (p / "f").write_text("x"), "f/sub/out", "is a file, not a folder"),
    ],
)
def test_a_folder_that_cannot_be_made_is_a_clear_error(
    make: object, target: str, rule: str, tmp_path: Path
) -> None:
    make(tmp_path)  # type: ignore[operator]
    with pytest.raises(ScenarioError, match=rule):
        StagedFolder(tmp_path / target, "--out")
    assert leftovers(tmp_path) == []


def test_staged_file_replaces_its_target_in_one_rename(tmp_path: Path) -> None:
    target = tmp_path / "p.csv"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), StagedFile(target):
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    with StagedFile(target) as staged:
        staged.publish("new")
    assert target.read_text() == "new"
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert leftovers(tmp_path) == []
    with pytest.raises(ScenarioError, match="is a folder; give a file name"):
        StagedFile(tmp_path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- the command -----------------------------------------------------------------------------


def test_interrupted_run_leaves_the_previous_outputs_byte_identical(
    festival: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = copy_of(festival, tmp_path / "out")
    before = snapshot(out)
    calls: list[int] = []

    def interrupted_summary(result: object) -> None:
        calls.append(1)
        raise KeyboardInterrupt  # after the simulation, while the outputs are being made

    monkeypatch.setattr(cli, "summarize", interrupted_summary)
    code = main(["run", str(FEST), "-q", "--seed", "5", "--out", str(out)])
    assert calls == [1]
    assert code == 130
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []
    err = capsys.readouterr().err
    assert err == f"fansim: interrupted; previous outputs in {out} left as they were\n"


def test_a_signal_after_the_outputs_are_in_says_they_are_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted_print(*args: object) -> None:
        raise KeyboardInterrupt  # while the summary is printed: the files are all in place

    monkeypatch.setattr(cli, "_print_summary", interrupted_print)
    out = tmp_path / "out"
    assert main(["run", str(FEST), "--seed", "5", "--out", str(out)]) == 130
    assert (out / MANIFEST).is_file() and (out / "summary.json").is_file()
    err = capsys.readouterr().err.splitlines()[-1]
    assert err == f"fansim: interrupted; the new outputs in {out} are complete"


def test_failing_run_leaves_the_previous_outputs(
    festival: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = copy_of(festival, tmp_path / "out")
    before = snapshot(out)

    def no_space(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "surge_rows", no_space)
    assert main(["run", str(FEST), "-q", "--seed", "5", "--out", str(out)]) == 2
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_a_run_with_fewer_files_leaves_no_stale_ones(festival: Path, tmp_path: Path) -> None:
    out = copy_of(festival, tmp_path / "out")
    assert (out / "surge.csv").is_file()
    assert main(["run", str(DAY), "-q", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "daily.csv",
        MANIFEST,
        "scenario.json",
        "summary.json",
        "timeseries.csv",
    ]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["scenario"] == "xiaomi_service_2013"
    assert manifest["files"] == ["daily.csv", "scenario.json", "summary.json", "timeseries.csv"]


def test_outputs_of_a_version_without_manifest_are_replaced_whole(
    festival: Path, tmp_path: Path
) -> None:
    out = copy_of(festival, tmp_path / "out")
    (out / MANIFEST).unlink()
    assert main(["run", str(DAY), "-q", "--out", str(out)]) == 0
    assert not (out / "surge.csv").exists()


@pytest.mark.parametrize("command", ["run", "profile"])
def test_unwritable_out_fails_before_simulating(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "run_one", must_not_run)
    (tmp_path / "a_file").write_text("x")
    bad = tmp_path / "a_file" / "out"
    assert main([command, str(FEST), "--out", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"--out: {tmp_path / 'a_file'} is a file, not a folder (got '{bad}')" in err
    assert "Traceback" not in err


def read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Refuse new entries in `folder` as a read-only folder would (chmod does not stop root)."""
    mkdir, os_open = Path.mkdir, os.open

    def refusing_mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
        if self.parent == folder:
            raise PermissionError(13, "Permission denied")
        mkdir(self, *args, **kwargs)

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> int:
        if Path(path).parent == folder:
            raise PermissionError(13, "Permission denied")
        return os_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refusing_mkdir)
    monkeypatch.setattr(os, "open", refusing_open)


@pytest.mark.parametrize(("command", "name"), [("run", "out"), ("profile", "p.csv")])
def test_read_only_place_fails_before_simulating(
    command: str,
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(cli, "run_one", must_not_run)
    read_only(monkeypatch, tmp_path)
    assert main([command, str(FEST), "--out", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert f"--out: cannot write in {tmp_path}: Permission denied" in err
    assert list(tmp_path.iterdir()) == []


def test_existing_out_below_a_read_only_parent_stages_inside_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "surge.csv").write_text("old")
    with pytest.MonkeyPatch.context() as mp:
        read_only(mp, tmp_path)
        with StagedFolder(out) as stage:
            assert stage.path is not None and stage.path.parent == out
            stage.publish({"a.csv": "a"}, {}, known=["surge.csv"])
    assert sorted(p.name for p in out.iterdir()) == ["a.csv", MANIFEST]


@pytest.mark.parametrize("command", ["run", "profile", "calibrate", "docs"])
@pytest.mark.parametrize("empty", ["", "  "])
def test_empty_out_is_an_error(
    command: str, empty: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [command, str(FEST)] if command in ("run", "profile") else [command]
    assert main([*args, "--out", empty]) == 2
    assert "--out: must name a file or folder" in capsys.readouterr().err


def test_out_that_is_a_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("mine")
    assert main(["run", str(DAY), "-q", "--out", str(tmp_path / "f")]) == 2
    assert "--out: is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "f").read_text() == "mine"


def test_profile_out_that_is_a_folder_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profile", str(FEST), "--out", str(tmp_path)]) == 2
    assert "--out: is a folder; give a file name" in capsys.readouterr().err


def test_interrupted_profile_leaves_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "profile.csv"
    target.write_text("previous")

    def terminated(result: object) -> None:
        raise Terminated(signal.SIGTERM)

    monkeypatch.setattr(cli, "profile_rows", terminated)
    assert main(["profile", str(FEST), "--out", str(target)]) == 143
    assert target.read_text() == "previous"
    assert leftovers(tmp_path) == []
    err = capsys.readouterr().err  # on a slow machine progress lines come first
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last == f"fansim: terminated (SIGTERM); previous outputs in {target} left as they were"
