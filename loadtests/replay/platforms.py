"""What the replay sends and what counts as an answer: WeChat's callback, or a plain webhook.

WeChat (public platform documentation, ../shared/seed-facts.md section 4) POSTs each fan message
to the account's URL as XML, with `signature` = sha1 of the sorted (token, timestamp, nonce)
joined in the query. In safe mode the body carries the message AES-256-CBC encrypted under the
account's EncodingAESKey and the query adds `msg_signature` over (token, timestamp, nonce,
ciphertext). A delivery counts as answered only by a 200 whose body is empty, `success`, or a
well-formed reply XML addressed to the fan; anything else (and silence) makes the platform
deliver again. The JSON webhook is the same message for back ends that are not WeChat's: any 2xx
answers it.

Everything here is pure (no Locust, no clock): callers pass the time, and the AES prefix bytes
come from the MsgId, so the same message renders to the same bytes in every run. Safe mode is
`loadtests.wechat.safe_mode.SafeMode`, the back end's own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import NamedTuple, Protocol
from xml.etree import ElementTree

from loadtests.wechat.callbacks import cdata, event_xml, query_string, sign, text_xml
from loadtests.wechat.protocol import ProtocolError
from loadtests.wechat.safe_mode import SafeMode

__all__ = [
    "JsonWebhook",
    "Message",
    "Outgoing",
    "Platform",
    "WeChat",
]

ACCOUNT = "gh_fansim_replay"  # ToUserName: the account's original id


class Message(NamedTuple):
    """One fan message (or subscribe event), the same bytes at every delivery.

    A named tuple, not a dataclass: the replay makes one per arrival, thousands per second.
    """

    msg_id: int
    fan: str
    text: str
    subscribe: bool
    create_time: int  # Unix seconds, fixed at the first delivery


class Outgoing(NamedTuple):
    """One HTTP POST: path with query, body and headers."""

    path: str
    body: bytes
    headers: dict[str, str]


class Platform(Protocol):
    """How a message becomes a request and which replies answer it."""

    @property
    def path(self) -> str:
        """The URL path the requests go to (without the query); names the statistics."""
        ...

    def render(self, message: Message, delivery: int, now: int) -> Outgoing:
        """The POST of delivery `delivery` (1, 2, ...) at Unix time `now`."""
        ...

    def answered(self, message: Message, status: int, body: bytes) -> bool:
        """Whether this response stops the platform's redeliveries."""
        ...


def message_xml(message: Message) -> bytes:
    """The plain callback XML of a text message or a subscribe event."""
    if message.subscribe:
        return event_xml(message.fan, "subscribe", message.create_time, account=ACCOUNT)
    return text_xml(message.fan, message.text, message.msg_id, message.create_time, ACCOUNT)


def _reply_to(root: ElementTree.Element, fan: str) -> bool:
    """A reply XML: the four header fields, addressed to the fan who wrote."""
    fields = {child.tag: (child.text or "") for child in root}
    needed = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
    return root.tag == "xml" and all(fields.get(f) for f in needed) and fields["ToUserName"] == fan


@dataclass(frozen=True)
class WeChat:
    """The WeChat callback: signed XML, optional safe mode."""

    token: str
    path: str = "/wechat"
    safe: SafeMode | None = None

    def render(self, message: Message, delivery: int, now: int) -> Outgoing:
        """Signed POST; the nonce is fixed per delivery so a run is reproducible."""
        timestamp, nonce = str(now), str(message.msg_id * 10 + delivery)
        query: tuple[tuple[str, str], ...] = (
            ("signature", sign(self.token, timestamp, nonce)),
            ("timestamp", timestamp),
            ("nonce", nonce),
            ("openid", message.fan),
        )
        body = message_xml(message)
        if self.safe is not None:
            salt = hashlib.sha256(str(message.msg_id).encode()).digest()
            cipher = self.safe.encrypt(body, salt)
            query += (
                ("encrypt_type", "aes"),
                ("msg_signature", sign(self.token, timestamp, nonce, cipher)),
            )
            body = (
                f"<xml><ToUserName>{cdata(ACCOUNT)}</ToUserName>"
                f"<Encrypt>{cdata(cipher)}</Encrypt></xml>"
            ).encode()
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        return Outgoing(f"{self.path}?{query_string(query)}", body, headers)

    def answered(self, message: Message, status: int, body: bytes) -> bool:
        """200 with empty, `success`, or a reply XML to the fan (decrypted in safe mode)."""
        if status != 200:
            return False
        text = body.strip()
        if text in (b"", b"success"):
            return True
        try:
            root = ElementTree.fromstring(text)
            if self.safe is not None:
                root = ElementTree.fromstring(self.safe.decrypt(root.findtext("Encrypt") or ""))
        except (ElementTree.ParseError, ProtocolError):
            return False
        return _reply_to(root, message.fan)


@dataclass(frozen=True)
class JsonWebhook:
    """A generic webhook: the message as JSON; any 2xx answers it."""

    path: str = "/webhook"

    def render(self, message: Message, delivery: int, now: int) -> Outgoing:
        """POST of the message's fields and the delivery number."""
        payload = {
            "msg_id": message.msg_id,
            "from": message.fan,
            "type": "subscribe" if message.subscribe else "text",
            "text": "" if message.subscribe else message.text,
            "create_time": message.create_time,
            "delivery": delivery,
        }
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Outgoing(self.path, body, {"Content-Type": "application/json"})

    def answered(self, message: Message, status: int, body: bytes) -> bool:
        """Any 2xx."""
        return 200 <= status < 300
