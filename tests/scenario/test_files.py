"""Scenario files that cannot be read: one clean ScenarioError naming the file (and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli.main import main
from sim.errors import ScenarioError
from sim.scenario.files import MAX_DEPTH, MAX_FILE_BYTES, read_raw
from sim.scenario.load import load_scenario, parse_override

REPO = Path(__file__).parents[2]
SERVICE = REPO / "scenarios" / "xiaomi_service_2013.toml"


def child(tmp_path: Path, extends: str, line: int = 3) -> Path:
    path = tmp_path / "child.toml"
    head = "# a child scenario\n" * (line - 1)
    path.write_text(f"{head}extends = {extends}\n[fans]\ninitial = 5\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 5000 + "]" * 5000,
        "x = " + "{a = " * 3000 + "1" + "}" * 3000,
        "x" + ".a" * 5000 + " = 1",
        "x" + ".a" * (MAX_DEPTH + 1) + " = 1",
    ],
    ids=["arrays", "inline-tables", "dotted-keys", "just-too-deep"],
)
def test_deep_nesting_is_a_clean_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(text + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=f"nest more than {MAX_DEPTH} levels deep") as info:
        load_scenario(path)
    assert info.value.source == str(path)


def test_deep_override_is_a_clean_error() -> None:
    with pytest.raises(ScenarioError, match=r"--set scenario\.name: value nests more than 32"):
        parse_override("scenario.name=" + "[" * 5000 + "]" * 5000)


def test_a_deep_override_path_is_a_clean_error() -> None:
    with pytest.raises(ScenarioError, match=r"scenario\.name\.a: cannot be set"):
        load_scenario(SERVICE, ["scenario.name" + ".a" * 5000 + "=1"])


def test_an_integer_of_thousands_of_digits_is_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "digits.toml"
    path.write_text("x = " + "1" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML: Exceeds the limit"):
        load_scenario(path)


def test_a_file_too_large_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError, match="file is larger than 16 MiB"):
        load_scenario(path)


def test_a_directory_as_scenario(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory, not a scenario file") as info:
        load_scenario(tmp_path)
    assert info.value.source == str(tmp_path)


def test_a_directory_as_extends_target(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    path = child(tmp_path, '"base"')
    with pytest.raises(ScenarioError) as info:
        read_raw(path)
    assert info.value.source == f"{path}:3"
    (problem,) = info.value.problems
    assert problem.path == "extends"
    assert problem.message == f"is a directory, not a scenario file: {tmp_path / 'base'}"
    assert problem.value == "base"


@pytest.mark.parametrize("line", [1, 3, 7])
def test_a_missing_base_names_the_file_and_line(tmp_path: Path, line: int) -> None:
    path = child(tmp_path, '"base.toml"', line)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    base = (tmp_path / "base.toml").resolve()
    assert str(info.value).splitlines() == [
        f"{path}:{line}: 1 problem",
        f"  - extends: file not found: {base} (got 'base.toml')",
    ]


@pytest.mark.parametrize("value", ["7", '["a.toml"]', '""'])
def test_extends_must_be_a_file_name(tmp_path: Path, value: str) -> None:
    path = child(tmp_path, value)
    with pytest.raises(ScenarioError, match=r"extends: must be a file name \(got") as info:
        load_scenario(path)
    assert info.value.source == f"{path}:3"


def test_a_long_extends_chain_is_refused(tmp_path: Path) -> None:
    for i in range(40):
        (tmp_path / f"f{i}.toml").write_text(f'extends = "f{i + 1}.toml"\n', encoding="utf-8")
    (tmp_path / "f40.toml").write_text("", encoding="utf-8")
    with pytest.raises(ScenarioError, match="more than 32 files extend each other"):
        load_scenario(tmp_path / "f0.toml")


def test_cli_reports_a_directory_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert main(["run", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("is a directory, not a scenario file") == 2
    assert "Traceback" not in err
