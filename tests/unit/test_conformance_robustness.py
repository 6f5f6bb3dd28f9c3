"""Foreign and malformed BPMN gets a deployment or diagnostics, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.bpmn.normalize import camunda_expression_to_python
from engine.bpmn.operators import RunContext
from engine.bpmn.runtime import ProcessRuntime
from engine.bpmn.validation import SourceFile, validate
from tests.bpmn_snippets import as_file, document, linear, script_task

CAMUNDA = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">\n'
    '<bpmn:process id="p" isExecutable="true" camunda:historyTimeToLive="180">\n'
    '<bpmn:startEvent id="start"/>\n'
    '<bpmn:exclusiveGateway id="gw" default="low"/>\n'
    '<bpmn:scriptTask id="big"><bpmn:script>size = "big"</bpmn:script></bpmn:scriptTask>\n'
    '<bpmn:scriptTask id="small"><bpmn:script>size = "small"</bpmn:script></bpmn:scriptTask>\n'
    '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>\n'
    '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>\n'
    '<bpmn:sequenceFlow id="high" sourceRef="gw" targetRef="big">'
    '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${amount &gt; 100 &amp;&amp; approved}'
    "</bpmn:conditionExpression></bpmn:sequenceFlow>\n"
    '<bpmn:sequenceFlow id="low" sourceRef="gw" targetRef="small"/>\n'
    '<bpmn:sequenceFlow id="f3" sourceRef="big" targetRef="e1"/>\n'
    '<bpmn:sequenceFlow id="f4" sourceRef="small" targetRef="e2"/>\n'
    "</bpmn:process>\n</bpmn:definitions>\n"
)


@pytest.mark.parametrize(
    ("el", "python"),
    [("${amount > 100}", "amount > 100"), ("${approved}", "approved"), ("${!a || b}", "not a or b")],
)
def test_camunda_simple_conditions_become_python(el, python):
    assert camunda_expression_to_python(el) == python


def test_a_camunda_model_deploys_with_a_warning_and_its_condition_decides():
    result = validate([as_file(CAMUNDA)])
    assert result.ok, result.diagnostics
    assert [d.code for d in result.warnings] == ["extension-ignored"]
    runtime = ProcessRuntime()
    big = runtime.start(result.process, {"amount": 150, "approved": True}, RunContext())
    small = runtime.start(result.process, {"amount": 150, "approved": False}, RunContext())
    assert big.workflow.last_task.data["size"] == "big"
    assert small.workflow.last_task.data["size"] == "small"


def test_an_implicit_split_runs_every_unconditional_branch():
    body = (
        '<bpmn:startEvent id="start"/>'
        + script_task("a", "x = 1")
        + script_task("b", "y = 2")
        + '<bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="b"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="join"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="join"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="join" targetRef="end"/>'
    )
    result = validate([as_file(document(body))])
    assert result.ok, result.diagnostics
    outcome = ProcessRuntime().start(result.process, {}, RunContext())
    assert outcome.snapshot.completed
    done = {e.bpmn_id for e in outcome.events if e.lifecycle == "complete"}
    assert {"a", "b"} <= done


MALFORMED = {
    "not-xml": (b"this is not xml", "xml-syntax"),
    "truncated": (linear().encode()[:200], "xml-syntax"),
    "wrong-namespace": (linear().replace("20100524/MODEL", "20100524/OTHER").encode(), "not-a-model"),
    "deeply-nested": (b"<a>" * 5000 + b"</a>" * 5000, "xml-syntax"),
    "duplicate-ids": (
        document(
            '<bpmn:startEvent id="s"/><bpmn:endEvent id="s"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="s"/>'
        ).encode(),
        "spec-ext002",
    ),
    "dangling-reference": (
        document(
            '<bpmn:startEvent id="s"/><bpmn:endEvent id="e"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="nowhere"/>'
        ).encode(),
        "spec-ref",
    ),
    "missing-start-event": (
        document(
            '<bpmn:scriptTask id="t"/><bpmn:endEvent id="e"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="t" targetRef="e"/>'
        ).encode(),
        "spec-ext097",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_input_gets_a_diagnostic_with_a_line(case):
    content, code = MALFORMED[case]
    result = validate([SourceFile("m.bpmn", content)])
    assert not result.ok
    found = [d for d in result.errors if d.code == code]
    assert found, result.diagnostics
    assert found[0].line is not None


def test_a_huge_file_is_refused_by_size():
    result = validate([SourceFile("m.bpmn", b" " * 100 + linear().encode())], max_bytes=100)
    assert [d.code for d in result.errors] == ["file-too-large"]


ERROR_HANDLER = """<bpmn:startEvent id="start"/>
<bpmn:userTask id="work"/>
<bpmn:endEvent id="fail"><bpmn:{kind}EventDefinition id="thrown" {ref}="problem"/></bpmn:endEvent>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>
<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="fail"/>
<bpmn:subProcess id="handler" triggeredByEvent="true">
  <bpmn:startEvent id="caught"><bpmn:{kind}EventDefinition id="def1" {ref}="problem"/></bpmn:startEvent>
  <bpmn:scriptTask id="handle"><bpmn:script>handled = True</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="handled_end"/>
  <bpmn:sequenceFlow id="f8" sourceRef="caught" targetRef="handle"/>
  <bpmn:sequenceFlow id="f9" sourceRef="handle" targetRef="handled_end"/>
