"""WeChat's callback protocol in plain mode: signatures, safe XML parsing, passive replies.

The platform signs every callback with sha1 over the sorted (token, timestamp, nonce) joined,
POSTs the fan's message as a small XML document and waits 5 s for a passive reply XML (or
`success`, meaning "no reply now"). Retries carry the same MsgId (events: FromUserName +
CreateTime), which is what `Inbound.dedup_key` is built from.

Parsing goes through expat with defusedxml's guards (`safe_xml`): no DTD at all, so no entity
expansion (billion laughs) and no external entities; the parser stops at the DOCTYPE, before
any expansion, so such documents cost no memory.
"""

from __future__ import annotations

import hmac
from typing import NamedTuple

from defusedxml import DefusedXmlException

from loadtests.wechat.callbacks import cdata, sign
from loadtests.wechat.safe_xml import ExpatError, parse_children, text_message

__all__ = [
    "MAX_CREATE_TIME",
    "Inbound",
    "ProtocolError",
    "check_signature",
    "dedup_key",
    "message_from_fields",
    "parse_fields",
    "parse_message",
    "text_reply",
]


MAX_CREATE_TIME = 2**63 - 1
"""SQLite's largest integer; a CreateTime past it (20 digits) is malformed, not a storage error."""


class ProtocolError(ValueError):
    """A request that breaks the callback contract.

    `status` is the HTTP answer to give, `reason` the short text sent with it, `code` a stable
    label the back end counts rejections by (`fansim_rejected_total{reason}`).
    """

    def __init__(self, status: int, reason: str, code: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.code = code


def check_signature(token: str, timestamp: str, nonce: str, signature: str) -> bool:
    """True if the callback was signed with our token (constant-time comparison)."""
    if not (timestamp and nonce and signature):
        return False
    return hmac.compare_digest(sign(token, timestamp, nonce), signature)


class Inbound(NamedTuple):
    """One fan message or event as the platform delivered it.

    A named tuple, not a frozen dataclass: one is built per callback, and a frozen dataclass's
    `__init__` (one `object.__setattr__` per field) cost ~1 us more.
    """

    to_user: str
    from_user: str
    create_time: int
    msg_type: str
    content: str = ""
    msg_id: str = ""
    event: str = ""
    event_key: str = ""

    @property
    def dedup_key(self) -> str:
        """Identity across redeliveries (`dedup_key`)."""
        return dedup_key(self.msg_id, self.from_user, self.create_time)


def dedup_key(msg_id: object, from_user: str, create_time: int) -> str:
    """A message's identity across redeliveries: `m:<MsgId>`, events `e:<FromUser>:<CreateTime>`.

    Events carry no MsgId. The back end stores the key; the load report looks a run up by it.
    """
    return f"m:{msg_id}" if msg_id else f"e:{from_user}:{create_time}"


def parse_fields(body: bytes) -> dict[str, str]:
    """Child elements of the root as text, through a parser that refuses DTDs and entities."""
    try:
        return parse_children(body)
    except DefusedXmlException as exc:
        name = type(exc).__name__
        raise ProtocolError(400, f"forbidden XML construct ({name})", "forbidden_xml") from None
    except ExpatError as exc:
        raise ProtocolError(400, f"malformed XML ({exc})", "malformed_xml") from None
    except (ValueError, LookupError) as exc:  # an encoding expat cannot read: GBK, unknown
        raise ProtocolError(400, f"unsupported XML encoding ({exc})", "bad_encoding") from None


def parse_message(body: bytes) -> Inbound:
    """A callback body as an `Inbound`; 400 if it is not a message WeChat would send."""
    text = text_message(body)
    if text is not None:  # the common case, one regular expression (see `safe_xml`)
        to_user, from_user, create_time, content, msg_id = text
        return Inbound(to_user, from_user, _create_time(create_time), "text", content, msg_id)
    return message_from_fields(parse_fields(body))


def message_from_fields(fields: dict[str, str]) -> Inbound:
    """The `Inbound` of a callback's fields; 400 if a required one is missing or malformed."""
    required = ("ToUserName", "FromUserName", "CreateTime", "MsgType")
    try:
        create_time = _create_time(fields["CreateTime"])
        to_user, from_user = fields["ToUserName"], fields["FromUserName"]
        msg_type = fields["MsgType"]
    except KeyError:
        missing = [k for k in required if k not in fields]
        raise ProtocolError(400, "missing " + ", ".join(missing), "missing_field") from None
    get = fields.get
    return Inbound(
        to_user,
        from_user,
        create_time,
        msg_type,
        get("Content", ""),
        get("MsgId", ""),
        get("Event", ""),
        get("EventKey", ""),
    )


def _create_time(text: str) -> int:
    """CreateTime as an integer SQLite can store; 400 otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise ProtocolError(400, "CreateTime is not a whole number", "bad_create_time") from None
    if not 0 <= value <= MAX_CREATE_TIME:
        raise ProtocolError(400, "CreateTime is out of range", "bad_create_time")
    return value


def text_reply(msg: Inbound, content: str, create_time: int) -> str:
    """Passive text reply to `msg` (sender and receiver swapped)."""
    return (
        f"<xml><ToUserName>{cdata(msg.from_user)}</ToUserName>"
        f"<FromUserName>{cdata(msg.to_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content></xml>"
    )
