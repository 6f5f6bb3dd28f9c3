"""Rules of the BPMN 2.0 specification, and constructs motcua refuses, beyond motcua's own rules.

Each structural diagnostic names the rule it enforces in BPMNspector's numbering (``spec-ext096`` is
EXT.096; ``spec-ref`` is its reference check) so a designer can look it up; the betsy conformance pack
(docs/bpmn-support.md) counts on it. Registered in :data:`engine.bpmn.rules.RULES`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from .diagnostics import Diagnostic, error, warning
from .normalize import GENERATED
from .rules import BPMN, RuleContext, _label, _where
from .xml import NSMAP, XmlDocument

# --------------------------------------------------------------------------- rules of the BPMN specification
#
# Structural rules of the BPMN 2.0 specification that the XML schema cannot express. Each diagnostic
# code names the rule as BPMNspector and the betsy conformance pack do (``spec-ext096`` is EXT.096,
# ``spec-ref`` a reference to a missing element or one of the wrong type), so a designer can look it up.

_EVENT_DEFS = (
    "messageEventDefinition",
    "timerEventDefinition",
    "errorEventDefinition",
    "escalationEventDefinition",
    "cancelEventDefinition",
    "compensateEventDefinition",
    "conditionalEventDefinition",
    "linkEventDefinition",
    "signalEventDefinition",
    "terminateEventDefinition",
)
_ACTIVITIES = {
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "subProcess",
    "adHocSubProcess",
    "transaction",
    "callActivity",
}
_GATEWAY_TAGS = {
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "complexGateway",
    "eventBasedGateway",
}
_EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
_FLOW_NODES = _ACTIVITIES | _GATEWAY_TAGS | _EVENTS
_ARTIFACTS = {
    "textAnnotation",
    "group",
    "association",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
}
_CHOREOGRAPHY = {"choreographyTask", "subChoreography", "callChoreography"}
_LEVELS = {"process", "subProcess", "adHocSubProcess", "transaction"}

#: Event definitions each kind of event may carry (BPMN 2.0 tables 10.84-10.93).
_ALLOWED_DEFS = {
    ("startEvent", "top"): ({"message", "timer", "conditional", "signal"}, "spec-ext098"),
    ("startEvent", "sub"): (set(), "spec-ext100"),
    ("endEvent", None): (
        {"message", "error", "escalation", "cancel", "compensate", "signal", "terminate"},
        "spec-ext146",
    ),
    ("intermediateCatchEvent", None): ({"message", "timer", "conditional", "link", "signal"}, "spec-ext148"),
    ("intermediateThrowEvent", None): (
        {"message", "escalation", "compensate", "link", "signal"},
        "spec-ext149",
    ),
}


def _kind(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _defs_of(node: etree._Element) -> list[str]:
    return [_kind(c)[: -len("EventDefinition")] for c in node if _kind(c) in _EVENT_DEFS] + [
        "ref" for c in node if _kind(c) == "eventDefinitionRef"
    ]


def _rule_name(rule: str) -> str:
    return "REF" if rule == "ref" else f"EXT.{rule[3:]}"


def _spec(
    code: str, doc: XmlDocument, node: etree._Element, message: str, also: tuple[str, ...] = ()
) -> Diagnostic:
    """An error naming the rule of the specification it enforces (``also``: the same rule stated elsewhere
    in the specification, under another number)."""
    rules = ", ".join(_rule_name(r) for r in (code[5:], *also))
    label = "rules" if also else "rule"
    return error(code, f"{_label(node)}: {message} (BPMN 2.0 {label} {rules}).", **_where(doc, node))


_OMG_NAMESPACES = {
    NSMAP["bpmn"],
    NSMAP["bpmndi"],
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
}


def specification_rules(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Structural rules of the BPMN specification; each diagnostic names the rule it enforces."""
    if doc.kind != "bpmn":
        return
    root = doc.root
    ids: dict[str, etree._Element] = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if etree.QName(node).namespace not in _OMG_NAMESPACES:
            continue  # a tool's extension elements (parameters, properties) have ids of their own
        node_id = node.get("id")
        if node_id is None:
            if etree.QName(node).namespace == NSMAP["bpmn"] and _kind(node) in _FLOW_NODES | {"sequenceFlow"}:
                yield _spec("spec-ext003", doc, node, "has no id; every flow element needs one")
            continue
        if node_id in ids:
            yield _spec("spec-ext002", doc, node, f"uses the id '{node_id}' that another element already has")
        else:
            ids[node_id] = node
    yield from _references(doc, ids)
    for level in [n for n in root.iter() if _kind(n) in _LEVELS]:
        yield from _level_rules(doc, level, ids)
    yield from _event_rules(doc, ids)
    yield from _activity_rules(doc)


_ITEM_AWARE = {
    "dataObject",
    "dataObjectReference",
    "dataInput",
    "dataOutput",
    "property",
    "dataStoreReference",
    "dataStore",
}
_EVENT_DEFINITION_KINDS = set(_EVENT_DEFS) | {"eventDefinition"}
_CALLABLE = {
    "process",
    "globalTask",
    "globalScriptTask",
    "globalUserTask",
    "globalManualTask",
    "globalBusinessRuleTask",
}

