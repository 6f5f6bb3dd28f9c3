"""Rewrites applied to an uploaded model before SpiffWorkflow parses it.

SpiffWorkflow evaluates timer expressions as Python, so the bare ISO 8601 literals that Camunda
Modeler, bpmn.io and the BPMN specification use (``PT1H``, ``P3D``, ``R3/PT1H``, ``2025-07-01T08:00``)
would fail at run time. They are quoted here; anything else is left for the sandbox to judge.
"""

from __future__ import annotations

import re

from lxml import etree

from .xml import NSMAP

_NUM = r"\d+(?:[.,]\d+)?"
_DURATION = (
    rf"P(?=\d|T\d)(?:{_NUM}Y)?(?:{_NUM}M)?(?:{_NUM}W)?(?:{_NUM}D)?"
    rf"(?:T(?=\d)(?:{_NUM}H)?(?:{_NUM}M)?(?:{_NUM}S)?)?"
)
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_PART = rf"(?:{_DURATION}|{_DATETIME})"
ISO_TIMER_LITERAL = re.compile(rf"^(?:{_DURATION}|{_DATETIME}|R\d*/{_PART}(?:/{_PART})?)$")

TIMER_ELEMENTS = ("timeDuration", "timeDate", "timeCycle")


def is_iso_timer_literal(text: str) -> bool:
    return bool(ISO_TIMER_LITERAL.match(text.strip()))


def quote_bare_timer_literals(root: etree._Element) -> int:
    """Quote bare ISO 8601 timer literals in place; returns how many were rewritten."""
    rewritten = 0
    for name in TIMER_ELEMENTS:
        for node in root.iter(f"{{{NSMAP['bpmn']}}}{name}"):
            text = (node.text or "").strip()
            if text and is_iso_timer_literal(text):
                node.text = repr(text)
                rewritten += 1
    return rewritten
