"""The runtime on its own (no database): runs, state round trips, limits, errors and timers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from engine.bpmn.operators import OperatorError, OperatorRegistry, RunContext
from engine.bpmn.runtime import ProcessRuntime
from engine.bpmn.validation import load_documents, parse_process, validate
from tests.bpmn_snippets import as_file, document, linear, script_task
from tests.conftest import fixture_file

CTX = RunContext(dossier_id=1, actor="tester")


def model_of(text_or_file, checked: bool = True):
    source = as_file(text_or_file) if isinstance(text_or_file, str) else text_or_file
    if checked:
        result = validate([source])
        assert result.ok, result.diagnostics
        return result.process
    docs, problems = load_documents([source])
    assert not problems
    return parse_process(docs, "p")


def test_five_stages_run_through_serialised_state():
    runtime = ProcessRuntime()
    model = model_of(fixture_file("five_stage.bpmn"))
    outcome = runtime.start(model, {"exempt": True}, CTX)
    stages = []
    while outcome.snapshot.human_tasks:
        [open_task] = outcome.snapshot.human_tasks
        stages.append((open_task.spec.stage.value, open_task.spec.role))
        workflow = runtime.loads(runtime.dumps(outcome.workflow), model)  # as after a restart
        outcome = runtime.complete_human_task(workflow, model, open_task.task_id, {"complete": True}, CTX)
        assert outcome.failure is None
    assert outcome.snapshot.completed
    assert stages == [
        ("intake", "intake_officer"),
        ("appraisal", "appraiser"),
        ("approval", "approver"),
        ("stamping", "clerk"),
        ("return", "intake_officer"),
    ]
    assert outcome.workflow.data["fee"] == 0


def test_events_describe_each_step_with_its_data():
    runtime = ProcessRuntime()
    model = model_of(fixture_file("five_stage.bpmn"))
    outcome = runtime.start(model, {"exempt": False}, CTX)
    intake = outcome.snapshot.human_tasks[0]
    outcome = runtime.complete_human_task(outcome.workflow, model, intake.task_id, {"complete": False}, CTX)
    outcome = runtime.complete_human_task(
        outcome.workflow, model, outcome.snapshot.human_tasks[0].task_id, {"note": "thiếu giấy tờ"}, CTX
    )
    steps = [(e.bpmn_id, e.lifecycle) for e in outcome.events]
    assert steps == [
        ("appraise", "complete"),
        ("fee", "start"),
        ("fee", "complete"),
        ("decide", "start"),
        ("decide", "complete"),
        ("return", "start"),
    ]
    fee = next(e for e in outcome.events if e.bpmn_id == "fee" and e.lifecycle == "complete")
    assert fee.data == {"fee": 8000, "recommendation": "reject"}
    assert outcome.events[0].data == {"note": "thiếu giấy tờ"}
    assert outcome.snapshot.human_tasks[0].spec.bpmn_id == "return"  # the refusal branch


def test_a_loop_past_the_engine_depth_limit_is_an_error_not_a_completion():
    body = """<bpmn:startEvent id="start"/>
<bpmn:scriptTask id="count"><bpmn:script>i = i + 1 if i else 1</bpmn:script></bpmn:scriptTask>
<bpmn:exclusiveGateway id="again" default="out"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="count"/>
<bpmn:sequenceFlow id="f1" sourceRef="count" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="count"><bpmn:conditionExpression>i &lt; 2000</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="out" sourceRef="again" targetRef="end"/>"""
    runtime = ProcessRuntime()
    outcome = runtime.start(model_of(document(body)), {"i": 0}, CTX)
    assert outcome.failure is not None
    assert "1000 steps" in outcome.failure.message
    assert not outcome.snapshot.completed or outcome.failure


def test_a_short_loop_completes():
    body = """<bpmn:startEvent id="start"/>
