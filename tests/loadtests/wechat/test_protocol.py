"""`protocol`: the dedup key, signatures and passive replies."""

from loadtests.wechat.callbacks import event_xml, sign, text_xml
from loadtests.wechat.protocol import check_signature, dedup_key, parse_message, text_reply


def test_the_dedup_key_is_the_msgid_or_for_events_sender_and_time() -> None:
    assert (
        parse_message(text_xml("fan", "hi", 42, 5)).dedup_key == dedup_key("42", "x", 1) == "m:42"
    )
    event = parse_message(event_xml("fan", "subscribe", 5))
    assert event.dedup_key == dedup_key("", "fan", 5) == "e:fan:5"


def test_signature_checks_and_reply_addresses_the_fan() -> None:
    assert check_signature("tok", "1", "n", sign("tok", "1", "n"))
    assert not check_signature("tok", "1", "n", sign("other", "1", "n"))
    reply = text_reply(parse_message(text_xml("fan", "hi", 1, 5, account="gh")), "ok", 9)
    assert "<ToUserName><![CDATA[fan]]></ToUserName>" in reply and "<CreateTime>9<" in reply
