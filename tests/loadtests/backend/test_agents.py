"""Access: agents' own credentials, stale timestamps, safe mode only, a private /metrics."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtests.backend.config import BackendConfig
from loadtests.wechat.callbacks import callback_query, sign, text_xml
from loadtests.wechat.safe_mode import SafeMode
from tests.loadtests.backend.inprocess import InProcess

TOKEN = "callback-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"


def serve(tmp_path: Path, **settings: object) -> InProcess:
    config = BackendConfig(db=str(tmp_path / "a.db"), token=TOKEN, synchronous="normal", **settings)  # type: ignore[arg-type]
    config.check()
    return InProcess(config)


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[InProcess]:
    server = serve(
        tmp_path,
        agent_tokens=("ann=ann-secret",),
        agents_token="team-secret",
        max_clock_skew=300.0,
        aes_key=AES_KEY,
        app_id=APP_ID,
        encrypted_only=True,
        metrics_token="metrics-secret",
    )
    yield server
    server.close()


def agent(server: InProcess, token: str, action: str, **payload: object) -> tuple[int, object]:
    headers = [(b"authorization", f"Bearer {token}".encode())]
    status, body = server.request(
        "POST", f"/agent/{action}", b"", json.dumps(payload).encode(), headers
    )
    return status, (json.loads(body) if body and status == 200 else body)


def post(server: InProcess, body: bytes, timestamp: str, aes: bool) -> tuple[int, bytes]:
    if not aes:
        return server.request(
            "POST", "/wechat", callback_query(TOKEN, timestamp, "n").encode(), body
        )
    cipher = SafeMode(TOKEN, AES_KEY, APP_ID).encrypt(body)
    query = callback_query(
        TOKEN, timestamp, "n", encrypt_type="aes", msg_signature=sign(TOKEN, timestamp, "n", cipher)
    )
    envelope = f"<xml><Encrypt><![CDATA[{cipher}]]></Encrypt></xml>".encode()
    return server.request("POST", "/wechat", query.encode(), envelope)


def test_a_per_agent_token_binds_the_name(guarded: InProcess) -> None:
    now = str(int(time.time()))
    assert post(guarded, text_xml("fan", "我的订单", 1, 1), now, aes=True)[0] == 200
    assert agent(guarded, TOKEN, "claim", agent="ann")[0] == 401  # the callback token is not one
    assert agent(guarded, "ann-secret", "claim", agent="bob")[0] == 403  # ann cannot be bob
    status, got = agent(guarded, "ann-secret", "claim")  # the token says who
    assert status == 200 and isinstance(got, dict) and got["content"] == "我的订单"
    assert agent(guarded, "team-secret", "answer", agent="bob", id=got["id"], text="hi")[0] == 409
    assert agent(guarded, "ann-secret", "answer", id=got["id"], text="hi")[0] == 200
    assert agent(guarded, "team-secret", "claim", agent="carol")[0] == 204  # a team member


def test_stale_or_future_timestamps_are_refused_when_asked(guarded: InProcess) -> None:
    now = int(time.time())
    body = text_xml("fan", "hi", 2, 1)
    assert post(guarded, body, str(now - 301), aes=True) == (403, b"timestamp more than 300 s off")
    assert post(guarded, body, str(now + 400), aes=True)[0] == 403
    assert post(guarded, body, str(now - 200), aes=True)[0] == 200
    text = guarded.app.metrics.exposition().decode()
    assert 'fansim_rejected_total{reason="stale_timestamp"} 2.0' in text


def test_encrypted_only_refuses_plaintext(guarded: InProcess) -> None:
    now = str(int(time.time()))
    status, reason = post(guarded, text_xml("fan", "hi", 3, 1), now, aes=False)
    assert (status, reason) == (403, b"plaintext callbacks are refused (--encrypted-only)")
    query = callback_query(TOKEN, now, "n", echostr="e1").encode()
    assert guarded.request("GET", "/wechat", query) == (200, b"e1")  # the platform's check


def test_metrics_behind_its_token_and_health_open(guarded: InProcess) -> None:
    assert guarded.request("GET", "/metrics")[0] == 401
    auth = [(b"authorization", b"Bearer metrics-secret")]
    assert guarded.request("GET", "/metrics", headers=auth)[0] == 200
    assert guarded.request("GET", "/healthz") == (200, b"ok")


def test_without_agent_credentials_the_agent_api_is_off(tmp_path: Path) -> None:
    server = serve(tmp_path)
    try:
        assert post(server, text_xml("fan", "我的订单", 4, 1), "1", aes=False)[0] == 200
        for token in (TOKEN, "other-token"):  # the callback token is no agent's credential
            status, reason = agent(server, token, "claim", agent="anyone")
            assert status == 403
            assert b"agent API is off" in reason and b"--agents-token" in reason
        text = server.app.metrics.exposition().decode()
        assert 'fansim_rejected_total{reason="agents_off"} 2.0' in text
        assert server.request("GET", "/healthz") == (200, b"ok")  # callbacks are unaffected
    finally:
        server.close()
