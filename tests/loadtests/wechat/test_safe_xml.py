"""The expat parser with defusedxml's guards: same fields as defusedxml's tree, same refusals."""

import pytest
from defusedxml import DTDForbidden
from defusedxml.ElementTree import fromstring as defused_fromstring
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loadtests.wechat.callbacks import event_xml, text_xml
from loadtests.wechat.protocol import (
    ProtocolError,
    message_from_fields,
    parse_fields,
    parse_message,
)
from loadtests.wechat.safe_xml import (
    ExpatError,
    expat_children,
    flat_children,
    parse_children,
    text_message,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<xml><Content>&lol2;</Content></xml>"""

ATTACKS = [
    BILLION_LAUGHS,
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><C>&xxe;</C></xml>',
    b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><C>a</C></xml>',
    b'<!DOCTYPE x [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><xml/>',
    b'<!DOCTYPE x [<!ENTITY u SYSTEM "x" NDATA png>]><xml/>',
    b"<!DOCTYPE xml><xml/>",
]

MESSAGES = [
    text_xml("fan1", "小米3什么时候发布", 1, 1365480000),
    text_xml("fan]]>2", "a ]]> b & <c>", 2, 1),
    event_xml("fan3", "CLICK", 1365480000, key="V1001_GO"),
    event_xml("fan4", "subscribe", 1365480000),
    b"<?xml version='1.0' encoding='utf-8'?>\n<xml>\n  <A>x &amp; y</A>\n  <B></B><C/></xml>",
    b"<xml><A>1</A><A>2</A><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>",
]


@pytest.mark.parametrize("body", MESSAGES)
def test_fields_are_those_of_defusedxml_tree(body: bytes) -> None:
    root = defused_fromstring(body, forbid_dtd=True)
    expected = {child.tag: (child.text or "") for child in root}
    assert parse_children(body) == expected


@pytest.mark.parametrize("body", ATTACKS)
def test_doctypes_are_refused_before_any_declaration(body: bytes) -> None:
    with pytest.raises(DTDForbidden, match="DTDForbidden"):
        parse_children(body)
    with pytest.raises(ProtocolError, match=r"forbidden XML construct \(DTDForbidden\)"):
        parse_fields(body)


@pytest.mark.parametrize(
    "body",
    [b"", b"<xml>", b"<xml><A>&undefined;</A></xml>", b"<xml/><xml/>", b"not xml", b"<a></b>"],
)
def test_malformed_documents_raise_expat_errors(body: bytes) -> None:
    with pytest.raises(ExpatError, match=r"line \d+, column \d+"):
        parse_children(body)
    with pytest.raises(ProtocolError, match=r"^malformed XML \("):
        parse_fields(body)


def test_wechat_callbacks_take_the_whitelist_and_others_go_to_expat() -> None:
    for body in MESSAGES[:1] + MESSAGES[2:4]:  # as WeChat sends them
        assert flat_children(body) == expat_children(body)
    for body in MESSAGES[1:2] + MESSAGES[4:] + ATTACKS:  # `]]>`, `&amp;`, nesting, DTDs
        assert flat_children(body) is None


# Near-misses on purpose: markup, references, `]`, CR, controls and non-characters in texts,
# odd separators, another root; whatever the whitelist accepts, expat must read the same.
_CHARS = st.sampled_from(
    ["a", "中", " ", "\n", "\t", "\r", "<", ">", "&", "]", "\x01", "\ufffe", "'"]
)
_CHILD = st.tuples(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,3}", fullmatch=True),
    st.sampled_from(["cdata", "text", "empty", "nested"]),
    st.text(_CHARS, max_size=6),
    st.sampled_from(["", "\n", " \t", "\r\n"]),
)


@settings(max_examples=300)
@given(st.sampled_from(["xml", "x"]), st.lists(_CHILD, max_size=4), st.sampled_from(["", "\n"]))
def test_the_whitelist_reads_exactly_what_expat_reads(
    root: str, children: list[tuple[str, str, str, str]], tail: str
) -> None:
    parts = [f"<{root}>"]
    for name, kind, text, before in children:
        inner = {
            "cdata": f"<![CDATA[{text}]]>",
            "text": text,
            "empty": "",
            "nested": f"<i>{text}</i>",
        }[kind]
        parts.append(f"{before}<{name}>{inner}</{name}>")
    body = ("".join(parts) + f"</{root}>{tail}").encode()
    check_whitelist(body)


@settings(max_examples=300)
@given(st.text(_CHARS, max_size=4), st.booleans())
@example("x&y", False)
@example("x&amp;y", False)
@example("a]]>b", False)
@example("a\rb", True)
def test_one_field_with_any_text_reads_as_expat_reads_it(text: str, cdata: bool) -> None:
    inner = f"<![CDATA[{text}]]>" if cdata else text
    check_whitelist(f"<xml><Content>{inner}</Content></xml>".encode())


def check_whitelist(body: bytes) -> None:
    fields = flat_children(body)
    if fields is not None:
        assert fields == expat_children(body)


# WeChat's text layout with its variations: separators, any text, a field renamed, moved or
# added, a number with a sign or spaces, a string outside CDATA. Whatever the one-expression
# path accepts must give the message the general path (expat) gives.
_SEP = st.sampled_from(["", "\n", "\n  ", " \t", "\r\n"])
_VALUE = st.text(_CHARS, max_size=5)
_NUMBER = st.sampled_from(["1365480000", "0", "007", " 12", "+3", "1_0", "", "9" * 21, "٣"])


@settings(max_examples=400)
@given(
    st.lists(_SEP, min_size=8, max_size=8),
    st.tuples(_VALUE, _VALUE, _VALUE),
    st.tuples(_NUMBER, _NUMBER),
    st.sampled_from(["as sent", "plain to", "swap", "extra", "event type", "cdata time"]),
)
@example(["\n"] * 8, ("gh", "fan", "中 a"), ("1365480000", "007"), "as sent")
def test_the_text_layout_reads_what_the_general_path_reads(
    seps: list[str], texts: tuple[str, str, str], numbers: tuple[str, str], variant: str
) -> None:
    to, fan, content = texts
    time, msg_id = numbers
    fields = [
        f"<ToUserName><![CDATA[{to}]]></ToUserName>",
        f"<FromUserName><![CDATA[{fan}]]></FromUserName>",
        f"<CreateTime>{time}</CreateTime>",
        "<MsgType><![CDATA[text]]></MsgType>",
        f"<Content><![CDATA[{content}]]></Content>",
        f"<MsgId>{msg_id}</MsgId>",
    ]
    if variant == "plain to":
        fields[0] = f"<ToUserName>{to}</ToUserName>"
    elif variant == "swap":
        fields[4], fields[5] = fields[5], fields[4]
    elif variant == "extra":
        fields.append("<Idx>1</Idx>")
    elif variant == "event type":
        fields[3] = "<MsgType><![CDATA[event]]></MsgType>"
    elif variant == "cdata time":
        fields[2] = f"<CreateTime><![CDATA[{time}]]></CreateTime>"
    inner = "".join(s + f for s, f in zip(seps, fields, strict=False))  # 7 fields at most
    body = ("<xml>" + inner + seps[-1] + "</xml>").encode()
    fast = text_message(body)
    if fast is None:
        return
    assert variant == "as sent"
    assert parse_message(body) == message_from_fields(expat_children(body))


def test_a_text_message_as_sent_takes_the_one_expression_path() -> None:
    body = text_xml("fan1", "小米3什么时候发布", 12, 1365480000)
    assert text_message(body) == ("gh_mi", "fan1", "1365480000", "小米3什么时候发布", "12")
    assert text_message(body.replace(b"<xml>", b"<xml>\n  ").replace(b"</xml>", b"\n</xml>"))
    assert text_message(text_xml("fan]]>2", "a", 1, 1)) is None  # split CDATA: general path