#: (element, attribute or child element) -> (allowed target kinds, code when the kind is wrong).
#: ``None`` as element means any element. Child-element references are marked with a leading "/".
_REFERENCES: dict[tuple[str | None, str], tuple[set[str] | None, str]] = {
    ("sequenceFlow", "sourceRef"): (_FLOW_NODES, "spec-ext007"),
    ("sequenceFlow", "targetRef"): (_FLOW_NODES, "spec-ext006"),
    ("messageFlow", "sourceRef"): (_FLOW_NODES | {"participant"}, "spec-ext009"),
    ("messageFlow", "targetRef"): (_FLOW_NODES | {"participant"}, "spec-ext008"),
    ("boundaryEvent", "attachedToRef"): (_ACTIVITIES, "spec-ref"),
    ("participant", "processRef"): ({"process"}, "spec-ref"),
    ("participant", "/interfaceRef"): ({"interface"}, "spec-ref"),
    ("partnerEntity", "/participantRef"): ({"participant"}, "spec-ref"),
    ("partnerRole", "/participantRef"): ({"participant"}, "spec-ref"),
    (None, "messageRef"): ({"message"}, "spec-ref"),
    (None, "/messageRef"): ({"message"}, "spec-ref"),
    (None, "signalRef"): ({"signal"}, "spec-ref"),
    (None, "errorRef"): ({"error"}, "spec-ref"),
    (None, "/errorRef"): ({"error"}, "spec-ref"),
    (None, "escalationRef"): ({"escalation"}, "spec-ref"),
    ("compensateEventDefinition", "activityRef"): (_ACTIVITIES, "spec-ref"),
    ("dataObjectReference", "dataObjectRef"): ({"dataObject"}, "spec-ref"),
    ("dataStoreReference", "dataStoreRef"): ({"dataStore"}, "spec-ref"),
    (None, "operationRef"): ({"operation"}, "spec-ref"),
    (None, "/operationRef"): ({"operation"}, "spec-ref"),
    (None, "inMessageRef"): ({"message"}, "spec-ref"),
    (None, "/inMessageRef"): ({"message"}, "spec-ref"),
    (None, "outMessageRef"): ({"message"}, "spec-ref"),
    (None, "/outMessageRef"): ({"message"}, "spec-ref"),
    (None, "itemRef"): ({"itemDefinition"}, "spec-ref"),
    (None, "itemSubjectRef"): ({"itemDefinition"}, "spec-ref"),
    (None, "definitionalCollaborationRef"): ({"collaboration"}, "spec-ref"),
    (None, "/correlationPropertyRef"): ({"correlationProperty"}, "spec-ref"),
    (None, "/incoming"): ({"sequenceFlow"}, "spec-ref"),
    (None, "/outgoing"): ({"sequenceFlow"}, "spec-ref"),
    (None, "/dataInputRefs"): ({"dataInput"}, "spec-ref"),
    (None, "/optionalInputRefs"): ({"dataInput"}, "spec-ref"),
    (None, "/whileExecutingInputRefs"): ({"dataInput"}, "spec-ref"),
    (None, "/dataOutputRefs"): ({"dataOutput"}, "spec-ref"),
    (None, "/optionalOutputRefs"): ({"dataOutput"}, "spec-ref"),
    (None, "/whileExecutingOutputRefs"): ({"dataOutput"}, "spec-ref"),
    (None, "/outputSetRefs"): ({"outputSet"}, "spec-ref"),
    (None, "/inputSetRefs"): ({"inputSet"}, "spec-ref"),
    (None, "/eventDefinitionRef"): (_EVENT_DEFINITION_KINDS, "spec-ref"),
    (None, "/flowNodeRef"): (_FLOW_NODES, "spec-ref"),
    (None, "/resourceRef"): ({"resource"}, "spec-ref"),
    (None, "/supportedInterfaceRef"): ({"interface"}, "spec-ref"),
    (None, "/loopDataInputRef"): (_ITEM_AWARE, "spec-ref"),
    (None, "/loopDataOutputRef"): (_ITEM_AWARE, "spec-ref"),
    ("dataInputAssociation", "/sourceRef"): (_ITEM_AWARE, "spec-ref"),
    ("dataInputAssociation", "/targetRef"): (_ITEM_AWARE, "spec-ref"),
    ("dataOutputAssociation", "/sourceRef"): (_ITEM_AWARE, "spec-ref"),
    ("dataOutputAssociation", "/targetRef"): (_ITEM_AWARE, "spec-ref"),
    ("linkEventDefinition", "/source"): ({"linkEventDefinition"}, "spec-ref"),
    ("linkEventDefinition", "/target"): ({"linkEventDefinition"}, "spec-ref"),
    ("association", "sourceRef"): (None, "spec-ref"),
    ("association", "targetRef"): (None, "spec-ref"),
    ("callActivity", "calledElement"): (_CALLABLE, "spec-ref"),
}
_REF_ATTRIBUTES = {name for (_, name) in _REFERENCES if not name.startswith("/")}
_REF_CHILDREN = {name[1:] for (_, name) in _REFERENCES if name.startswith("/")}


def _reference_rule(kind: str, name: str) -> tuple[set[str] | None, str] | None:
    return _REFERENCES.get((kind, name)) or _REFERENCES.get((None, name))


def _references(doc: XmlDocument, ids: dict[str, etree._Element]) -> Iterator[Diagnostic]:
    """Every reference must point to an existing element of an allowed type (BPMNspector's REF check)."""
    for node in doc.root.iter():
        kind = _kind(node)
        if not kind or etree.QName(node).namespace != NSMAP["bpmn"]:
            continue
        found: list[tuple[str, str, etree._Element]] = []
        for attr in _REF_ATTRIBUTES:
            if node.get(attr):
                found.append((attr, node.get(attr), node))
        if node.get("default"):
            found.append(("default", node.get("default"), node))
        for child in node:
            if (
                _kind(child) in _REF_CHILDREN
                and etree.QName(child).namespace == NSMAP["bpmn"]
                and (child.text or "").strip()
            ):
                found.append(("/" + _kind(child), child.text.strip(), child))
        for name, raw, where in found:
            value = raw if raw in ids else raw.split(":")[-1]
            target = ids.get(value)
            if name == "default":
                if target is None or _kind(target) != "sequenceFlow":
                    yield _spec(
                        "spec-ref",
                        doc,
                        where,
                        f"names '{value}' as its default flow, which is no sequence flow",
                    )
                elif target.get("sourceRef") != node.get("id"):
                    yield _spec(
                        "spec-ext026", doc, where, f"has the default flow '{value}', which does not leave it"
                    )
                continue
            rule = _reference_rule(kind, name)
            if rule is None:
                continue
            allowed, code = rule
            shown = name.lstrip("/")
            if target is None:
                if ":" in raw and name in ("itemSubjectRef", "structureRef", "itemRef", "calledElement"):
                    continue  # a type or element from an imported document
                if name == "calledElement":
                    continue  # a process deployed separately
                yield _spec("spec-ref", doc, where, f"{shown} points to '{value}', which does not exist")
            elif allowed is not None and _kind(target) not in allowed:
                artifact = _kind(target) in _ARTIFACTS
                yield _spec(
                    code if artifact else "spec-ref",
                    doc,
                    where,
                    f"{shown} points to {_kind(target)} '{value}', which is not allowed there",
                )


def _flows(level: etree._Element) -> tuple[dict[str, list], dict[str, list]]:
    incoming: dict[str, list] = {}
    outgoing: dict[str, list] = {}
    for flow in level.findall(f"{BPMN}sequenceFlow"):
        outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        incoming.setdefault(flow.get("targetRef"), []).append(flow)
    return incoming, outgoing


