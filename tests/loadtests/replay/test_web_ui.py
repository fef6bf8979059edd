"""The web UI: on 127.0.0.1, the harness's figures at /replay/stats, one replay per process,
and `--exit-when-done` ending the process when the replay ends."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from tests.loadtests.replay.test_runs import Target, target_stats
from tests.loadtests.replay.test_verdict import free_port


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as r:
        return bytes(r.read())


def swarm(ui: str) -> None:
    form = urllib.parse.urlencode({"user_count": 1, "spawn_rate": 1}).encode()
    with urllib.request.urlopen(ui + "/swarm", form, timeout=5) as r:
        assert r.status == 200


def wait_up(ui: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the web UI's process ended before it listened"
        try:
            get(ui + "/replay/stats")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the web UI never answered")


def start_ui(
    profile: Path, host: str, out: Path, port: int, *extra: str
) -> subprocess.Popen[bytes]:
    """`fansim loadtest --web-ui` in its own process; returns once the UI answers."""
    fansim = str(Path(sys.executable).parent / "fansim")
    cmd = [fansim, "loadtest", str(profile), "--host", host, "--out", str(out), "--web-ui",
           "--locust", f"--web-port {port}", *extra]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_up(f"http://127.0.0.1:{port}", proc)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


def test_one_replay_from_the_web_ui_then_the_process_ends(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    host, port, out = target("fast"), free_port(), tmp_path / "run"
    profile = flat_profile(2, {"keyword": 20.0})
    proc = start_ui(profile, host, out, port, "--duration", "2", "--exit-when-done")
    try:
        swarm(f"http://127.0.0.1:{port}")
        proc.wait(timeout=60)  # ended by itself once the replay was over
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    rows = json.loads((out / "worker-0.json").read_text(encoding="utf-8"))["counts"]
    assert rows["in_time"] == target_stats(host)["requests"] > 10


def test_a_second_start_is_refused_and_sends_nothing(
    flat_profile, target: Target, tmp_path: Path
) -> None:
    host, port, out = target("fast"), free_port(), tmp_path / "run"
    proc = start_ui(flat_profile(1, {"keyword": 20.0}), host, out, port, "--duration", "1")
    ui = f"http://127.0.0.1:{port}"
    try:
        swarm(ui)
        deadline = time.monotonic() + 30
        while not (out / "worker-0.json").is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        first = target_stats(host)["requests"]
        time.sleep(2.0)  # the UI's run stops after the replay; start another one
        swarm(ui)
        time.sleep(3.0)
        assert target_stats(host)["requests"] == first > 5
        assert proc.poll() is None  # without --exit-when-done the UI stays up
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        proc.stderr.close()
    assert "a second start in one process is refused" in err


def test_the_web_ui_binds_loopback_unless_told_otherwise(tmp_path: Path) -> None:
    from sim.cli.loadtest import ServerSettings, locust_command
    from sim.cli.main import _parser as build_parser

    def command(*extra: str) -> list[str]:
        args = build_parser().parse_args(["loadtest", "p.csv", "--host", "http://127.0.0.1:1",
                                          "--out", str(tmp_path), "--web-ui", *extra])  # fmt: skip
        return locust_command(args, Path("p.csv"), None, ServerSettings(5.0, 3, None))

    cmd = command()
    assert cmd[cmd.index("--web-host") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--replay-exit-when-done") + 1] == "0"
    cmd = command("--web-host", "*", "--exit-when-done")
    assert cmd[cmd.index("--web-host") + 1] == "*"
    assert cmd[cmd.index("--replay-exit-when-done") + 1] == "1"
