"""`config`: every bad setting at once, each on one line naming the flag; JSON round trip."""

from pathlib import Path

import pytest

from loadtests.backend.config import CONFIG_ENV, BackendConfig
from sim.errors import OptionError


def test_bad_flags_are_all_named_one_line_each(tmp_path: Path) -> None:
    bad = BackendConfig(db=str(tmp_path / "no" / "x.db"), token="", port=70000, aes_key="short")
    with pytest.raises(OptionError) as err:
        bad.check()
    paths = [p.path for p in err.value.problems]
    assert paths == ["--token", "--port", "--aes-key", "--app-id", "--db"]
    lines = str(err.value).splitlines()
    assert len(lines) == 5 and all(line.startswith("fansim backend: --") for line in lines)


def test_credentials_must_be_distinct_and_well_formed(tmp_path: Path) -> None:
    bad = BackendConfig(
        db=str(tmp_path / "x.db"),
        token="callback-token",
        agents_token="callback-token",
        agent_tokens=("ann=ann-secret", "b o b=x", "cy=ann-secret"),
        metrics_token="m m",
        encrypted_only=True,
        max_clock_skew=0,
        max_header_bytes=10,
    )
    with pytest.raises(OptionError) as err:
        bad.check()
    text = str(err.value)
    assert "--max-header-bytes: must be >= 1024 (got 10)" in text
    assert "--max-clock-skew: must be > 0 seconds (got 0)" in text
    assert "--encrypted-only: needs --aes-key and --app-id" in text
    assert "--agents-token: must differ from --token's" in text
    assert "--agent-token: must be NAME=TOKEN" in text
    assert "--agent-token: must differ from --agent-token's" in text  # cy reuses ann's
    assert "--metrics-token: must be 3-128 visible ASCII characters" in text


def test_settings_round_trip_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = BackendConfig(
        db=str(tmp_path / "x.db"), token="tok", workers=2, agent_tokens=("ann=ann-secret",)
    )
    config.check()
    monkeypatch.setenv(CONFIG_ENV, config.to_env())
    assert BackendConfig.from_env() == config
    assert config.agent_credentials() == {"ann-secret": "ann"}


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        ({}, "agent API off, no --agents-token or --agent-token given"),
        ({"agents_token": "S3cr3t-team"}, "agent API on with a team token (--agents-token)"),
        (
            {"agent_tokens": ("bob=S3cr3t-b", "ann=S3cr3t-a"), "agents_token": "S3cr3t-t"},
            "agent API on with per-agent tokens for ann, bob (--agent-token) "
            "and a team token (--agents-token)",
        ),
    ],
)
def test_the_start_up_line_names_the_agent_credentials_without_secrets(
    settings: dict[str, object], line: str
) -> None:
    config = BackendConfig(db="x.db", token="callback-token", **settings)  # type: ignore[arg-type]
    said = config.agents_line()
    assert said == line
    assert "S3cr3t" not in said and "callback-token" not in said and ":" not in said