def _level_rules(doc: XmlDocument, level: etree._Element, ids: dict) -> Iterator[Diagnostic]:
    incoming, outgoing = _flows(level)
    nodes = [n for n in level if _kind(n) in _FLOW_NODES]
    starts = [n for n in nodes if _kind(n) == "startEvent"]
    ends = [n for n in nodes if _kind(n) == "endEvent"]
    event_sub = _kind(level) == "subProcess" and level.get("triggeredByEvent") == "true"
    adhoc = _kind(level) == "adHocSubProcess"
    for node in level:
        if _kind(node) in _CHOREOGRAPHY:
            code = "spec-ext036" if _kind(level) == "process" else "spec-ext056"
            yield _spec(code, doc, node, "is a choreography activity, which a process must not contain")
    if adhoc:
        for node in nodes:
            if _kind(node) in ("startEvent", "endEvent"):
                yield _spec(
                    "spec-ext062", doc, node, "start and end events are not allowed in an ad-hoc sub-process"
                )
        if not any(_kind(n) in _ACTIVITIES for n in nodes):
            yield _spec("spec-ext061", doc, level, "an ad-hoc sub-process must contain at least one activity")
        return
    if event_sub:
        if len(starts) != 1:
            yield _spec("spec-ext058", doc, level, "an event sub-process must have exactly one start event")
        for start in starts:
            defs = [d for d in _defs_of(start)]
            if not defs:
                yield _spec(
                    "spec-ext059",
                    doc,
                    start,
                    "the start event of an event sub-process needs a trigger",
                    also=("ext129",),
                )
        if incoming.get(level.get("id")) or outgoing.get(level.get("id")):
            pass
    for node in nodes:
        kind = _kind(node)
        node_id = node.get("id")
        ins, outs = incoming.get(node_id, []), outgoing.get(node_id, [])
        compensation = node.get("isForCompensation") == "true"
        is_event_sub = kind == "subProcess" and node.get("triggeredByEvent") == "true"
        if is_event_sub and (ins or outs):
            yield _spec("spec-ext057", doc, node, "an event sub-process must not have sequence flows")
            continue
        if kind == "startEvent" and ins:
            yield _spec("spec-ext096", doc, node, "a start event must not have an incoming sequence flow")
        if kind == "startEvent" and not outs:
            yield _spec("spec-ext101", doc, node, "a start event must have an outgoing sequence flow")
        if kind == "endEvent" and outs:
            yield _spec("spec-ext104", doc, node, "an end event must not have an outgoing sequence flow")
        if kind == "endEvent" and not ins:
            yield _spec("spec-ext107", doc, node, "an end event must have an incoming sequence flow")
        if kind == "boundaryEvent":
            if ins:
                yield _spec(
                    "spec-ext112", doc, node, "a boundary event must not be the target of a sequence flow"
                )
            if not outs and "compensate" not in _defs_of(node):
                yield _spec("spec-ext113", doc, node, "a boundary event must have an outgoing sequence flow")
            if outs and "compensate" in _defs_of(node):
                yield _spec(
                    "spec-ext114", doc, node, "a compensation boundary event must not have outgoing flows"
                )
        if kind in ("intermediateCatchEvent", "intermediateThrowEvent"):
            link = "link" in _defs_of(node)
            if (not link or kind == "intermediateThrowEvent") and not ins:
                yield _spec(
                    "spec-ext115", doc, node, "an intermediate event must have an incoming sequence flow"
                )
            if (not link or kind == "intermediateCatchEvent") and not outs:
                yield _spec(
                    "spec-ext116", doc, node, "an intermediate event must have an outgoing sequence flow"
                )
            if link and ins and outs:
                yield _spec(
                    "spec-ext117", doc, node, "a link event must not be both target and source of flows"
                )
        if kind in _GATEWAY_TAGS and node.get(GENERATED) is None:
            direction = node.get("gatewayDirection", "Unspecified")
            if len(ins) <= 1 and len(outs) <= 1:
                yield _spec(
                    "spec-ext135", doc, node, "a gateway must have several incoming or several outgoing flows"
                )
            if direction == "Converging" and len(outs) > 1:
                yield _spec(
                    "spec-ext017", doc, node, "a converging gateway must not have several outgoing flows"
                )
            if direction == "Diverging" and len(ins) > 1:
                yield _spec(
                    "spec-ext018", doc, node, "a diverging gateway must not have several incoming flows"
                )
            if direction == "Mixed" and (len(ins) < 2 or len(outs) < 2):
                yield _spec(
                    "spec-ext019", doc, node, "a mixed gateway needs several incoming and outgoing flows"
                )
            if kind == "eventBasedGateway":
                yield from _event_gateway(doc, node, outs, ids, incoming)
        if kind in _ACTIVITIES and not compensation and not is_event_sub:
            conditional = [f for f in outs if f.find(f"{BPMN}conditionExpression") is not None]
            if len(outs) == 1 and conditional:
                yield _spec(
                    "spec-ext025", doc, node, "a single outgoing flow of an activity must not be conditional"
                )
        if starts and not ins and _needs_incoming(node, kind, compensation, is_event_sub):
            yield _spec(
                "spec-ext150",
                doc,
                node,
                "every flow node must have an incoming flow when the process level has a start event",
            )
        if ends and not outs and _needs_outgoing(node, kind, compensation, is_event_sub):
            yield _spec(
                "spec-ext151",
                doc,
                node,
                "every flow node must have an outgoing flow when the process level has an end event",
            )
    if (
        ends
        and not starts
        and not any(_kind(n) == "receiveTask" and n.get("instantiate") == "true" for n in nodes)
    ):
        yield _spec("spec-ext097", doc, level, "a level with an end event must have a start event")
    if any(s.get(GENERATED) is None for s in starts) and not ends:
        yield _spec("spec-ext105", doc, level, "a level with a start event must have an end event")


def _needs_incoming(node: etree._Element, kind: str, compensation: bool, is_event_sub: bool) -> bool:
    """Whether a flow node must have an incoming flow on a level that has a start event (EXT.150)."""
    exempt = (
        kind in ("startEvent", "boundaryEvent")
        or compensation
        or is_event_sub
        or (kind == "intermediateCatchEvent" and "link" in _defs_of(node))
        or (kind in ("receiveTask", "eventBasedGateway") and node.get("instantiate") == "true")
    )
    return not exempt


def _needs_outgoing(node: etree._Element, kind: str, compensation: bool, is_event_sub: bool) -> bool:
    """Whether a flow node must have an outgoing flow on a level that has an end event (EXT.151)."""
    exempt = (
        kind == "endEvent"
        or compensation
        or is_event_sub
        or (kind == "intermediateThrowEvent" and "link" in _defs_of(node))
        or (kind == "boundaryEvent" and "compensate" in _defs_of(node))
    )
    return not exempt


