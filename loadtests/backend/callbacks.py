"""The platform's side of the callback contract: signed URLs and message XML, as WeChat sends.

Used by the tests, the benchmark's load generator and the surge replay, so they all speak the
contract exactly as the back end checks it.
"""

from __future__ import annotations

from loadtests.backend.protocol import cdata, sign

__all__ = ["callback_query", "event_xml", "text_xml"]


def callback_query(token: str, timestamp: str, nonce: str, **extra: str) -> str:
    """Query string of a callback signed with `token` (extra parameters appended as given)."""
    parts = [f"signature={sign(token, timestamp, nonce)}", f"timestamp={timestamp}"]
    parts.append(f"nonce={nonce}")
    parts += [f"{k}={v}" for k, v in extra.items()]
    return "&".join(parts)


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
