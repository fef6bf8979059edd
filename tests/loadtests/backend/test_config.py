"""`config`: every bad setting at once, each naming the flag; the settings travel as JSON."""

from pathlib import Path

import pytest

from loadtests.backend.config import CONFIG_ENV, BackendConfig
from sim.errors import FansimError


def test_bad_flags_are_all_named(tmp_path: Path) -> None:
    bad = BackendConfig(db=str(tmp_path / "no" / "x.db"), token="", port=70000, aes_key="short")
    with pytest.raises(FansimError) as err:
        bad.check()
    paths = [p.path for p in err.value.problems]
    assert paths == ["--token", "--port", "--aes-key", "--app-id", "--db"]


def test_settings_round_trip_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = BackendConfig(db=str(tmp_path / "x.db"), token="t", workers=2)
    config.check()
    monkeypatch.setenv(CONFIG_ENV, config.to_env())
    assert BackendConfig.from_env() == config
