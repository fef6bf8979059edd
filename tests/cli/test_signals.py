"""Ctrl-C and SIGTERM sent to a real `python -m sim run`: one line, 130 / 143, outputs intact."""

import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sim.cli.main import main
from sim.cli.signals import Terminated, exit_code, interrupted_message, sigterm_raises

REPO = Path(__file__).parents[2]
DAY = REPO / "scenarios" / "xiaomi_service_2013.toml"
# two years of the Q1 account: ~10 s of simulation, far longer than the 2 s before progress shows
LONG = ["scenarios/xiaomi_2013q1.toml", "--set", "scenario.end=2014-12-31"]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _default_sigint() -> None:
    # a child of a shell without job control inherits SIGINT ignored; a terminal user's is not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("sig", "code", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")],
)
def test_signal_mid_run_ends_with_one_line_and_leaves_previous_outputs(
    sig: signal.Signals, code: int, word: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    assert main(["run", str(DAY), "-q", "--out", str(out)]) == 0
    before = snapshot(out)
    with subprocess.Popen(
        [sys.executable, "-m", "sim", "run", *LONG, "--out", str(out), "-q"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    ) as proc:
        watchdog = threading.Timer(120, proc.kill)  # bounds the test if the run never reports
        watchdog.start()
        try:
            assert proc.stderr is not None
            first = proc.stderr.readline()  # the first progress line: simulation is under way
            assert first.startswith("xiaomi_2013q1: day"), first
            proc.send_signal(sig)
            rest = proc.stderr.read()
            assert proc.wait(timeout=60) == code
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
    lines = [line for line in rest.splitlines() if not line.startswith("xiaomi_2013q1: day")]
    assert lines == [f"fansim: {word}; previous outputs in {out} left as they were"]
    assert "Traceback" not in rest
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging folder left


def test_sigterm_raises_only_inside_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Terminated), sigterm_raises():
        signal.raise_signal(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) is before


def test_message_and_exit_code_name_the_signal() -> None:
    exc = KeyboardInterrupt()
    assert (interrupted_message(exc), exit_code(exc)) == ("fansim: interrupted", 130)
    term = Terminated(signal.SIGTERM)
    term.add_note("previous outputs in out left as they were")
    assert interrupted_message(term) == (
        "fansim: terminated (SIGTERM); previous outputs in out left as they were"
    )
    assert exit_code(term) == 143


# raises KeyboardInterrupt when scipy is first imported: Ctrl-C while the program starts
_CTRL_C_AT_IMPORT = """
import runpy, sys
class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == "scipy":
            raise KeyboardInterrupt
        return None
sys.meta_path.insert(0, CtrlC())
sys.argv = ["fansim", "run", "scenarios/xiaomi_service_2013.toml"]
runpy.run_module("sim", run_name="__main__")
"""


def test_ctrl_c_while_starting_is_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_AT_IMPORT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 130
    assert done.stderr == "fansim: interrupted while starting; nothing was written\n"
