from collections.abc import Iterator

import pytest

from loadtests.wechat.platform_stub import PlatformStub
from tests.loadtests.server import AES_KEY, AGENTS_TOKEN, APP_ID, Backend, start_backend


@pytest.fixture(scope="module")
def platform() -> Iterator[PlatformStub]:
    with PlatformStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory, platform: PlatformStub) -> Iterator[Backend]:
    """One worker, the festival scenario's classes, safe mode, outbox to the stub, agents' token."""
    tmp = tmp_path_factory.mktemp("backend")
    server = start_backend(
        tmp,
        "scenarios/mifan_festival_2013.toml",
        "--aes-key",
        AES_KEY,
        "--app-id",
        APP_ID,
        "--platform-url",
        platform.url,
        "--agents-token",
        AGENTS_TOKEN,
    )
    yield server
    server.stop()
