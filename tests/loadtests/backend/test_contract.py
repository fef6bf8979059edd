"""The WeChat callback contract against a real `fansim backend` process (one worker)."""

import base64
import os
import struct
from pathlib import Path
from xml.etree.ElementTree import fromstring

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from loadtests.wechat.callbacks import event_xml, sign, text_xml
from loadtests.wechat.platform_stub import PlatformStub
from tests.loadtests.server import AES_KEY, APP_ID, TOKEN, Backend, wait_for

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<xml><ToUserName>gh_mi</ToUserName><FromUserName>attacker</FromUserName>
<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol9;</Content><MsgId>666</MsgId></xml>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>gh_mi</ToUserName><FromUserName>attacker</FromUserName>
<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&xxe;</Content><MsgId>667</MsgId></xml>"""


def count(backend: Backend) -> int:
    return backend.query("SELECT count(*) FROM messages")[0][0]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_verification_echoes_echostr(backend: Backend) -> None:
    status, body = backend.request("GET", backend.callback_path(echostr="5873265198723"))
    assert (status, body) == (200, b"5873265198723")


def test_forged_or_missing_signature_is_403_and_nothing_stored(backend: Backend) -> None:
    before = count(backend)
    forged = "/wechat?signature=" + "0" * 40 + "&timestamp=1365480000&nonce=n0"
    assert backend.request("GET", forged + "&echostr=x")[0] == 403
    assert backend.request("GET", "/wechat?echostr=x")[0] == 403
    body = text_xml("fan-forged", "订单", 990001, 1365480000)
    assert backend.request("POST", forged, body)[0] == 403
    other_token = "/wechat?signature=" + sign("not-the-token", "1", "n") + "&timestamp=1&nonce=n"
    assert backend.request("POST", other_token, body)[0] == 403
    assert count(backend) == before


def test_entity_attacks_rejected_with_memory_flat(backend: Backend) -> None:
    before = count(backend)
    path = backend.callback_path()
    for doc in (BILLION_LAUGHS, EXTERNAL_ENTITY):  # warm up the error paths
        status, reason = backend.request("POST", path, doc)
        assert status == 400 and b"forbidden XML" in reason
    rss = rss_kib(backend.proc.pid)
    for _ in range(40):
        for doc in (BILLION_LAUGHS, EXTERNAL_ENTITY):
            assert backend.request("POST", path, doc)[0] == 400
    grown = rss_kib(backend.proc.pid) - rss
    assert grown < 8 * 1024, f"RSS grew by {grown} KiB"  # one expanded document is ~3 GB
    assert count(backend) == before
    assert backend.request("GET", "/healthz")[0] == 200


def test_malformed_and_oversized_bodies_are_rejected_and_not_stored(backend: Backend) -> None:
    before = count(backend)
    path = backend.callback_path()
    status, reason = backend.request("POST", path, b"<xml><ToUserName>gh")
    assert status == 400 and reason.startswith(b"malformed XML")
    status, reason = backend.request("POST", path, b"<xml><MsgType>text</MsgType></xml>")
    assert status == 400 and b"missing ToUserName" in reason
    huge = text_xml("fan-big", "x" * 70_000, 990002, 1365480000)
    assert backend.request("POST", path, huge)[0] == 413
    assert count(backend) == before


def test_three_deliveries_of_one_msgid_stored_once_with_the_same_reply(backend: Backend) -> None:
    replies = {backend.send_text("fan-retry", "小米3", 880001) for _ in range(3)}
    assert len(replies) == 1
    status, body = replies.pop()
    assert status == 200
    reply = fromstring(body)
    assert reply.findtext("ToUserName") == "fan-retry"
    assert reply.findtext("Content") == "auto-reply (keyword)"
    rows = backend.query("SELECT deliveries, status FROM messages WHERE dedup_key = 'm:880001'")
    assert rows == [(3, "answered")]


def test_events_deduplicate_on_sender_and_create_time(backend: Backend) -> None:
    path = backend.callback_path()
    first = backend.request("POST", path, event_xml("fan-ev", "subscribe", 1365481111))
    again = backend.request("POST", path, event_xml("fan-ev", "subscribe", 1365481111))
    assert first == again and fromstring(first[1]).findtext("Content") == "welcome"
    later = backend.request("POST", path, event_xml("fan-ev", "unsubscribe", 1365481112))
    assert later == (200, b"success")
    rows = backend.query(
        "SELECT class, deliveries FROM messages WHERE from_user = 'fan-ev' ORDER BY id"
    )
    assert rows == [("subscribe", 2), ("unsubscribe", 1)]


def test_keywords_route_to_humans_or_the_quiz(backend: Backend) -> None:
    assert backend.send_text("fan-kw", "我的订单到哪了", 870001) == (200, b"success")
    _, body = backend.send_text("fan-kw", "GO", 870002)
    assert fromstring(body).findtext("Content") == "auto-reply (quiz)"
    rows = backend.query(
        "SELECT class, status FROM messages WHERE dedup_key IN ('m:870001', 'm:870002') ORDER BY id"
    )
    assert rows == [("order", "waiting"), ("quiz", "answered")]


def encrypt_as_wechat(xml: bytes, app_id: str = APP_ID) -> str:
    """The platform's envelope built from the documentation, not from the back end's code."""
    key = base64.b64decode(AES_KEY + "=")
    plain = os.urandom(16) + struct.pack(">I", len(xml)) + xml + app_id.encode()
    pad = 32 - len(plain) % 32
    plain += bytes([pad]) * pad
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain) + enc.finalize()).decode()


def decrypt_as_wechat(encrypted: str) -> tuple[bytes, bytes]:
    key = base64.b64decode(AES_KEY + "=")
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = dec.update(base64.b64decode(encrypted)) + dec.finalize()
    plain = plain[: -plain[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length], plain[20 + length :]


def test_aes_safe_mode_round_trip(backend: Backend) -> None:
    inner = text_xml("fan-aes", "GO", 860001, 1365480000)
    encrypted = encrypt_as_wechat(inner)
    ts, nonce = "1365480000", "aesnonce"
    envelope = f"<xml><ToUserName>gh_mi</ToUserName><Encrypt>{encrypted}</Encrypt></xml>"
    msg_sig = sign(TOKEN, ts, nonce, encrypted)
    path = backend.callback_path(ts, nonce, encrypt_type="aes", msg_signature=msg_sig)
    status, body = backend.request("POST", path, envelope.encode())
    assert status == 200
    reply = fromstring(body)
    reply_encrypted = reply.findtext("Encrypt") or ""
    assert reply.findtext("MsgSignature") == sign(TOKEN, ts, nonce, reply_encrypted)
    xml, app_id = decrypt_as_wechat(reply_encrypted)
    assert app_id == APP_ID.encode()
    assert fromstring(xml).findtext("Content") == "auto-reply (quiz)"
    assert fromstring(xml).findtext("ToUserName") == "fan-aes"
    bad_sig = backend.callback_path(ts, nonce, encrypt_type="aes", msg_signature="0" * 40)
    assert backend.request("POST", bad_sig, envelope.encode())[0] == 403
    assert backend.query("SELECT count(*) FROM messages WHERE dedup_key = 'm:860001'") == [(1,)]


def _post_aes(backend: Backend, encrypted: str, nonce: str) -> int:
    ts = "1365480000"
    msg_sig = sign(TOKEN, ts, nonce, encrypted)
    path = backend.callback_path(ts, nonce, encrypt_type="aes", msg_signature=msg_sig)
    return backend.request("POST", path, f"<xml><Encrypt>{encrypted}</Encrypt></xml>".encode())[0]


def test_aes_message_for_another_app_is_rejected(backend: Backend) -> None:
    inner = text_xml("fan-aes", "hi", 860002, 1365480000)
    assert _post_aes(backend, encrypt_as_wechat(inner, app_id="wx_another_app"), "n2") == 400
    assert backend.query("SELECT count(*) FROM messages WHERE dedup_key = 'm:860002'") == [(0,)]


def test_aes_corrupted_ciphertext_is_rejected(backend: Backend) -> None:
    """Garbling the last block breaks the padding or the AppId whatever the random prefix."""
    inner = text_xml("fan-aes", "hi", 860003, 1365480000)
    raw = bytearray(base64.b64decode(encrypt_as_wechat(inner)))
    raw[-1] ^= 0x5A
    assert _post_aes(backend, base64.b64encode(bytes(raw)).decode(), "n3") == 400
    assert backend.query("SELECT count(*) FROM messages WHERE dedup_key = 'm:860003'") == [(0,)]


def test_agents_claim_by_priority_and_answers_reach_the_platform(
    backend: Backend, platform: PlatformStub
) -> None:
    while backend.agent("claim", agent="drain")[0] == 200:  # empty the queue first
        pass
    backend.send_text("fan-p", "快递呢", 850001)  # delivery, priority 1
    backend.send_text("fan-p", "订单取消", 850002)  # order, priority 0
    status, first = backend.agent("claim", agent="ann")
    assert status == 200 and first["class_name"] == "order"
    assert backend.agent("answer", agent="bob", id=first["id"], text="no")[0] == 409
    assert backend.agent("release", agent="ann", id=first["id"]) == (200, {})
    status, again = backend.agent("claim", agent="bob")
    assert again["id"] == first["id"]
    assert backend.agent("answer", agent="bob", id=again["id"], text="已取消") == (
        200,
        {"outbox": "pending"},
    )
    wait_for(
        lambda: (
            {"touser": "fan-p", "msgtype": "text", "text": {"content": "已取消"}}
            in platform.received
        )
    )
    rows = backend.query(
        "SELECT action, agent FROM agent_log WHERE message_id = ? ORDER BY rowid", first["id"]
    )
    assert rows == [("claim", "ann"), ("release", "ann"), ("claim", "bob"), ("answer", "bob")]
    assert backend.request("POST", "/agent/claim", b'{"agent": "x"}')[0] == 401


def test_customer_service_api_takes_at_most_five_per_fan(backend: Backend) -> None:
    for i in range(6):
        backend.send_text("fan-cs", f"订单 {i}", 840000 + i)
    statuses = []
    for _ in range(6):
        _, got = backend.agent("claim", agent="cs")
        statuses.append(backend.agent("answer", agent="cs", id=got["id"], text="ok")[1]["outbox"])
    assert statuses == ["pending"] * 5 + ["refused"]
