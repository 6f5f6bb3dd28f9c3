"""Safe XML loading for uploaded BPMN and DMN files.

Uploaded models are untrusted. They are parsed with no DTD, no entity expansion, no network and a
size cap; a document that declares a DTD at all (the vehicle of XXE and billion-laughs attacks) is
refused before the parser sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from .diagnostics import Diagnostic, error

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
}
NSMAP = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "spiffworkflow": SPIFF_NS}

_DTD_MARKERS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class XmlDocument:
    """A parsed, safe document and what kind of model it holds."""

    filename: str
    kind: str  # "bpmn" or "dmn"
    root: etree._Element


class UnsafeOrMalformedXml(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        collect_ids=False,
    )


def parse_xml(data: bytes, filename: str, max_bytes: int = DEFAULT_MAX_BYTES) -> XmlDocument:
    """Parse uploaded bytes into a safe document, or raise with a diagnostic saying why not."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("parse_xml takes bytes")
    if len(data) > max_bytes:
        raise UnsafeOrMalformedXml(
            error(
                "file-too-large",
                f"The file is {len(data):,} bytes; the limit is {max_bytes:,} bytes.",
                file=filename,
            )
        )
    if not data.strip():
        raise UnsafeOrMalformedXml(error("xml-empty", "The file is empty.", file=filename))
    marker = _DTD_MARKERS.search(data)
    if marker:
        line = data.count(b"\n", 0, marker.start()) + 1
        raise UnsafeOrMalformedXml(
            error(
                "xml-dtd-forbidden",
                "The file declares a DTD or entities (<!DOCTYPE>/<!ENTITY>). BPMN and DMN files never "
                "need them and they can be used to read server files or exhaust memory, so they are refused.",
                file=filename,
                line=line,
            )
        )
    try:
        root = etree.fromstring(bytes(data), parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        raise UnsafeOrMalformedXml(
            error("xml-syntax", f"The file is not well-formed XML: {exc.msg}", file=filename, line=line)
        ) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise UnsafeOrMalformedXml(
            error("xml-syntax", f"The file cannot be read as XML: {exc}", file=filename)
        ) from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise UnsafeOrMalformedXml(error("xml-dtd-forbidden", "DTDs are not allowed.", file=filename))
    return XmlDocument(filename=filename, kind=_kind_of(root, filename), root=root)


def _kind_of(root: etree._Element, filename: str) -> str:
    qname = etree.QName(root)
    if qname.localname == "definitions" and qname.namespace == BPMN_NS:
        return "bpmn"
    if qname.localname == "definitions" and qname.namespace in DMN_NAMESPACES:
        return "dmn"
    raise UnsafeOrMalformedXml(
        error(
            "not-a-model",
            f"The root element is {{{qname.namespace}}}{qname.localname}; a BPMN file has "
            f"bpmn:definitions in the {BPMN_NS} namespace and a DMN file has dmn:definitions.",
            file=filename,
            line=root.sourceline,
        )
    )


def enclosing_id(element: etree._Element) -> str | None:
    """The id of the diagram element a node belongs to: itself or its nearest ancestor that is a BPMN
    element with an id (event definitions and extension elements belong to their owner)."""
    node = element
    while node is not None:
        if isinstance(node.tag, str) and node.get("id"):
            qname = etree.QName(node)
            if qname.namespace != BPMN_NS and qname.namespace not in DMN_NAMESPACES:
                pass
            elif not qname.localname.endswith("EventDefinition"):
                return node.get("id")
        node = node.getparent()
    return None
