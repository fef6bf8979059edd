"""Every example in README.md runs (outputs go to a temporary folder)."""

import re
import shlex
from pathlib import Path

import pytest

from sim.cli.main import main

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
REWRITES_REPO_FILES = {"calibrate", "docs"}  # they regenerate committed docs; tested elsewhere


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def fansim_lines() -> list[list[str]]:
    out = []
    for block in blocks("sh"):
        for line in block.splitlines():
            code = line.split("#")[0].strip()
            if code.startswith(".venv/bin/fansim "):
                out.append(shlex.split(code)[1:])
    return out


def test_readme_has_examples() -> None:
    assert blocks("python") and len(fansim_lines()) >= 5


@pytest.mark.parametrize("args", fansim_lines(), ids=lambda a: " ".join(a)[:60])
def test_readme_command_runs(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if args[0] in REWRITES_REPO_FILES:
        pytest.skip("regenerates committed docs")
    monkeypatch.chdir(ROOT)
    expanded: list[str] = []
    for a in args:  # as the shell would expand globs
        expanded += sorted(str(p) for p in Path().glob(a)) if "*" in a else [a]
    args = expanded
    if args[0] == "report":  # it reads a run folder: make one first
        folder = tmp_path / "run"
        assert main(["run", "scenarios/xiaomi_service_2013.toml", "--out", str(folder), "-q"]) == 0
        args[1] = str(folder)
    if "--out" in args:
        args[args.index("--out") + 1] = str(tmp_path / "out")
    elif args[0] in ("run", "profile"):
        args += ["--out", str(tmp_path / "out")]
    if args[0] == "run":
        args.append("-q")
    assert main(args) == 0


def test_readme_python_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    for block in blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
    printed = capsys.readouterr().out.strip()
    assert 0.0 <= float(printed) <= 1.0  # the SLA share the example prints