</bpmn:subProcess>"""


@pytest.mark.parametrize(
    ("kind", "ref", "top"),
    [
        ("error", "errorRef", '<bpmn:error id="problem" errorCode="E1"/>'),
        ("escalation", "escalationRef", '<bpmn:escalation id="problem" escalationCode="E1"/>'),
    ],
)
def test_an_event_subprocess_waits_for_its_error_or_escalation(kind, ref, top):
    result = validate([as_file(document(ERROR_HANDLER.format(kind=kind, ref=ref), top=top))])
    assert result.ok, result.diagnostics
    runtime = ProcessRuntime()
    started = runtime.start(result.process, {}, RunContext())
    ran = {e.bpmn_id for e in started.events if e.lifecycle == "complete"}
    assert "handle" not in ran  # SpiffWorkflow 3.2 ran the handler at once
    [task] = started.snapshot.human_tasks
    done = runtime.complete_human_task(started.workflow, result.process, task.task_id, {}, RunContext())
    assert "handle" in {e.bpmn_id for e in done.events if e.lifecycle == "complete"}


def _run(body: str, data: dict | None = None, top: str = ""):
    result = validate([as_file(document(body, top=top))])
    assert result.ok, result.diagnostics
    outcome = ProcessRuntime().start(result.process, data or {}, RunContext())
    completed = [e.bpmn_id for e in outcome.events if e.lifecycle == "complete"]
    return outcome, completed


DISCRIMINATOR = """<bpmn:startEvent id="start"/>
<bpmn:parallelGateway id="fork"/>
<bpmn:scriptTask id="fast"><bpmn:script>a = 1</bpmn:script></bpmn:scriptTask>
<bpmn:userTask id="slow"/>
<bpmn:complexGateway id="first"><bpmn:activationCondition>activationCount &gt;= 1</bpmn:activationCondition>
</bpmn:complexGateway>
<bpmn:scriptTask id="after"><bpmn:script>b = 1</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
<bpmn:sequenceFlow id="f1" sourceRef="fork" targetRef="fast"/>
<bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="slow"/>
<bpmn:sequenceFlow id="f3" sourceRef="fast" targetRef="first"/>
<bpmn:sequenceFlow id="f4" sourceRef="slow" targetRef="first"/>
<bpmn:sequenceFlow id="f5" sourceRef="first" targetRef="after"/>
<bpmn:sequenceFlow id="f6" sourceRef="after" targetRef="end"/>"""


def test_a_complex_gateway_discriminator_fires_on_the_first_token_only_once():
    result = validate([as_file(document(DISCRIMINATOR))])
    assert result.ok, result.diagnostics
    runtime = ProcessRuntime()
    started = runtime.start(result.process, {}, RunContext())
    assert "after" in [e.bpmn_id for e in started.events if e.lifecycle == "complete"]  # before `slow`
    [slow] = started.snapshot.human_tasks
    done = runtime.complete_human_task(started.workflow, result.process, slow.task_id, {}, RunContext())
    assert "after" not in [e.bpmn_id for e in done.events if e.lifecycle == "complete"]  # consumed
    assert done.snapshot.completed


def test_token_quantities_emit_and_wait_for_several_tokens():
    body = """<bpmn:startEvent id="start"/>
<bpmn:scriptTask id="send" completionQuantity="2"><bpmn:script>n = 0</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="forward"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="receive" startQuantity="2"><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="send"/>
<bpmn:sequenceFlow id="f1" sourceRef="send" targetRef="forward"/>
<bpmn:sequenceFlow id="f2" sourceRef="forward" targetRef="receive"/>
<bpmn:sequenceFlow id="f3" sourceRef="receive" targetRef="end"/>"""
    _, completed = _run(body)
    assert completed.count("forward") == 2
    assert completed.count("receive") == 1


def test_a_conditional_event_subprocess_interrupts_when_its_condition_holds():
    body = """<bpmn:startEvent id="start"/>