<bpmn:scriptTask id="count"><bpmn:script>i = i + 1</bpmn:script></bpmn:scriptTask>
<bpmn:exclusiveGateway id="again" default="out"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="count"/>
<bpmn:sequenceFlow id="f1" sourceRef="count" targetRef="again"/>
<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="count"><bpmn:conditionExpression>i &lt; 50</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="out" sourceRef="again" targetRef="end"/>"""
    outcome = ProcessRuntime().start(model_of(document(body)), {"i": 0}, CTX)
    assert outcome.failure is None and outcome.snapshot.completed
    assert outcome.workflow.data["i"] == 50


def test_the_sandbox_blocks_at_run_time_what_slipped_past_deployment(tmp_path):
    marker = tmp_path / "pwned"
    evil = f"__import__('os').system('touch {marker}')"
    runtime = ProcessRuntime()
    outcome = runtime.start(model_of(linear(script_task("evil", evil)), checked=False), {}, CTX)
    assert outcome.failure is not None
    assert outcome.failure.bpmn_id == "evil"
    assert "not allowed" in outcome.failure.message
    assert not marker.exists()


def _service(name: str) -> str:
    return (
        f'<bpmn:serviceTask id="call"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="{name}" '
        'resultVariable="answer"><spiffworkflow:parameters><spiffworkflow:parameter id="who" type="str" '
        'value="applicant"/></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )


def test_a_failing_operator_leaves_a_retryable_error():
    calls = []

    def flaky(call):
        calls.append(call)
        if len(calls) == 1:
            raise ConnectionError("registry unreachable")
        return {"found": True, "who": call.params["who"], "dossier": call.context.dossier_id}

    registry = OperatorRegistry()
    registry.register("registry.lookup", flaky)
    runtime = ProcessRuntime(operators=registry)
    model = model_of(linear(_service("registry.lookup")))
    outcome = runtime.start(model, {"applicant": "Nguyễn Văn An"}, CTX)
    assert outcome.failure is not None
    assert "registry unreachable" in outcome.failure.message
    assert outcome.failure.bpmn_id == "call"
    assert [f.bpmn_id for f in outcome.snapshot.failed] == ["call"]

    workflow = runtime.loads(runtime.dumps(outcome.workflow), model)
    retried = runtime.retry(workflow, model, CTX)
    assert retried.failure is None and retried.snapshot.completed
    assert retried.workflow.data["answer"] == {"found": True, "who": "Nguyễn Văn An", "dossier": 1}


def test_an_operator_error_message_is_kept():
    registry = OperatorRegistry()
    registry.register("strict", lambda call: (_ for _ in ()).throw(OperatorError("ID number has 11 digits")))
    outcome = ProcessRuntime(operators=registry).start(
        model_of(linear(_service("strict"))), {"applicant": 1}, CTX
    )
    assert outcome.failure.message == "ID number has 11 digits"


def test_timers_are_listed_and_fire_when_due():
    timer = (
        '<bpmn:intermediateCatchEvent id="wait" name="Chờ 1 giờ"><bpmn:timerEventDefinition id="t">'
        "<bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    runtime = ProcessRuntime()
    model = model_of(linear(timer))
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        outcome = runtime.start(model, {}, CTX)
    [pending] = outcome.snapshot.timers
    assert pending.bpmn_id == "wait"
    assert pending.due_at == start + timedelta(hours=1)
    state = runtime.dumps(outcome.workflow)
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        early = runtime.fire_timers(runtime.loads(state, model), model, CTX)
    assert not early.snapshot.completed and len(early.snapshot.timers) == 1
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        late = runtime.fire_timers(runtime.loads(state, model), model, CTX)
    assert late.snapshot.completed and late.snapshot.timers == []
    assert ("wait", "complete") in [(e.bpmn_id, e.lifecycle) for e in late.events]


def test_timers_follow_the_runtime_clock_not_the_wall_clock():
    from engine.clock import ManualClock

    timer = (
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition id="t">'
        "<bpmn:timeDuration>P3D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    clock = ManualClock(datetime(2030, 1, 1, tzinfo=UTC))
    runtime = ProcessRuntime(clock=clock.now)
    model = model_of(linear(timer))
    outcome = runtime.start(model, {}, CTX)
    assert outcome.snapshot.timers[0].due_at == datetime(2030, 1, 4, tzinfo=UTC)
    clock.advance(timedelta(days=2))
    assert not runtime.fire_timers(outcome.workflow, model, CTX).snapshot.completed
    clock.advance(timedelta(days=2))
    assert runtime.fire_timers(outcome.workflow, model, CTX).snapshot.completed
    # another runtime on the wall clock is unaffected
    wall = ProcessRuntime().start(model, {}, CTX)
    assert wall.snapshot.timers[0].due_at < datetime(2030, 1, 1, tzinfo=UTC)
