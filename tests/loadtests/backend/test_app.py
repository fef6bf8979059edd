"""The app in-process: no callback, however mangled, is answered 500; rejections are counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loadtests.backend.config import BackendConfig
from loadtests.wechat.callbacks import callback_query, event_xml, sign, text_xml
from loadtests.wechat.safe_mode import SafeMode
from tests.loadtests.backend.inprocess import InProcess

TOKEN = "fuzz-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
ALLOWED = {200, 400, 403, 413}

# Pieces a hostile or broken client might splice into a callback.
SPLICES = [
    b"<!DOCTYPE x>",
    b'<!ENTITY e SYSTEM "file:///etc/passwd">',
    b"&e;",
    b"&amp;",
    b"]]>",
    b"<![CDATA[",
    b"\x00",
    b"\xff\xfe",
    b"\xe4\xb8",
    b"</xml>",
    b"<xml>",
    b"<CreateTime>99999999999999999999</CreateTime>",
    b"<CreateTime>-1</CreateTime>",
    b"<MsgId>99999999999999999999999</MsgId>",
    b'<?xml version="1.0" encoding="GBK"?>',
    b'<?xml version="1.0" encoding="no-such"?>',
    b'<?xml version="1.0" encoding="UTF-16"?>',
    b"<MsgType>event</MsgType>",
    b"\r\n",
    b"\xed\xa0\x80",  # an encoded surrogate, not UTF-8
]


NUMBERS = st.integers(0, 2**31) | st.integers(2**63 - 2, 10**22)
"""Numbers as the platform sends them, and around the largest integer SQLite stores."""


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    db = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    config = BackendConfig(
        db=str(db), token=TOKEN, aes_key=AES_KEY, app_id=APP_ID, synchronous="normal"
    )
    server = InProcess(config)
    yield server
    server.close()


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A callback body of the platform's shape, then mangled a few times."""
    fan = draw(st.text(max_size=12))
    if draw(st.booleans()):
        create = draw(NUMBERS)
        body = text_xml(fan, draw(st.text(max_size=40)), draw(NUMBERS), create)
    else:
        body = event_xml(fan, draw(st.sampled_from(["subscribe", "CLICK", ""])), 1, "k")
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(body)))
        cut = draw(st.integers(0, 12))
        piece = draw(st.sampled_from(SPLICES) | st.binary(max_size=8))
        body = body[:at] + piece + body[at + cut :]
    return body


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies(), encrypted=st.booleans(), tamper=st.booleans())
def test_mangled_callbacks_are_never_a_500(
    app: InProcess, body: bytes, encrypted: bool, tamper: bool
) -> None:
    timestamp, nonce = "1365480000", "n0"
    if encrypted:
        cipher = SafeMode(TOKEN, AES_KEY, APP_ID).encrypt(body, b"0" * 16)
        if tamper:
            cipher = cipher[:-6] + "é=" + cipher[-4:]
        envelope = f"<xml><Encrypt><![CDATA[{cipher}]]></Encrypt></xml>".encode()
        query = callback_query(
            TOKEN,
            timestamp,
            nonce,
            encrypt_type="aes",
            msg_signature=sign(TOKEN, timestamp, nonce, cipher),
        )
        status, reason = app.request("POST", "/wechat", query.encode(), envelope)
    else:
        query = callback_query(TOKEN, timestamp, nonce)
        status, reason = app.request("POST", "/wechat", query.encode(), body)
    assert status in ALLOWED, (status, reason, body)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (text_xml("fan", "hi", 77, 10**19), b"CreateTime is out of range"),
        (
            b'<?xml version="1.0" encoding="GBK"?><xml><ToUserName>a</ToUserName></xml>',
            b"unsupported XML encoding",
        ),
        (text_xml("fan", "hi", 78, 1).replace(b"<CreateTime>1", b"<CreateTime>x1"), b"CreateTime"),
    ],
)
def test_the_reported_500s_are_400s_counted_by_reason(
    app: InProcess, body: bytes, reason: bytes
) -> None:
    status, text = app.request("POST", "/wechat", callback_query(TOKEN, "1", "n").encode(), body)
    assert (status, text[: len(reason)]) == (400, reason)
    exposition = app.app.metrics.exposition().decode()
    assert 'fansim_rejected_total{reason="bad_create_time"}' in exposition or (
        'fansim_rejected_total{reason="bad_encoding"}' in exposition
    )
