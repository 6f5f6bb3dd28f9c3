"""Validation diagnostics: code, severity, element and line for every problem a designer can make."""

from __future__ import annotations

import pytest

from engine.bpmn.validation import validate
from tests.bpmn_snippets import as_file, document, linear, script_task, user_task
from tests.conftest import fixture_file


def codes(result):
    return {(d.code, d.element_id) for d in result.diagnostics}


def test_the_five_stage_fixture_is_valid_without_warnings():
    result = validate([fixture_file("five_stage.bpmn")])
    assert result.ok, result.diagnostics
    assert result.diagnostics == []
    stages = {t.bpmn_id: (t.stage.value, t.role) for t in result.process.human_tasks.values()}
    assert stages == {
        "intake": ("intake", "intake_officer"),
        "appraise": ("appraisal", "appraiser"),
        "approve": ("approval", "approver"),
        "stamp": ("stamping", "clerk"),
        "return": ("return", "intake_officer"),
    }


@pytest.mark.parametrize(
    ("script", "needle"),
    [
        ("__import__('os').system('id')", "names starting with '_'"),
        ("x = ().__class__.__base__.__subclasses__()", "attributes starting with '_'"),
        ("while True:\n    pass", "never ends"),
        ("import os", "imports are not allowed"),
        ("data = open('/etc/passwd').read()", "'open' is not allowed"),
    ],
)
def test_malicious_scripts_are_rejected_with_element_and_line(script, needle):
    result = validate([as_file(linear(script_task("evil", script)))])
    assert not result.ok
    problems = [d for d in result.diagnostics if d.code == "script-forbidden"]
    assert problems
    assert {(p.element_id, p.severity, p.line) for p in problems} == {("evil", "error", 5)}
    assert any(needle in p.message for p in problems)


def test_condition_expressions_are_sandboxed_too():
    body = """<bpmn:startEvent id="start"/>
<bpmn:exclusiveGateway id="gw" default="f2"/>
<bpmn:endEvent id="a"/><bpmn:endEvent id="b"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="a"><bpmn:conditionExpression>().__class__</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="b"/>"""
    result = validate([as_file(document(body))])
    assert ("script-forbidden", "f1") in codes(result)


def test_a_link_event_pair_becomes_a_sequence_flow_and_a_lone_link_is_refused():
    body = """<bpmn:startEvent id="start"/>
<bpmn:intermediateThrowEvent id="go"><bpmn:linkEventDefinition id="l1" name="jump"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition id="l2" name="{name}"/></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="go"/>
<bpmn:sequenceFlow id="f1" sourceRef="land" targetRef="end"/>"""
    paired = validate([as_file(document(body.format(name="jump")))])
    assert paired.ok, paired.diagnostics
    assert "land" in {t.bpmn_id for t in paired.process.spec.task_specs.values() if hasattr(t, "bpmn_id")}
    lone = validate([as_file(document(body.format(name="elsewhere")))])
    unsupported = [d for d in lone.diagnostics if d.code == "unsupported-construct"]
    assert {d.element_id for d in unsupported} == {"go", "land"}
    assert all("link event" in d.message for d in unsupported)


def test_compensation_is_refused():
    body = """<bpmn:startEvent id="start"/>
<bpmn:task id="book"/>
<bpmn:boundaryEvent id="undo_trigger" attachedToRef="book"><bpmn:compensateEventDefinition id="c1"/></bpmn:boundaryEvent>
<bpmn:task id="unbook" isForCompensation="true"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="book"/>
<bpmn:sequenceFlow id="f1" sourceRef="book" targetRef="end"/>
<bpmn:association id="a1" associationDirection="One" sourceRef="undo_trigger" targetRef="unbook"/>"""
    result = validate([as_file(document(body))])
    ids = {d.element_id for d in result.diagnostics if d.code == "unsupported-construct"}
    assert {"undo_trigger", "unbook"} <= ids


