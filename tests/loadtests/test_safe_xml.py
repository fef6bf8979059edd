"""The expat parser with defusedxml's guards: same fields as defusedxml's tree, same refusals."""

import pytest
from defusedxml import DTDForbidden
from defusedxml.ElementTree import fromstring as defused_fromstring

from loadtests.backend.callbacks import event_xml, text_xml
from loadtests.backend.protocol import ProtocolError, parse_fields
from loadtests.backend.safe_xml import ExpatError, parse_children

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