<bpmn:userTask id="work"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>
<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="end"/>
<bpmn:subProcess id="urgent" triggeredByEvent="true">
  <bpmn:startEvent id="when"><bpmn:conditionalEventDefinition id="c1">
    <bpmn:condition xsi:type="bpmn:tFormalExpression">amount &gt; 100</bpmn:condition>
  </bpmn:conditionalEventDefinition></bpmn:startEvent>
  <bpmn:scriptTask id="escalate"><bpmn:script>escalated = True</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="done"/>
  <bpmn:sequenceFlow id="f8" sourceRef="when" targetRef="escalate"/>
  <bpmn:sequenceFlow id="f9" sourceRef="escalate" targetRef="done"/>
</bpmn:subProcess>"""
    small, completed = _run(body, {"amount": 10})
    assert "escalate" not in completed and len(small.snapshot.human_tasks) == 1
    big, completed = _run(body, {"amount": 500})
    assert "escalate" in completed
    assert big.snapshot.human_tasks == [] and big.snapshot.completed  # the user task was interrupted


def test_an_event_based_gateway_timer_is_listed_so_the_sweeper_fires_it():
    body = """<bpmn:startEvent id="start"/>
<bpmn:eventBasedGateway id="wait"/>
<bpmn:intermediateCatchEvent id="late"><bpmn:timerEventDefinition id="t1">
  <bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
<bpmn:intermediateCatchEvent id="news"><bpmn:signalEventDefinition id="s1" signalRef="sig"/>
</bpmn:intermediateCatchEvent>
<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait"/>
<bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="late"/>
<bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="news"/>
<bpmn:sequenceFlow id="f3" sourceRef="late" targetRef="e1"/>
<bpmn:sequenceFlow id="f4" sourceRef="news" targetRef="e2"/>"""
    outcome, _ = _run(body, top='<bpmn:signal id="sig" name="news"/>')
    assert len(outcome.snapshot.timers) == 1


def test_the_runner_uses_the_deployment_path():
    """What deployment stores is parsed again for execution through SpecCache: the same rewrites."""
    from engine.deployment import SpecCache

    result = validate([as_file(document(DISCRIMINATOR))])
    model = SpecCache().parse("p", [as_file(document(DISCRIMINATOR))])
    assert sorted(model.spec.task_specs) == sorted(result.process.spec.task_specs)
    assert type(model.spec.task_specs["first"]).__name__ == "ComplexGateway"


def _seeds() -> list[bytes]:
    link = """<bpmn:startEvent id="start"/>
<bpmn:intermediateThrowEvent id="go"><bpmn:linkEventDefinition id="l1" name="jump"/></bpmn:intermediateThrowEvent>
<bpmn:intermediateCatchEvent id="land"><bpmn:linkEventDefinition id="l2" name="jump"/></bpmn:intermediateCatchEvent>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="go"/>
<bpmn:sequenceFlow id="f1" sourceRef="land" targetRef="end"/>"""
    split = """<bpmn:startEvent id="start"/><bpmn:scriptTask id="a"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="b" completionQuantity="2"><bpmn:script>y = 2</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="a"/>
<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="b"><bpmn:conditionExpression>${x &gt; 1}</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="end"/><bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="end2"/>"""
    return [
        linear(script_task("t", "x = 1")).encode(),
        document(DISCRIMINATOR).encode(),
        document(link).encode(),
        document(split).encode(),
        document(
            ERROR_HANDLER.format(kind="error", ref="errorRef"), top='<bpmn:error id="problem"/>'
        ).encode(),
        CAMUNDA.encode(),
    ]


_MUTATIONS = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 60)),
    st.tuples(
        st.just("insert"),
        st.integers(0, 10_000),
        st.sampled_from(
            [
                b"<",
                b">",
                b'"',
                b"<bpmn:task/>",
                b"</bpmn:process>",
                b'id="start"',
                b"&amp;",
                b"\x00",
                b"${x}",
                b'<bpmn:complexGateway id="g"/>',
                b'triggeredByEvent="true" ',
                b"<bpmn:incoming>f0</bpmn:incoming>",
                b'startQuantity="3" ',
                b'default="f1" ',
                b"<bpmn:eventDefinitionRef>l1</bpmn:eventDefinitionRef>",
            ]
        ),
    ),
    st.tuples(st.just("swap"), st.integers(0, 10_000), st.integers(0, 10_000)),
)


def _mutate(data: bytes, ops) -> bytes:
    for op in ops:
        size = max(len(data), 1)
        if op[0] == "delete":
            at = op[1] % size
            data = data[:at] + data[at + op[2] :]
        elif op[0] == "insert":
            at = op[1] % size
            data = data[:at] + op[2] + data[at:]
        else:
            a, b = sorted((op[1] % size, op[2] % size))
            data = data[:a] + data[b : b + 10] + data[a + 10 : b] + data[a : a + 10] + data[b + 10 :]
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 5), st.lists(_MUTATIONS, min_size=1, max_size=4))
def test_fuzzed_documents_get_diagnostics_never_an_exception(seed, ops):
    content = _mutate(_seeds()[seed], ops)
    result = validate([SourceFile("fuzz.bpmn", content)])
    assert result.ok or result.errors
    assert not any(d.code == "bpmn-unreadable" and "could not be" in d.message for d in result.errors), (
        result.errors
    )
    if result.ok:
        ProcessRuntime().start(result.process, {"x": 2, "amount": 1, "approved": True}, RunContext())


RAISING = """<bpmn:startEvent id="Start"/>
<bpmn:scriptTask id="check"><bpmn:script>if not documents:
    raise BpmnError("DOCS_MISSING")</bpmn:script></bpmn:scriptTask>