def _event_gateway(doc, node, outs, ids, incoming) -> Iterator[Diagnostic]:
    if len(outs) < 2:
        yield _spec("spec-ext136", doc, node, "an event-based gateway needs two or more outgoing flows")
    kinds = set()
    for flow in outs:
        if flow.find(f"{BPMN}conditionExpression") is not None:
            yield _spec(
                "spec-ext137", doc, flow, "flows after an event-based gateway must not have conditions"
            )
        target = ids.get(flow.get("targetRef"))
        if target is None:
            continue
        tk = _kind(target)
        defs = _defs_of(target)
        if tk == "receiveTask":
            kinds.add("receive")
        elif (
            tk == "intermediateCatchEvent"
            and defs
            and set(defs) <= {"message", "signal", "timer", "conditional"}
        ):
            if "message" in defs:
                kinds.add("message")
        else:
            yield _spec(
                "spec-ext138",
                doc,
                target,
                "an event-based gateway may lead only to receive tasks and "
                "message, signal, timer or conditional catch events",
            )
        if len(incoming.get(target.get("id"), [])) > 1:
            yield _spec(
                "spec-ext141",
                doc,
                target,
                "a target of an event-based gateway must have no other incoming flow",
            )
    if {"receive", "message"} <= kinds:
        yield _spec(
            "spec-ext139",
            doc,
            node,
            "message catch events and receive tasks must not be mixed after a gateway",
        )


def _event_rules(doc: XmlDocument, ids: dict) -> Iterator[Diagnostic]:
    for node in doc.root.iter():
        kind = _kind(node)
        if kind not in _EVENTS:
            continue
        defs = _defs_of(node)
        parent = node.getparent()
        if kind == "startEvent":
            sub = _kind(parent) != "process"
            if sub and parent.get("triggeredByEvent") == "true":
                continue
            allowed, code = _ALLOWED_DEFS[("startEvent", "sub" if sub else "top")]
        elif kind == "boundaryEvent":
            cancel = node.get("cancelActivity", "true") == "true"
            allowed = {
                "message",
                "timer",
                "error",
                "escalation",
                "cancel",
                "compensate",
                "conditional",
                "signal",
            }
            if not cancel:
                allowed = {"message", "timer", "escalation", "conditional", "signal"}
            code = "spec-ext110"
            if not defs:
                yield _spec(
                    code, doc, node, "a boundary event needs an event definition", also=("ext147", "ext130")
                )
            if "cancel" in defs:
                attached = ids.get(node.get("attachedToRef") or "")
                if attached is not None and _kind(attached) != "transaction":
                    yield _spec(
                        "spec-ext111", doc, node, "a cancel boundary event must be attached to a transaction"
                    )
        else:
            allowed, code = _ALLOWED_DEFS[(kind, None)]
        for d in defs:
            if d != "ref" and d not in allowed:
                also = {"spec-ext110": ("ext147",), "spec-ext098": ("ext121",)}.get(code, ())
                if kind == "intermediateCatchEvent" and d == "compensate":
                    also = ("ext122",)
                yield _spec(code, doc, node, f"a {kind} must not carry a {d} event definition", also=also)
        if kind == "endEvent" and "cancel" in defs:
            owner = parent
            if _kind(owner) != "transaction":
                yield _spec("spec-ext106", doc, node, "a cancel end event is only allowed in a transaction")
        if kind in ("endEvent", "intermediateThrowEvent"):
            for esc in node.iter(f"{BPMN}escalationEventDefinition"):
                target = ids.get(esc.get("escalationRef") or "")
                if target is None or not target.get("escalationCode"):
                    yield _spec("spec-ext011", doc, node, "a thrown escalation needs an escalationCode")
        for msg in node.iter(f"{BPMN}messageEventDefinition"):
            if not msg.get("messageRef"):
                yield _spec(
                    "spec-ext127", doc, node, "a message event of an executable process needs a messageRef"
                )
        for cond in node.iter(f"{BPMN}conditionalEventDefinition"):
            expr = cond.find(f"{BPMN}condition")
            if expr is None or not (expr.text or "").strip():
                yield _spec("spec-ext123", doc, node, "a conditional event needs a condition expression")
        for timer in node.iter(f"{BPMN}timerEventDefinition"):
            present = [c for c in timer if _kind(c) in ("timeDate", "timeDuration", "timeCycle")]
            if len(present) > 1:
                yield _spec(
                    "spec-ext131",
                    doc,
                    node,
                    "a timer must have only one of timeDate, timeDuration, timeCycle",
                )


def _activity_rules(doc: XmlDocument) -> Iterator[Diagnostic]:
    for node in doc.root.iter():
        kind = _kind(node)
        if kind not in _ACTIVITIES:
            continue
        for attr, code in (("startQuantity", "spec-ext037"), ("completionQuantity", "spec-ext038")):
            value = node.get(attr)
            if value is None:
                continue
            try:
                number = int(value)
            except ValueError:
                continue
            if number < 1:
                yield _spec(code, doc, node, f"{attr} is {value}; it must be at least 1")
            elif number > 1:
                yield error(
                    "unsupported-construct",
                    f"{_label(node)} has {attr}={value}. motcua's engine passes one token per activity, so "
                    "token quantities other than 1 are not supported.",
                    **_where(doc, node),
                )
        standard = node.find(f"{BPMN}standardLoopCharacteristics")
        multi = node.find(f"{BPMN}multiInstanceLoopCharacteristics")
        if standard is not None and multi is not None:
            yield _spec("spec-ext041", doc, node, "an activity must not have both loop markers")
        if standard is not None and standard.get("loopMaximum") is not None:
            try:
                if int(standard.get("loopMaximum")) < 0:
                    yield _spec("spec-ext040", doc, node, "loopMaximum must not be negative")
            except ValueError:
                pass
        if multi is not None:
            card = multi.find(f"{BPMN}loopCardinality")
            if card is not None and (card.text or "").strip().lstrip("-").isdigit() and int(card.text) < 0:
                yield _spec("spec-ext039", doc, node, "loopCardinality must not be negative")
            if card is None and multi.find(f"{BPMN}loopDataInputRef") is None:
                yield _spec(
                    "spec-ext067",
                    doc,
                    node,
                    "a multi-instance activity needs loopCardinality or loopDataInputRef",
                )
            behavior = multi.get("behavior", "All")
            if behavior != "All":
                yield error(
                    "unsupported-construct",
                    f"{_label(node)} is a multi-instance activity with behavior '{behavior}'. "
                    "motcua's engine throws no events per instance, so only behavior 'All' is supported.",
                    **_where(doc, node),
                )
        if kind == "receiveTask" and node.get("instantiate") == "true":
            yield error(
                "unsupported-construct",
                f'{_label(node)} is a receive task that starts the process (instantiate="true"), '
                "which motcua's engine cannot do; use a message start event.",
                **_where(doc, node),
            )
        if kind == "adHocSubProcess":
            yield error(
                "unsupported-construct",
                f"{_label(node)} is an ad-hoc sub-process; SpiffWorkflow 3.2 fails on one without a "
                "completion condition, so ad-hoc sub-processes are not supported.",
                **_where(doc, node),
            )
        if kind == "scriptTask" and node.find(f"{BPMN}script") is not None:
            fmt = node.get("scriptFormat")
            if fmt is not None and fmt.lower() not in ("python", "text/python", "text/x-python", "py"):
                yield error(
                    "unsupported-construct",
                    f"{_label(node)} has a {fmt} script; motcua runs Python scripts only.",
                    **_where(doc, node),
                )