@pytest.mark.parametrize("literal", ["PT1H", "P3D", "R3/PT1H", "2030-07-01T08:00:00+07:00", "P1DT2H30M"])
def test_bare_iso_timer_literals_are_accepted(literal):
    tag = (
        "timeCycle" if literal.startswith("R") else "timeDate" if literal.startswith("20") else "timeDuration"
    )
    timer = (
        f'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition id="t">'
        f"<bpmn:{tag}>{literal}</bpmn:{tag}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    result = validate([as_file(linear(timer))])
    assert result.ok, result.diagnostics


def test_an_impossible_timer_literal_is_an_error():
    timer = (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition id="t">'
        '<bpmn:timeDuration>"PT1X"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
    )
    result = validate([as_file(linear(timer))])
    assert ("timer-invalid", "wait") in codes(result)


def test_stage_property_is_checked():
    result = validate([as_file(linear(user_task("t1", stage="lunch"), user_task("t2", stage=None)))])
    found = codes(result)
    assert ("stage-invalid", "t1") in found
    assert ("stage-missing", "t2") in found
    severities = {d.code: d.severity for d in result.diagnostics}
    assert severities["stage-invalid"] == "error"
    assert severities["stage-missing"] == "warning"


def test_schema_errors_are_all_reported_with_lines():
    text = linear(user_task("t1")).replace('<bpmn:userTask id="t1">', '<bpmn:userTask id="t1" colour="red">')
    text = text.replace('<bpmn:endEvent id="end"/>', '<bpmn:endEvent id="end" size="2"/>')
    result = validate([as_file(text)])
    schema = [d for d in result.diagnostics if d.code == "xml-schema"]
    assert len(schema) == 2
    assert {d.element_id for d in schema} == {"t1", "end"}
    assert all(d.line for d in schema)


def test_duplicate_ids_are_reported():
    text = linear(script_task("dup", "x = 1"), script_task("dup", "y = 2"))
    result = validate([as_file(text)])
    assert not result.ok
    assert any(d.code == "xml-schema" and "dup" in d.message for d in result.diagnostics)


def test_spiffworkflow_parse_errors_become_diagnostics():
    body = """<bpmn:startEvent id="start"/><bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="nowhere"/>"""
    result = validate([as_file(document(body))])
    assert not result.ok
    assert result.errors[0].code in {"bpmn-invalid", "xml-schema", "spec-ref"}


def test_unknown_operator_is_an_error_when_operators_are_known():
    from engine.bpmn.rules import RuleContext

    service = (
        '<bpmn:serviceTask id="lookup"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="population.lookup"><spiffworkflow:parameters/>'
        "</spiffworkflow:serviceTaskOperator></bpmn:extensionElements></bpmn:serviceTask>"
    )
    result = validate([as_file(linear(service))], context=RuleContext(known_operators=frozenset({"echo"})))
    [problem] = [d for d in result.diagnostics if d.code == "operator-unknown"]
    assert problem.element_id == "lookup"
    assert "population.lookup" in problem.message


def test_xxe_upload_is_a_diagnostic():
    payload = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    result = validate([as_file(payload.decode())])
    assert [d.code for d in result.diagnostics] == ["xml-dtd-forbidden"]


def test_several_processes_need_a_choice():
    two = document(
        '<bpmn:startEvent id="s1"/><bpmn:endEvent id="e1"/>'
        '<bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="e1"/>',
        "first",
    ).replace(
        "</bpmn:definitions>",
        '<bpmn:process id="second" isExecutable="true"><bpmn:startEvent id="s2"/><bpmn:endEvent id="e2"/>'
        '<bpmn:sequenceFlow id="g2" sourceRef="s2" targetRef="e2"/></bpmn:process></bpmn:definitions>',
    )
    result = validate([as_file(two)])
    assert [d.code for d in result.errors] == ["process-ambiguous"]
    assert validate([as_file(two)], process_id="second").ok