<bpmn:boundaryEvent id="missing" attachedToRef="check">
  <bpmn:errorEventDefinition id="e1" errorRef="docs_missing"/></bpmn:boundaryEvent>
<bpmn:scriptTask id="ask"><bpmn:script>asked = True</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="accept"><bpmn:script>accepted = True</bpmn:script></bpmn:scriptTask>
<bpmn:endEvent id="e_ok"/><bpmn:endEvent id="e_ask"/>
<bpmn:sequenceFlow id="f0" sourceRef="Start" targetRef="check"/>
<bpmn:sequenceFlow id="f1" sourceRef="check" targetRef="accept"/>
<bpmn:sequenceFlow id="f2" sourceRef="missing" targetRef="ask"/>
<bpmn:sequenceFlow id="f3" sourceRef="accept" targetRef="e_ok"/>
<bpmn:sequenceFlow id="f4" sourceRef="ask" targetRef="e_ask"/>"""


@pytest.mark.parametrize(("code", "caught"), [("DOCS_MISSING", True), ("OTHER", False)])
def test_a_script_raises_a_bpmn_error_that_a_boundary_event_catches(code, caught):
    top = f'<bpmn:error id="docs_missing" errorCode="{code}"/>'
    result = validate([as_file(document(RAISING, top=top))])  # the start event's id "Start" is renamed
    assert result.ok, result.diagnostics
    outcome = ProcessRuntime().start(result.process, {"documents": []}, RunContext())
    completed = [e.bpmn_id for e in outcome.events if e.lifecycle == "complete"]
    if caught:
        assert "ask" in completed and "accept" not in completed and outcome.failure is None
    else:
        assert outcome.failure is not None and "DOCS_MISSING" in outcome.failure.message
    fine = ProcessRuntime().start(result.process, {"documents": ["cccd"]}, RunContext())
    assert "accept" in [e.bpmn_id for e in fine.events if e.lifecycle == "complete"]


def test_an_interrupting_timer_that_falls_due_during_a_script_discards_its_effect():
    from datetime import UTC, datetime, timedelta

    from engine.bpmn.sandbox import SandboxPolicy
    from engine.clock import ManualClock

    clock = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    policy = SandboxPolicy().with_functions(slow=lambda seconds: clock.advance(timedelta(seconds=seconds)))
    body = """<bpmn:startEvent id="start"/>
<bpmn:scriptTask id="lookup"><bpmn:script>slow(seconds)
found = True</bpmn:script></bpmn:scriptTask>
<bpmn:boundaryEvent id="timeout" attachedToRef="lookup"><bpmn:timerEventDefinition id="t1">
  <bpmn:timeDuration>PT5S</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
<bpmn:endEvent id="ok"/><bpmn:endEvent id="late"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="lookup"/>
<bpmn:sequenceFlow id="f1" sourceRef="lookup" targetRef="ok"/>
<bpmn:sequenceFlow id="f2" sourceRef="timeout" targetRef="late"/>"""
    from engine.bpmn.rules import RuleContext

    result = validate([as_file(document(body))], context=RuleContext(allowed_names=policy.allowed_names))
    assert result.ok, result.diagnostics
    runtime = ProcessRuntime(policy=policy, clock=clock.now)
    quick = runtime.start(result.process, {"seconds": 1}, RunContext())
    assert "ok" in [e.bpmn_id for e in quick.events if e.lifecycle == "complete"]
    slow = runtime.start(result.process, {"seconds": 10}, RunContext())
    completed = [e.bpmn_id for e in slow.events if e.lifecycle == "complete"]
    assert "late" in completed and "ok" not in completed
    assert "found" not in slow.workflow.data
