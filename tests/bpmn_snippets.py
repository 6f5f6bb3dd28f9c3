"""Small BPMN documents for tests, written out in full so each test shows what it feeds in."""

from __future__ import annotations

from engine.bpmn.validation import SourceFile

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://motcua.vn/test">\n'
)


def document(body: str, process_id: str = "p", top: str = "") -> str:
    return f'{HEADER}{top}<bpmn:process id="{process_id}" isExecutable="true">\n{body}\n</bpmn:process>\n</bpmn:definitions>\n'


def linear(*middle: str, process_id: str = "p") -> str:
    """start -> each element in turn -> end; elements are given as (tag, id, inner xml) strings."""
    ids = ["start"] + [m.split('id="')[1].split('"')[0] for m in middle] + ["end"]
    flows = "\n".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))
    )
    body = '<bpmn:startEvent id="start"/>\n' + "\n".join(middle) + '\n<bpmn:endEvent id="end"/>\n' + flows
    return document(body, process_id)


def script_task(task_id: str, script: str) -> str:
    return f'<bpmn:scriptTask id="{task_id}"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>'


def user_task(task_id: str, stage: str | None = "intake") -> str:
    props = (
        f'<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="stage" value="{stage}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        if stage
        else ""
    )
    return f'<bpmn:userTask id="{task_id}">{props}</bpmn:userTask>'


def as_file(text: str, name: str = "model.bpmn") -> SourceFile:
    return SourceFile(name, text.encode())
