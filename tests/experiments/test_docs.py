"""The worked example and commands in docs/experiments.md run (outputs go to a temporary folder)."""

import re
import shlex
from pathlib import Path

import pytest

from sim.cli.main import main

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.S)


def commands() -> list[list[str]]:
    return [
        shlex.split(line)[1:]
        for block in blocks("sh")
        for line in block.splitlines()
        if line.startswith(".venv/bin/fansim ")
    ]


def test_the_doc_has_a_python_example_and_every_command() -> None:
    assert len(blocks("python")) == 1
    assert {c[0] for c in commands()} == {"run", "compare", "sweep"}


@pytest.mark.parametrize("args", commands(), ids=lambda a: " ".join(a)[:50])
def test_doc_command_runs(args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    args = [*args]
    args[args.index("--out") + 1] = str(tmp_path / Path(args[args.index("--out") + 1]).name)
    assert main([*args, "--workers", "2"]) == 0


def test_python_example_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    exec(compile(blocks("python")[0], "docs/experiments.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "SLA met in one run" in printed and "backlog_max ±3: True" in printed
