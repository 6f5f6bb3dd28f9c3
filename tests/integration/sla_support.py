"""Shared pieces of the SLA tests: a small procedure with an escalating boundary timer, a stand-in
for the lifecycle's acceptance (it sets received_at and the appointment date, as the
lifecycle listener does), and a context whose clock a test moves."""

from __future__ import annotations

from datetime import datetime

from engine import services
from engine.bpmn.validation import SourceFile
from engine.calendar import TimeLimit
from engine.clock import ManualClock
from engine.store.models import Dossier


def _props(stage: str, hours: float) -> str:
    return (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="stage" value="{stage}"/>'
        f'<spiffworkflow:property name="allottedHours" value="{hours}"/>'
        "</spiffworkflow:properties></bpmn:extensionElements>"
    )


def escalating_model(boundary: str = "P3D", appraise_hours: float = 16) -> SourceFile:
    """appraise (appraiser, ``appraise_hours``) -> approve (approver, 4 h) -> end; a non-interrupting
    boundary timer on appraise (``boundary``, ISO 8601 duration) opens a supervisor's review."""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://motcua.vn/test">
  <bpmn:process id="sla_demo" name="Thủ tục thử SLA" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="Lane_appraiser" name="appraiser"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>appraise</bpmn:flowNodeRef><bpmn:flowNodeRef>late</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_approver" name="approver"><bpmn:flowNodeRef>approve</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_supervisor" name="supervisor"><bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>end_review</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="appraise" name="Thẩm định hồ sơ">{_props("appraisal", appraise_hours)}<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="approve" name="Phê duyệt">{_props("approval", 4)}<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="late" name="Quá 3 ngày" attachedToRef="appraise" cancelActivity="false"><bpmn:outgoing>f4</bpmn:outgoing><bpmn:timerEventDefinition id="late_def"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"{boundary}"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:userTask id="review" name="Lãnh đạo đôn đốc">{_props("approval", 4)}<bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end_review"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="appraise"/>
    <bpmn:sequenceFlow id="f2" sourceRef="appraise" targetRef="approve"/>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="late" targetRef="review"/>
    <bpmn:sequenceFlow id="f5" sourceRef="review" targetRef="end_review"/>
  </bpmn:process>
</bpmn:definitions>
"""
    return SourceFile("sla_demo.bpmn", xml.encode())


class AcceptOnSubmit:
    """Stands in for the lifecycle listener: at the first run a dossier is received and gets its
    appointment date from the limit (status 4, in progress)."""

    def __init__(self, limit: TimeLimit) -> None:
        self.limit = limit

    def after_run(self, ctx, session, dossier: Dossier, outcome, actor) -> None:
        if dossier.received_at is None:
            dossier.received_at = ctx.now()
            dossier.due_at = ctx.calendar_of(dossier.agency.code).due(dossier.received_at, self.limit)
            dossier.status = 4
            dossier.code = f"T-{dossier.id:06d}"
            dossier.procedure_code = "sla_demo"


def use_clock(ctx, clock) -> None:
    """Point a context (and its runtime's timer events) at ``clock``."""
    ctx.clock = clock
    ctx.runtime.clock = clock.now


def sla_context(make_context, url: str, start: datetime, limit: TimeLimit = TimeLimit(3)):
    ctx = make_context(url)
    use_clock(ctx, ManualClock(start))
    ctx.listeners.insert(0, AcceptOnSubmit(limit))
    return ctx


def deploy_demo(ctx, boundary: str = "P3D", appraise_hours: float = 16) -> None:
    services.deploy(ctx, [escalating_model(boundary, appraise_hours)])