def more_unsupported_constructs(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Constructs SpiffWorkflow 3.2 would run wrongly that the structural rewrites cannot express."""
    if doc.kind != "bpmn":
        return
    for node in doc.root.iter():
        if isinstance(node.tag, str) and node.get("id") in ("Start", "End") and _kind(node) in _FLOW_NODES:
            yield error(
                "id-reserved",
                f"{_label(node)} uses the id '{node.get('id')}', which the engine reserves for its own "
                "start and end steps; rename it.",
                **_where(doc, node),
            )
    for node in doc.root.iter(f"{BPMN}callActivity"):
        called = node.get("calledElement")
        if called and any(_kind(n).startswith("global") and n.get("id") == called for n in doc.root):
            yield error(
                "unsupported-construct",
                f"{_label(node)} calls the global task '{called}'; motcua's engine can call processes only.",
                **_where(doc, node),
            )


_KNOWN_NAMESPACES = {
    NSMAP["bpmn"],
    NSMAP["bpmndi"],
    NSMAP["spiffworkflow"],
    "http://www.omg.org/spec/DD/20100524/DC",
    "http://www.omg.org/spec/DD/20100524/DI",
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/XML/1998/namespace",
    GENERATED[1:].split("}")[0],
}


def foreign_extensions(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Extensions of other modelling tools (Camunda, Zeebe, Signavio, Bizagi...) are ignored, with one
    warning per tool namespace so the designer knows their settings have no effect in motcua."""
    if doc.kind != "bpmn":
        return
    seen: dict[str, etree._Element] = {}
    for node in doc.root.iter():
        if not isinstance(node.tag, str):
            continue
        namespace = etree.QName(node).namespace
        if namespace and namespace not in _KNOWN_NAMESPACES and namespace not in seen:
            seen[namespace] = node
        for attr in node.attrib:
            attr_ns = etree.QName(attr).namespace
            if attr_ns and attr_ns not in _KNOWN_NAMESPACES and attr_ns not in seen:
                seen[attr_ns] = node
    for namespace, node in seen.items():
        yield warning(
            "extension-ignored",
            f"Extensions in the namespace {namespace} (first at {_label(node)}) belong to another modelling "
            "tool; motcua ignores them.",
            **_where(doc, node),
        )


# --------------------------------------------------------------------------- more rules of the specification

_MIME = re.compile(r"^[A-Za-z0-9][\w!#$&^.+-]*/[A-Za-z0-9][\w!#$&^.+-]*(\s*;.*)?$")
_BAD_URI = re.compile(r"\s|%(?![0-9A-Fa-f]{2})|[<>\"{}|\\^`]")
_EXPRESSION_TAGS = (
    "conditionExpression",
    "condition",
    "completionCondition",
    "loopCondition",
    "activationCondition",
    "loopCardinality",
    "timeDate",
    "timeDuration",
    "timeCycle",
    "transformation",
    "from",
    "to",
    "formalExpression",
    "dataPath",
    "messagePath",
)
_CONDITION_TAGS = {
    "conditionExpression",
    "condition",
    "completionCondition",
    "loopCondition",
    "activationCondition",
}


def _process_of(node: etree._Element) -> etree._Element | None:
    while node is not None and _kind(node) != "process":
        node = node.getparent()
    return node


def _level_of(node: etree._Element) -> etree._Element | None:
    parent = node.getparent()
    while parent is not None and _kind(parent) not in _LEVELS:
        parent = parent.getparent()
    return parent


def _uses_flow_lists(root: etree._Element) -> bool:
    return any(True for _ in root.iter(f"{BPMN}incoming", f"{BPMN}outgoing"))


def specification_rules_more(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """More structural rules of the specification: message flows, pools, data, links, expressions."""
    if doc.kind != "bpmn":
        return
    root = doc.root
    ids = {n.get("id"): n for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    yield from _format_rules(doc)
    yield from _message_flow_rules(doc, ids)
    yield from _sequence_flow_rules(doc, ids)
    yield from _collaboration_rules(doc, ids)
    yield from _link_rules(doc, ids)
    yield from _data_rules(doc, ids)
    yield from _expression_rules(doc)
    yield from _misc_event_rules(doc, ids)


def _format_rules(doc: XmlDocument) -> Iterator[Diagnostic]:
    for node in doc.root.iter():
        if not isinstance(node.tag, str):
            continue
        fmt = node.get("textFormat")
        if fmt is not None and not _MIME.match(fmt):
            code = "spec-ext010" if _kind(node) in ("textAnnotation", "text") else "spec-ext004"
            yield _spec(code, doc, node, f"textFormat '{fmt}' is not a MIME type", also=("ext145",))
        for attr in ("language", "expressionLanguage", "typeLanguage", "scriptFormat"):
            value = node.get(attr)
            if value is not None and attr != "scriptFormat" and _BAD_URI.search(value):
                code = "spec-ext014" if attr == "language" else "spec-ext060"
                yield _spec(code, doc, node, f"{attr} '{value}' is not a valid URI", also=("ext060",))


def _message_flow_rules(doc: XmlDocument, ids: dict) -> Iterator[Diagnostic]:
    for flow in doc.root.iter(f"{BPMN}messageFlow"):
        source, target = ids.get(flow.get("sourceRef") or ""), ids.get(flow.get("targetRef") or "")
        if source is None or target is None:
            continue
        sk, tk = _kind(source), _kind(target)
        if sk == "startEvent":
            yield _spec("spec-ext102", doc, flow, "a start event must not be the source of a message flow")
        if tk == "startEvent" and "message" not in _defs_of(target):
            yield _spec(
                "spec-ext103", doc, flow, "a start event receiving a message flow needs a message trigger"
            )
        if tk == "endEvent":
            yield _spec("spec-ext108", doc, flow, "an end event must not be the target of a message flow")
        if sk == "endEvent" and "message" not in _defs_of(source):
            yield _spec(
                "spec-ext109", doc, flow, "an end event sending a message flow needs a message result"
            )
        if tk == "intermediateThrowEvent" or sk == "intermediateCatchEvent":
            yield _spec(
                "spec-ext119", doc, flow, "a message flow must go from a throw event to a catch event"
            )
        pool_of = {}
        for participant in doc.root.iter(f"{BPMN}participant"):
            pool_of[participant.get("id")] = participant.get("processRef") or participant.get("id")
        a = pool_of.get(source.get("id")) or (
            _process_of(source).get("id") if _process_of(source) is not None else None
        )
        b = pool_of.get(target.get("id")) or (
            _process_of(target).get("id") if _process_of(target) is not None else None
        )
        if a is not None and a == b:
            yield _spec("spec-ext031", doc, flow, "a message flow must connect two different pools")


def _sequence_flow_rules(doc: XmlDocument, ids: dict) -> Iterator[Diagnostic]:
    uses_lists = _uses_flow_lists(doc.root)
    for flow in doc.root.iter(f"{BPMN}sequenceFlow"):
        level = _level_of(flow)
        executable = (_process_of(flow) is not None) and _process_of(flow).get("isExecutable") == "true"
        if executable and flow.get("isImmediate") == "false":
            yield _spec("spec-ext024", doc, flow, "isImmediate must not be false in an executable process")
        for end in ("sourceRef", "targetRef"):
            node = ids.get(flow.get(end) or "")
            if node is None or _kind(node) not in _FLOW_NODES:
                continue
            if _process_of(node) is not _process_of(flow):
                yield _spec(
                    "spec-ext028",
                    doc,
                    flow,
                    "a sequence flow must not cross the border of a pool",
                    also=("ext152",),
                )
            elif _level_of(node) is not level and _kind(node) != "boundaryEvent":
                yield _spec(
                    "spec-ext028",
                    doc,
                    flow,
                    "a sequence flow must stay on its process level",
                    also=("ext152",),
                )
            if _kind(node) == "subProcess" and node.get("triggeredByEvent") == "true":
                code = "spec-ext021" if end == "sourceRef" else "spec-ext022"
                yield _spec(code, doc, flow, "an event sub-process must not be connected by sequence flows")
            if uses_lists:
                listed = {(c.text or "").strip() for c in node if _kind(c) in ("incoming", "outgoing")}
                wanted = "outgoing" if end == "sourceRef" else "incoming"
                mine = {(c.text or "").strip() for c in node if _kind(c) == wanted}
                if listed and flow.get("id") not in mine:
                    code = {"startEvent": "spec-ext101", "endEvent": "spec-ext107"}.get(
                        _kind(node), "spec-ext023"
                    )
                    if code != "spec-ext023" and (wanted == "incoming") == (_kind(node) == "startEvent"):
                        code = "spec-ext023"
                    yield _spec(
                        code,
                        doc,
                        node,
                        f"does not list the sequence flow {flow.get('id')} as {wanted}",
                        also=("ext023",) if code != "spec-ext023" else (),
                    )


def _collaboration_rules(doc: XmlDocument, ids: dict) -> Iterator[Diagnostic]:
    for mult in doc.root.iter(f"{BPMN}participantMultiplicity"):
        try:
            minimum, maximum = int(mult.get("minimum", "0")), int(mult.get("maximum", "1"))
        except ValueError:
            continue
        if minimum < 0:
            yield _spec(
                "spec-ext029", doc, mult, "the minimum multiplicity of a participant must not be negative"
            )
        if maximum < 1 or maximum < minimum:
            yield _spec(
                "spec-ext030", doc, mult, "the maximum multiplicity must be at least 1 and the minimum"
            )
    for process in doc.root.iter(f"{BPMN}process"):
        if process.get("processType") == "Public" and process.get("isExecutable") == "true":
            yield _spec("spec-ext035", doc, process, "a public process must not be executable")
    for node in doc.root.iter(f"{BPMN}choreography", f"{BPMN}globalConversation"):
        if node.find(f".//{BPMN}choreographyRef") is not None:
            yield _spec(
                "spec-ext027", doc, node, "a choreography or global conversation must not reference one"
            )
        if _kind(node) == "globalConversation" and any(
            _kind(c)
            in (
                "conversation",
                "subConversation",
                "callConversation",
                "participantAssociation",
                "messageFlowAssociation",
                "conversationAssociation",
                "textAnnotation",
                "group",
                "association",
            )
            for c in node
        ):
            yield _spec(
                "spec-ext032",
                doc,
                node,
                "a global conversation must not contain conversation nodes or artifacts",
            )
    for collab in doc.root.iter(f"{BPMN}collaboration"):
        for ref in collab.findall(f"{BPMN}choreographyRef"):
            target = ids.get((ref.text or "").strip())
            if target is not None and target.get("isClosed", "false") != collab.get("isClosed", "false"):
                yield _spec("spec-ext033", doc, collab, "isClosed must match the referenced choreography")


def _link_rules(doc: XmlDocument, ids: dict) -> Iterator[Diagnostic]:
    for level in [n for n in doc.root.iter() if _kind(n) in _LEVELS]:
        incoming, outgoing = _flows(level)
        throws, catches = {}, {}
        for node in level:
            definition = node.find(f"{BPMN}linkEventDefinition")
            if definition is None:
                continue
            name = definition.get("name") or ""
            if _kind(node) == "intermediateThrowEvent":
                throws.setdefault(name, []).append(node)
                if outgoing.get(node.get("id")):
                    yield _spec("spec-ext117", doc, node, "a link throw event must not have outgoing flows")
            elif _kind(node) == "intermediateCatchEvent":
                catches.setdefault(name, []).append(node)
                if incoming.get(node.get("id")):
                    yield _spec("spec-ext117", doc, node, "a link catch event must not have incoming flows")
        for name, nodes in throws.items():
            if len(catches.get(name, [])) != 1:
                for node in nodes:
                    elsewhere = any(
                        _kind(c) == "intermediateCatchEvent"
                        and (c.find(f"{BPMN}linkEventDefinition") is not None)
                        and c.find(f"{BPMN}linkEventDefinition").get("name") == name
                        and _level_of(c) is not level
                        for c in doc.root.iter(f"{BPMN}intermediateCatchEvent")
                    )
                    code = "spec-ext126" if elsewhere else "spec-ext125"
                    yield _spec(
                        code,
                        doc,
                        node,
                        f"the link '{name}' has no single target on this level",
                        also=("ext118",),
                    )
        for name, nodes in catches.items():
            if name not in throws:
                for node in nodes:
                    yield _spec(
                        "spec-ext124", doc, node, f"the link target '{name}' has no source on this level"
                    )


def _item_of(node: etree._Element | None, ids: dict) -> etree._Element | None:
    if node is None:
        return None
    ref = node.get("itemSubjectRef") or node.get("itemRef") or node.get("structureRef")
    return ids.get(ref) if ref else None


def _data_rules(doc: XmlDocument, ids: dict) -> Iterator[Diagnostic]:
    root = doc.root
    for node in root.iter(f"{BPMN}dataInput", f"{BPMN}dataOutput", f"{BPMN}dataObject"):
        item = _item_of(node, ids)
        if item is not None and _kind(item) == "itemDefinition":
            mine, theirs = node.get("isCollection", "false"), item.get("isCollection", "false")
            if mine != theirs:
                yield _spec(
                    "spec-ext020",
                    doc,
                    node,
                    "isCollection differs from its itemDefinition",
                    also=("ext077", "ext081", "ext083"),
                )
    for sub in root.iter(f"{BPMN}subProcess", f"{BPMN}transaction", f"{BPMN}adHocSubProcess"):
        if sub.find(f"{BPMN}ioSpecification") is not None:
            yield _spec("spec-ext079", doc, sub, "a sub-process must not have an ioSpecification")
    for io in root.iter(f"{BPMN}ioSpecification"):
        owner = io.getparent()
        inputs = [d.get("id") for d in io.findall(f"{BPMN}dataInput")]
        outputs = [d.get("id") for d in io.findall(f"{BPMN}dataOutput")]
        input_sets, output_sets = io.findall(f"{BPMN}inputSet"), io.findall(f"{BPMN}outputSet")

        def refs(sets, tag):
            return [(r.text or "").strip() for s in sets for r in s.findall(f"{BPMN}{tag}")]

        for d in inputs:
            if d not in refs(input_sets, "dataInputRefs"):
                yield _spec("spec-ext084", doc, io, f"the data input {d} is in no input set")
        for d in outputs:
            if d not in refs(output_sets, "dataOutputRefs"):
                yield _spec("spec-ext088", doc, io, f"the data output {d} is in no output set")
        for s in input_sets:
            listed = [(r.text or "").strip() for r in s.findall(f"{BPMN}dataInputRefs")]
            for tag, code in (
                ("optionalInputRefs", "spec-ext085"),
                ("whileExecutingInputRefs", "spec-ext086"),
            ):
                for r in s.findall(f"{BPMN}{tag}"):
                    if (r.text or "").strip() not in listed:
                        yield _spec(code, doc, io, f"{tag} {r.text} is not among the set's dataInputRefs")
        for s in output_sets:
            listed = [(r.text or "").strip() for r in s.findall(f"{BPMN}dataOutputRefs")]
            for tag, code in (
                ("optionalOutputRefs", "spec-ext089"),
                ("whileExecutingOutputRefs", "spec-ext090"),
            ):
                for r in s.findall(f"{BPMN}{tag}"):
                    if (r.text or "").strip() not in listed:
                        yield _spec(code, doc, io, f"{tag} {r.text} is not among the set's dataOutputRefs")
        by_id = {s.get("id"): s for s in input_sets + output_sets if s.get("id")}
        for s in input_sets:
            for r in s.findall(f"{BPMN}outputSetRefs"):
                other = by_id.get((r.text or "").strip())
                if other is not None and s.get("id") not in [
                    (x.text or "").strip() for x in other.findall(f"{BPMN}inputSetRefs")
                ]:
                    yield _spec("spec-ext087", doc, io, "input and output sets must reference each other")
        for s in output_sets:
            for r in s.findall(f"{BPMN}inputSetRefs"):
                other = by_id.get((r.text or "").strip())
                if other is not None and s.get("id") not in [
                    (x.text or "").strip() for x in other.findall(f"{BPMN}outputSetRefs")
                ]:
                    yield _spec("spec-ext087", doc, io, "input and output sets must reference each other")
        kind = _kind(owner)
        operation = owner.get("operationRef")
        if kind == "serviceTask" and operation:
            if len(input_sets) != 1:
                yield _spec(
                    "spec-ext042", doc, owner, "a service task calling an operation needs one input set"
                )
            if len(output_sets) > 1:
                yield _spec(
                    "spec-ext043", doc, owner, "a service task calling an operation has one output set"
                )
        if kind == "sendTask" and owner.get("messageRef"):
            if len(input_sets) > 1:
                yield _spec("spec-ext046", doc, owner, "a send task has at most one input set")
            if len(inputs) > 1:
                yield _spec("spec-ext047", doc, owner, "a send task has at most one data input")
        if kind == "receiveTask" and owner.get("messageRef"):
            if len(output_sets) > 1:
                yield _spec("spec-ext050", doc, owner, "a receive task has at most one output set")
            if len(outputs) > 1:
                yield _spec("spec-ext051", doc, owner, "a receive task has at most one data output")
        if kind in ("sendTask", "receiveTask") and owner.get("messageRef"):
            message = ids.get(owner.get("messageRef"))
            item = message.get("itemRef") if message is not None else None
            carriers = io.findall(f"{BPMN}dataInput" if kind == "sendTask" else f"{BPMN}dataOutput")
            for carrier in carriers:
                if item and carrier.get("itemSubjectRef") != item:
                    code = "spec-ext048" if kind == "sendTask" else "spec-ext052"
                    yield _spec(code, doc, owner, "the data must be of the item its message declares")
        if kind in ("serviceTask", "sendTask", "receiveTask") and operation:
            op = ids.get(operation)
            if op is not None:
                for tag, carrier_tag, code in (
                    ("inMessageRef", "dataInput", "spec-ext044"),
                    ("outMessageRef", "dataOutput", "spec-ext045"),
                ):
                    ref = op.find(f"{BPMN}{tag}")
                    message = ids.get((ref.text or "").strip()) if ref is not None else None
                    item = message.get("itemRef") if message is not None else None
                    for carrier in io.findall(f"{BPMN}{carrier_tag}"):
                        if item and carrier.get("itemSubjectRef") != item:
                            yield _spec(
                                code, doc, owner, f"the {carrier_tag} must be of the operation's message item"
                            )
    for assoc in root.iter(f"{BPMN}dataInputAssociation", f"{BPMN}dataOutputAssociation"):
        sources = assoc.findall(f"{BPMN}sourceRef")
        target = assoc.find(f"{BPMN}targetRef")
        if assoc.find(f"{BPMN}transformation") is not None:
            continue
        if len(sources) > 1:
            yield _spec("spec-ext092", doc, assoc, "an association without transformation has one source")
        elif sources and target is not None:
            a = _item_of(ids.get((sources[0].text or "").strip()), ids)
            b = _item_of(ids.get((target.text or "").strip()), ids)
            if a is not None and b is not None and a is not b:
                yield _spec("spec-ext091", doc, assoc, "source and target have different item definitions")
    for node in root.iter():
        if _kind(node) not in _EVENTS:
            continue
        defs = [c for c in node if _kind(c) in _EVENT_DEFS]
        carriers = node.findall(f"{BPMN}dataInput") + node.findall(f"{BPMN}dataOutput")
        if carriers and len(carriers) != len(defs):
            yield _spec(
                "spec-ext093", doc, node, "an event with data needs one data input/output per definition"
            )
        for carrier, definition in zip(carriers, defs, strict=False):
            ref = (
                definition.get("messageRef")
                or definition.get("signalRef")
                or definition.get("errorRef")
                or definition.get("escalationRef")
            )
            target = ids.get(ref or "")
            expected = target.get("itemRef") or target.get("structureRef") if target is not None else None
            if expected and carrier.get("itemSubjectRef") != expected:
                yield _spec("spec-ext094", doc, node, "the event's data must match its definition's item")


def _expression_rules(doc: XmlDocument) -> Iterator[Diagnostic]:
    import ast

    for tag in _EXPRESSION_TAGS:
        for node in doc.root.iter(f"{BPMN}{tag}"):
            formal = "FormalExpression" in (node.get(f"{{{_XSI}}}type") or "") or tag == "formalExpression"
            text = (node.text or "").strip()
            if not text and formal:
                yield _spec("spec-ext013", doc, node, f"the formal expression of {tag} has no body")
                continue
            if tag == "transformation" and not text and not len(node):
                yield _spec("spec-ext013", doc, node, "the transformation has no expression")
            if tag in _CONDITION_TAGS and text:
                try:
                    tree = ast.parse(text, mode="eval")
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue
                body = tree.body
                if isinstance(body, ast.Constant) and not isinstance(body.value, bool):
                    code = (
                        "spec-ext072"
                        if node.getparent() is not None
                        and _kind(node.getparent()) == ("complexBehaviorDefinition")
                        else "spec-ext071"
                    )
                    yield _spec(code, doc, node, f"the {tag} '{text}' is not a boolean condition")


_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _misc_event_rules(doc: XmlDocument, ids: dict) -> Iterator[Diagnostic]:
    root = doc.root
    for ref in root.iter(f"{BPMN}eventDefinitionRef"):
        target = ids.get((ref.text or "").strip())
        if target is not None and _kind(target.getparent()) in ("intermediateThrowEvent", "endEvent"):
            yield _spec(
                "spec-ext095", doc, ref.getparent(), "uses an event definition owned by a throw event"
            )
    if _uses_flow_lists(root):
        for start in root.iter(f"{BPMN}startEvent"):
            if start.find(f"{BPMN}outgoing") is None and _kind(start.getparent()) in _LEVELS:
                yield _spec("spec-ext101", doc, start, "the start event does not list its outgoing flow")
        for end in root.iter(f"{BPMN}endEvent"):
            if end.find(f"{BPMN}incoming") is None and _kind(end.getparent()) in _LEVELS:
                yield _spec("spec-ext107", doc, end, "the end event does not list its incoming flow")
    for catch in root.iter(f"{BPMN}intermediateCatchEvent"):
        if not _defs_of(catch):
            yield _spec("spec-ext148", doc, catch, "an intermediate catch event needs an event definition")
    for assoc in root.iter(f"{BPMN}dataInputAssociation", f"{BPMN}dataOutputAssociation"):
        for tag in ("assignment", "transformation"):
            if assoc.find(f"{BPMN}{tag}") is not None:
                yield error(
                    "unsupported-construct",
                    f"{_label(assoc)} uses a data {tag}, which motcua's engine (SpiffWorkflow 3.2) ignores; "
                    "compute the value in a script task instead.",
                    **_where(doc, assoc),
                )
    for sub in root.iter(f"{BPMN}subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.findall(f"{BPMN}startEvent"):
            defs = _defs_of(start)
            allowed = {
                "message",
                "error",
                "escalation",
                "compensate",
                "conditional",
                "signal",
                "timer",
                "ref",
            }
            if start.get("isInterrupting") == "false":
                allowed -= {"error", "compensate"}
            for d in defs:
                if d not in allowed:
                    yield _spec(
                        "spec-ext059",
                        doc,
                        start,
                        f"an event sub-process must not start on {d}",
                        also=("ext129",),
                    )
    for task in root.iter(f"{BPMN}receiveTask"):
        if task.get("instantiate") == "true":
            level = _level_of(task)
            if level is not None and any(
                f.get("targetRef") == task.get("id") for f in level.findall(f"{BPMN}sequenceFlow")
            ):
                yield _spec(
                    "spec-ext049", doc, task, "an instantiating receive task must not have incoming flows"
                )
    for gateway in root.iter(f"{BPMN}eventBasedGateway"):
        level = _level_of(gateway)
        flows = level.findall(f"{BPMN}sequenceFlow") if level is not None else []
        if gateway.get("instantiate") == "true" and any(
            f.get("targetRef") == gateway.get("id") for f in flows
        ):
            yield _spec(
                "spec-ext142", doc, gateway, "an instantiating event gateway must not have incoming flows"
            )
        targets = [f.get("targetRef") for f in flows if f.get("sourceRef") == gateway.get("id")]
        for boundary in root.iter(f"{BPMN}boundaryEvent"):
            attached = ids.get(boundary.get("attachedToRef") or "")
            if attached is not None and _kind(attached) == "receiveTask" and attached.get("id") in targets:
                yield _spec(
                    "spec-ext140",
                    doc,
                    attached,
                    "a receive task after an event gateway must not have boundary events",
                )
    for boundary in root.iter(f"{BPMN}boundaryEvent"):
        if "compensate" not in _defs_of(boundary):
            continue
        associations = [
            a for a in root.iter(f"{BPMN}association") if a.get("sourceRef") == boundary.get("id")
        ]
        if not associations:
            yield _spec(
                "spec-ext143",
                doc,
                boundary,
                "a compensation boundary event needs an association to its compensation activity",
            )
        for a in associations:
            target = ids.get(a.get("targetRef") or "")
            if target is not None and target.get("isForCompensation") != "true":
                yield _spec(
                    "spec-ext144", doc, boundary, "the associated activity must be marked for compensation"
                )
    for call in root.iter(f"{BPMN}callActivity"):
        called = ids.get(call.get("calledElement") or "")
        if called is not None and _kind(called) == "process":
            starts = called.findall(f"{BPMN}startEvent")
            if starts and not any(not _defs_of(s) for s in starts):
                yield _spec("spec-ext099", doc, call, "the called process needs a none start event")
        if called is not None and _kind(called).startswith("global"):
            mine, theirs = call.find(f"{BPMN}ioSpecification"), called.find(f"{BPMN}ioSpecification")

            def shape(io):
                if io is None:
                    return ([], [])
                return (
                    sorted(d.get("itemSubjectRef") or "" for d in io.findall(f"{BPMN}dataInput")),
                    sorted(d.get("itemSubjectRef") or "" for d in io.findall(f"{BPMN}dataOutput")),
                )

            if shape(mine) != shape(theirs):
                yield _spec("spec-ext063", doc, call, "the call activity's data must match the called task's")
            if called.find(f"{BPMN}ioBinding") is None and called.get("supportedInterfaceRef") is not None:
                yield _spec(
                    "spec-ext064", doc, called, "a global task exposed as a service needs an ioBinding"
                )


SPEC_RULES = [specification_rules, specification_rules_more, more_unsupported_constructs, foreign_extensions]
