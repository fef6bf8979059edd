"""`fansim loadtest --agents` sends the agents' own token, never the callback token.

The back end's agent API is off unless it was given agents' credentials, so a replay with
agents needs `--agents-token`: missing, equal to `--token`, or refused by the server, the run
stops before anything is sent (exit 2) with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.cli import main
from sim.cli.loadtest import probe_agent_api
from sim.errors import OptionError
from tests.loadtests.server import AGENTS_TOKEN, TOKEN, Backend, start_backend

SCENARIO = "scenarios/mifan_festival_2013.toml"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Backend]]:
    """Two back ends: one with a team token for agents, one without any agents' credential."""
    on = start_backend(tmp_path_factory.mktemp("on"), "--agents-token", AGENTS_TOKEN)
    off = start_backend(tmp_path_factory.mktemp("off"))
    yield {"on": on, "off": off}
    for server in (on, off):
        server.stop()
    assert on.first_line.endswith("); agent API on with a team token (--agents-token)\n")
    assert off.first_line.endswith("); agent API off, no --agents-token or --agent-token given\n")


def loadtest(tmp_path: Path, *extra: str) -> list[str]:
    return ["loadtest", SCENARIO, "--host", "http://127.0.0.1:9", "--out",
            str(tmp_path / "run"), "--token", TOKEN, "--agents", "--duration", "1",
            *extra]  # fmt: skip


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ((), "--agents: needs --agents-token"),
        (("--agents-token", TOKEN), "--agents-token: must differ from --token"),
    ],
)
def test_agents_without_their_own_token_exit_2_at_once(
    extra: tuple[str, ...], said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    started = time.perf_counter()
    assert main(loadtest(tmp_path, *extra)) == 2  # port 9: nothing would answer anyway
    assert time.perf_counter() - started < 1.0  # before the scenario is even run
    assert said in capsys.readouterr().err


def host(server: Backend) -> str:
    return f"http://127.0.0.1:{server.port}"


def test_the_probe_passes_with_the_agents_token(servers: dict[str, Backend]) -> None:
    probe_agent_api(host(servers["on"]), AGENTS_TOKEN)  # 409: fansim's API, token accepted


@pytest.mark.parametrize(
    ("which", "token", "said"),
    [
        ("on", TOKEN, r"refused --agents-token \(HTTP 401: missing or wrong Authorization"),
        ("off", AGENTS_TOKEN, r"refused --agents-token \(HTTP 403: the agent API is off"),
        ("off", TOKEN, r"HTTP 403: the agent API is off: start the back end with --agents-token"),
    ],
)
def test_the_probe_stops_on_a_refused_or_disabled_agent_api(
    servers: dict[str, Backend], which: str, token: str, said: str
) -> None:
    with pytest.raises(OptionError, match=said):
        probe_agent_api(host(servers[which]), token)


def test_a_replay_against_an_agent_api_that_is_off_sends_nothing(
    servers: dict[str, Backend], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    off = servers["off"]
    args = loadtest(tmp_path, "--agents-token", AGENTS_TOKEN)
    args[args.index("--host") + 1] = host(off)
    assert main(args) == 2
    assert "the agent API is off" in capsys.readouterr().err
    assert off.query("SELECT count(*) FROM messages") == [(0,)]
    assert not (tmp_path / "run" / "run.json").exists()  # Locust was never started
