"""`fansim loadtest` takes WeChat's deadline and deliveries from the scenario's `[server]`."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from sim.cli.loadtest import ServerSettings, locust_command, server_settings
from sim.cli.main import _parser
from sim.scenario.schema import ServerSpec

SCENARIOS = Path(__file__).parents[3] / "scenarios"


def args(source: Path, *flags: str) -> argparse.Namespace:
    return _parser().parse_args(["loadtest", str(source), "--host", "http://127.0.0.1:9", *flags])


def scenario(tmp_path: Path) -> Path:
    """The 米粉节 with WeChat's deadline at 3 s in its `[server]` (beside the files it extends)."""
    for toml in SCENARIOS.glob("*.toml"):
        shutil.copy(toml, tmp_path)
    path = tmp_path / "mifan_festival_2013.toml"
    text = path.read_text(encoding="utf-8")
    old = "deadline_seconds = 5.0 "
    assert text.count(old) == 1
    path.write_text(text.replace(old, "deadline_seconds = 3.0 "), encoding="utf-8")
    return path


def replay_option(cmd: list[str], name: str) -> str:
    return cmd[cmd.index(f"--replay-{name}") + 1]


def test_a_scenario_with_a_3_s_deadline_replays_at_3_s_without_a_flag(tmp_path: Path) -> None:
    source = scenario(tmp_path)
    server = server_settings(args(source), source)
    assert server == ServerSettings(3.0, 3, None)
    cmd = locust_command(args(source), tmp_path / "p.csv", source, server)
    assert replay_option(cmd, "deadline") == "3.0"
    assert replay_option(cmd, "max-deliveries") == "3"


def test_flags_override_and_say_so(tmp_path: Path) -> None:
    source = scenario(tmp_path)
    server = server_settings(args(source, "--deadline", "2", "--deliveries", "4"), source)
    assert (server.deadline, server.deliveries) == (2.0, 4)
    assert server.note == (
        "fansim loadtest: --deadline 2 overrides the scenario's [server] deadline_seconds = 3; "
        "--deliveries 4 overrides the scenario's [server] max_deliveries = 3"
    )
    assert "\n" not in server.note


@pytest.mark.parametrize("with_scenario", [False, True])
def test_without_a_server_section_the_defaults_are_serverspecs(
    tmp_path: Path, with_scenario: bool
) -> None:
    source = SCENARIOS / "xiaomi_2013q1.toml" if with_scenario else None  # no [server]
    server = server_settings(args(tmp_path / "p.csv"), source)
    fields = ServerSpec.model_fields
    expected = (fields["deadline_seconds"].default, fields["max_deliveries"].default)
    assert (server.deadline, server.deliveries, server.note) == (*expected, None)
