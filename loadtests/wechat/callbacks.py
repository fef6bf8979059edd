"""The platform's side of the callback contract: signed URLs and message XML, as WeChat sends.

Used by the back end's `protocol` (the signature and CDATA are the same on both sides), the
tests, the benchmark's load generator and the surge replay, so they all speak the contract
exactly as the back end checks it. Standard library only: the replay imports it without the
back end's dependencies.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from urllib.parse import quote_plus

__all__ = ["callback_query", "cdata", "event_xml", "query_string", "sign", "text_xml"]

_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")  # what urlencode leaves as it is


def sign(*parts: str) -> str:
    """WeChat's signature: sha1 hex of the parts sorted and joined."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def cdata(text: str) -> str:
    """CDATA section; a `]]>` inside is split so it cannot end the section early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def query_string(pairs: Iterable[tuple[str, str]]) -> str:
    """`urlencode(pairs)`, with quoting skipped for values that need none (the usual case)."""
    return "&".join(f"{k}={v if _URL_SAFE.fullmatch(v) else quote_plus(v)}" for k, v in pairs)


def callback_query(token: str, timestamp: str, nonce: str, **extra: str) -> str:
    """Query string of a callback signed with `token` (extra parameters appended as given)."""
    signed = (("signature", sign(token, timestamp, nonce)), ("timestamp", timestamp))
    return query_string((*signed, ("nonce", nonce), *extra.items()))


def text_xml(
    fan: str, content: str, msg_id: int | str, create_time: int, account: str = "gh_mi"
) -> bytes:
    """A fan's text message."""
    return (
        f"<xml><ToUserName>{cdata(account)}</ToUserName>"
        f"<FromUserName>{cdata(fan)}</FromUserName><CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content>{cdata(content)}</Content>"
        f"<MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def event_xml(
    fan: str, event: str, create_time: int, key: str = "", account: str = "gh_mi"
) -> bytes:
    """An event (subscribe, unsubscribe, CLICK with its key); events carry no MsgId."""
    key_part = f"<EventKey>{cdata(key)}</EventKey>" if key else ""
    return (
        f"<xml><ToUserName>{cdata(account)}</ToUserName>"
        f"<FromUserName>{cdata(fan)}</FromUserName><CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event>{cdata(event)}</Event>{key_part}</xml>"
    ).encode()
