"""Uploaded XML is parsed without DTDs, entities, network or unbounded size."""

from __future__ import annotations

import pytest

from engine.bpmn.xml import UnsafeOrMalformedXml, parse_xml

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">&xxe;</process></definitions>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</definitions>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://attacker.example/evil.dtd">
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"/>"""


@pytest.mark.parametrize("payload", [XXE, BILLION_LAUGHS, EXTERNAL_DTD])
def test_dtds_are_refused_before_parsing(payload):
    with pytest.raises(UnsafeOrMalformedXml) as caught:
        parse_xml(payload, "evil.bpmn")
    diagnostic = caught.value.diagnostic
    assert diagnostic.code == "xml-dtd-forbidden"
    assert diagnostic.line == 2
    assert "passwd" not in diagnostic.message


def test_size_cap():
    big = (
        b"<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'>" + b" " * 2000 + b"</definitions>"
    )
    with pytest.raises(UnsafeOrMalformedXml) as caught:
        parse_xml(big, "big.bpmn", max_bytes=1000)
    assert caught.value.diagnostic.code == "file-too-large"


def test_deep_nesting_is_a_diagnostic_not_a_crash():
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(UnsafeOrMalformedXml) as caught:
        parse_xml(deep, "deep.bpmn", max_bytes=10**7)
    assert caught.value.diagnostic.code == "xml-syntax"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", "xml-empty"),
        (b"not xml at all", "xml-syntax"),
        (b"<definitions xmlns='http://www.omg.org/spec/BPMN/20100524/MODEL'><process>", "xml-syntax"),
        (b"<html><body/></html>", "not-a-model"),
    ],
)
def test_malformed_input_gets_a_diagnostic(payload, code):
    with pytest.raises(UnsafeOrMalformedXml) as caught:
        parse_xml(payload, "x.bpmn")
    assert caught.value.diagnostic.code == code
