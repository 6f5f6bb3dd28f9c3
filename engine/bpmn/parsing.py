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
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.spiff.parser.event_parsers import SpiffStartEventParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

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


class MotcuaBpmnParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("startEvent"): (EventSubprocessAwareStartEventParser, StartEvent),
    }
