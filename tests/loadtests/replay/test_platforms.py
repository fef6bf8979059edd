from __future__ import annotations

import hashlib
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

import pytest

from loadtests.replay.platforms import JsonWebhook, Message, WeChat
from loadtests.wechat.callbacks import query_string
from loadtests.wechat.callbacks import sign as wechat_signature
from loadtests.wechat.protocol import ProtocolError
from loadtests.wechat.safe_mode import SafeMode

MSG = Message(42, "fan0000007", "订单 GO", False, 1365494400)
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def query(path: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def test_signature_is_sha1_of_sorted_parts() -> None:
    expected = hashlib.sha1("".join(sorted(["tok", "1365494400", "421"])).encode()).hexdigest()
    q = query(WeChat("tok").render(MSG, 1, 1365494400).path)
    assert q["signature"] == expected == wechat_signature("tok", q["timestamp"], q["nonce"])


def test_text_message_xml_carries_msgid_and_content_and_events_do_not() -> None:
    root = ElementTree.fromstring(WeChat("t").render(MSG, 2, 1).body)
    assert root.findtext("MsgId") == "42" and root.findtext("Content") == "订单 GO"
    event = Message(43, "fan1", "", True, 5)
    root = ElementTree.fromstring(WeChat("t").render(event, 1, 1).body)
    assert root.findtext("Event") == "subscribe" and root.find("MsgId") is None


def test_same_message_same_body_at_every_delivery() -> None:
    w = WeChat("t", safe=SafeMode("tok", KEY, "wxapp"))
    assert w.render(MSG, 1, 10).body == w.render(MSG, 3, 20).body


def test_safe_mode_round_trip_and_msg_signature() -> None:
    safe = SafeMode("tok", KEY, "wxapp")
    out = WeChat("tok", safe=safe).render(MSG, 1, 77)
    cipher = ElementTree.fromstring(out.body).findtext("Encrypt") or ""
    q = query(out.path)
    assert q["encrypt_type"] == "aes"
    assert q["msg_signature"] == wechat_signature("tok", "77", q["nonce"], cipher)
    inner = ElementTree.fromstring(safe.decrypt(cipher))
    assert inner.findtext("MsgId") == "42"
    with pytest.raises(ProtocolError):
        SafeMode("tok", KEY[::-1], "wxapp").decrypt(cipher)


def test_a_reply_the_back_end_encrypted_answers_the_replay() -> None:
    safe = SafeMode("tok", KEY, "wxapp")
    reply = (
        "<xml><ToUserName><![CDATA[fan0000007]]></ToUserName><FromUserName>gh</FromUserName>"
        "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>"
    )
    wrapped = safe.wrap(reply, "77", "n1").encode()
    assert WeChat("tok", safe=safe).answered(MSG, 200, wrapped)
    other = SafeMode("tok", KEY, "another_app")
    assert not WeChat("tok", safe=other).answered(MSG, 200, wrapped)


def test_which_replies_answer() -> None:
    w = WeChat("t")
    reply = (
        b"<xml><ToUserName><![CDATA[fan0000007]]></ToUserName><FromUserName>gh</FromUserName>"
        b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content></xml>"
    )
    assert w.answered(MSG, 200, b"") and w.answered(MSG, 200, b"success")
    assert w.answered(MSG, 200, reply)
    assert not w.answered(MSG, 200, reply.replace(b"fan0000007", b"someone_else"))
    assert not w.answered(MSG, 200, b"<xml><oops>")
    assert not w.answered(MSG, 503, b"success")
    assert JsonWebhook().answered(MSG, 204, b"") and not JsonWebhook().answered(MSG, 500, b"")


def test_bad_aes_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="EncodingAESKey must be 43"):
        SafeMode("tok", "short", "app")


@pytest.mark.parametrize(
    "fan", ["fan0000007", "o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "粉丝 1&x=y", "a+b/c"]
)
def test_query_string_is_urlencode(fan: str) -> None:
    pairs = (("signature", "ab12"), ("openid", fan), ("nonce", "421"))
    assert query_string(pairs) == urlencode(pairs)
