"""motcua's BPMN parser: SpiffWorkflow's, with the parsing defects motcua corrects.

SpiffWorkflow 3.2's start-event parser knows message, signal, timer and conditional triggers only. An
event sub-process that starts on an error or an escalation therefore got a *none* start event and ran
as soon as its enclosing process or sub-process started, before anything was thrown. Here the start
event of an event sub-process also reads error and escalation triggers, so the sub-process waits for
the error or escalation as the BPMN standard says. It also records whether such a start event
interrupts (``isInterrupting``), which SpiffWorkflow ignores; the runtime acts on it.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway, StartEvent
from SpiffWorkflow.spiff.parser.event_parsers import SpiffStartEventParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

_TRIGGERS = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH]


class EventSubprocessAwareStartEventParser(SpiffStartEventParser):
    def create_task(self):
        parent = self.node.getparent()
        in_event_subprocess = parent is not None and parent.get("triggeredByEvent") == "true"
        triggers = _TRIGGERS + ([ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH] if in_event_subprocess else [])
        task = self._create_task(self.get_event_definition(triggers))
        # SpiffWorkflow ignores isInterrupting; the runtime reads this to stop the enclosing scope.
        task.interrupts_scope = in_event_subprocess and self.node.get("isInterrupting", "true") != "false"
        self.spec.start.connect(task)
        return task


class ComplexGateway(InclusiveGateway):
    """A complex gateway. As a split it behaves as an inclusive gateway (each flow whose condition holds).
    As a join with an ``activationCondition`` it fires once, for the token that makes the condition true
    (``activationCount`` = tokens arrived since the last reset), consumes the other tokens, and resets
    when every token that could still arrive has arrived (BPMN 2.0, section 10.6.5). SpiffWorkflow 3.2
    has no complex gateway at all."""

    def __init__(self, wf_spec, bpmn_id, activation_condition=None, **kwargs):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.activation_condition = activation_condition

    def _update_hook(self, my_task):
        if not self.activation_condition:
            return super()._update_hook(my_task)
        if my_task.parent is None or not my_task.parent.has_state(TaskState.COMPLETED):
            return False
        root = my_task.workflow.task_tree
        key = f"complex_gateway:{self.name}"
        state = dict(root._get_internal_data(key) or {"count": 0, "fired": False})
        if not my_task._get_internal_data("complex_arrived"):
            my_task._set_internal_data(complex_arrived=True)
            state["count"] += 1
        fire = False
        if not state["fired"]:
            fire = bool(
                my_task.workflow.script_engine.evaluate(
                    my_task, self.activation_condition, external_context={"activationCount": state["count"]}
                )
            )
            state["fired"] = fire
        if not self._more_tokens_may_arrive(my_task):
            state = {"count": 0, "fired": False}  # every token of this round is in: reset
        root._set_internal_data(**{key: state})
        if fire:
            my_task._inherit_data()
            return True
        my_task.cancel()  # the token is consumed
        return False

    def _more_tokens_may_arrive(self, my_task) -> bool:
        pending = TaskState.FUTURE | TaskState.WAITING | TaskState.READY | TaskState.STARTED
        for task in my_task.workflow.tasks.values():
            if task.task_spec is self or not task.has_state(pending):
                continue
            if self._reaches(task.task_spec):
                return True
        return False

    def _reaches(self, spec) -> bool:
        seen, todo = set(), [spec]
        while todo:
            current = todo.pop()
            if current is self:
                return True
            if current.name in seen:
                continue
            seen.add(current.name)
            todo.extend(current.outputs)
        return False


class ComplexGatewayParser(ConditionalGatewayParser):
    def create_task(self):
        node = first(self.xpath("./bpmn:activationCondition"))
        condition = (node.text or "").strip() if node is not None else ""
        return self.spec_class(
            self.spec, self.bpmn_id, activation_condition=condition or None, **self.bpmn_attributes
        )


class MotcuaBpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (EventSubprocessAwareStartEventParser, StartEvent),
        full_tag("complexGateway"): (ComplexGatewayParser, ComplexGateway),
    }
