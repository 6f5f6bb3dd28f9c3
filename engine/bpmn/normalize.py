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


# --------------------------------------------------------------------------- structural rewrites
#
# SpiffWorkflow 3.2 refuses or mis-runs some standard BPMN that has an exact equivalent it runs
# correctly. These rewrites replace such constructs by that equivalent before parsing. Rewritten and
# added elements keep (or derive their ids from) the original ids, so diagnostics and the event log
# still name what the designer drew. Every rewrite keeps the document valid against the BPMN schema.

BPMN = f"{{{NSMAP['bpmn']}}}"
#: Marks an element a rewrite added (not drawn by the designer), so the structural rules skip it.
GENERATED = "{https://motcua.vn/bpmn/rewrite}generated"
_GATEWAYS = {
    "exclusiveGateway",
    "inclusiveGateway",
    "parallelGateway",
    "complexGateway",
    "eventBasedGateway",
    "gateway",
}
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
_HEAD_CHILDREN = {"documentation", "extensionElements", "auditing", "monitoring", "categoryValueRef"}


def _local(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _unique_id(root: etree._Element, wanted: str) -> str:
    taken = {n.get("id") for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}_{n}"
    return candidate


def _lists_flows(node: etree._Element) -> bool:
    """Whether the modeller wrote ``incoming``/``outgoing`` lists on this element (many tools do not)."""
    return node.find(f"{BPMN}incoming") is not None or node.find(f"{BPMN}outgoing") is not None


def _insert_after_head(node: etree._Element, child: etree._Element, after: tuple[str, ...] = ()) -> None:
    """Insert ``child`` after the leading documentation/extension elements (and any ``after`` tags),
    only where the element already lists its flows, so a rewrite never makes a list incomplete."""
    if not _lists_flows(node):
        return
    position = 0
    for index, existing in enumerate(node):
        if (
            _local(existing) in _HEAD_CHILDREN
            or _local(existing) in after
            or not isinstance(existing.tag, str)
        ):
            position = index + 1
        else:
            break
    node.insert(position, child)


def _flow(parent: etree._Element, flow_id: str, source: str, target: str) -> etree._Element:
    flow = etree.SubElement(parent, f"{BPMN}sequenceFlow", id=flow_id, sourceRef=source, targetRef=target)
    return flow


def _flows_by_source(container: etree._Element) -> dict[str, list[etree._Element]]:
    found: dict[str, list[etree._Element]] = {}
    for flow in container.findall(f"{BPMN}sequenceFlow"):
        found.setdefault(flow.get("sourceRef") or "", []).append(flow)
    return found


def inline_event_definition_refs(root: etree._Element) -> int:
    """``<eventDefinitionRef>X</eventDefinitionRef>`` -> a copy of the top-level definition X in place
    (SpiffWorkflow ignores the reference, so the event would silently become a none event)."""
    definitions = {
        n.get("id"): n for n in root if _local(n).endswith("EventDefinition") and n.get("id") is not None
    }
    rewritten = 0
    for ref in list(root.iter(f"{BPMN}eventDefinitionRef")):
        target = definitions.get((ref.text or "").strip())
        owner = ref.getparent()
        if target is None or owner is None:
            continue  # a dangling reference: reported by the reference rule
        copy = etree.fromstring(etree.tostring(target))
        copy.tail = ref.tail
        copy.set("id", _unique_id(root, f"{target.get('id')}_{owner.get('id')}"))
        # event definitions come before eventDefinitionRefs in the schema's sequence
        first_ref = owner.find(f"{BPMN}eventDefinitionRef")
        owner.remove(ref)
        if first_ref is not None and first_ref is not ref:
            first_ref.addprevious(copy)
        else:
            following = owner.find(f"{BPMN}eventDefinitionRef")
            if following is not None:
                following.addprevious(copy)
            else:
                owner.append(copy)
        rewritten += 1
    return rewritten


def split_implicit_forks(root: etree._Element) -> int:
    """An activity or event with several outgoing sequence flows (an implicit split, with or without
    conditions and a default flow) -> the same element followed by an inclusive gateway, whose
    semantics are exactly the implicit split's: every unconditional flow and every flow whose
    condition holds gets a token, the default flow only when no condition holds."""
    rewritten = 0
    for container in [n for n in root.iter() if _local(n) in _CONTAINERS]:
        by_source = _flows_by_source(container)
        for node in list(container):
            name = _local(node)
            node_id = node.get("id")
            if not node_id or name in _GATEWAYS or name == "sequenceFlow":
                continue
            outgoing = by_source.get(node_id, [])
            if len(outgoing) < 2:
                continue
            default = node.get("default")
            unconditional = [
                f for f in outgoing if f.find(f"{BPMN}conditionExpression") is None and f.get("id") != default
            ]
            source_id = node_id
            if default and unconditional:
                # unconditional flows always get a token; the default flow only when no *condition* holds:
                # a parallel split first, one of whose branches is the inclusive choice
                fork_id = _unique_id(root, f"{node_id}_fork")
                fork_link = _unique_id(root, f"{node_id}_to_fork")
                fork = etree.Element(f"{BPMN}parallelGateway", id=fork_id, gatewayDirection="Diverging")
                node.addnext(fork)
                _flow(container, fork_link, node_id, fork_id)
                for flow in unconditional:
                    flow.set("sourceRef", fork_id)
                outgoing = [f for f in outgoing if f not in unconditional]
                old = node.findall(f"{BPMN}outgoing")
                for o in old[1:]:
                    node.remove(o)
                if old:
                    old[0].text = fork_link
                node = fork
                source_id = fork_id
                if len(outgoing) < 2 and not unconditional:
                    continue
            gateway_id = _unique_id(root, f"{node_id}_split")
            link_id = _unique_id(root, f"{node_id}_to_split")
            gateway = etree.Element(f"{BPMN}inclusiveGateway", id=gateway_id, gatewayDirection="Diverging")
            if default:
                gateway.set("default", default)
                for owner in (node, container.find(f"{BPMN}*[@id='{node_id}']")):
                    if owner is not None and owner.get("default"):
                        del owner.attrib["default"]
            if _lists_flows(node):
                etree.SubElement(gateway, f"{BPMN}incoming").text = link_id
            for flow in outgoing:
                flow.set("sourceRef", gateway_id)
                if flow.find(f"{BPMN}conditionExpression") is None and flow.get("id") != default:
                    condition = etree.SubElement(flow, f"{BPMN}conditionExpression")
                    condition.text = "True"  # an unconditional flow of an implicit split always gets a token
                if _lists_flows(node):
                    etree.SubElement(gateway, f"{BPMN}outgoing").text = flow.get("id")
            node.addnext(gateway)
            _flow(container, link_id, source_id, gateway_id)
            old = [o for o in node.findall(f"{BPMN}outgoing")]
            for o in old[1:]:
                node.remove(o)
            if old:
                old[0].text = link_id
            else:
                out = etree.Element(f"{BPMN}outgoing")
                out.text = link_id
                _insert_after_head(node, out, after=("incoming",))
            rewritten += 1
    return rewritten


def complex_gateways_as_inclusive(root: etree._Element) -> int:
    """A complex gateway without an activation condition behaves as an inclusive gateway (a split on
    conditions, a join of the tokens that can arrive); rewrite it to one. Complex gateways with an
    activation condition are left alone and refused by the rules."""
    rewritten = 0
    for node in list(root.iter(f"{BPMN}complexGateway")):
        if node.find(f"{BPMN}activationCondition") is not None:
            continue
        for child in list(node):
            if _local(child) == "complexBehaviorDefinition":
                node.remove(child)
        node.tag = f"{BPMN}inclusiveGateway"
        rewritten += 1
    return rewritten


def signal_end_events(root: etree._Element) -> int:
    """A signal end event -> an intermediate signal throw event followed by a none end event
    (SpiffWorkflow 3.2 parses signal end events as none end events: the signal is never sent)."""
    rewritten = 0
    for node in list(root.iter(f"{BPMN}endEvent")):
        definitions = [c for c in node if _local(c).endswith("EventDefinition")]
        if len(definitions) != 1 or _local(definitions[0]) != "signalEventDefinition":
            continue
        container = node.getparent()
        node_id = node.get("id")
        end_id = _unique_id(root, f"{node_id}_end")
        flow_id = _unique_id(root, f"{node_id}_to_end")
        node.tag = f"{BPMN}intermediateThrowEvent"
        out = etree.Element(f"{BPMN}outgoing")
        out.text = flow_id
        _insert_after_head(node, out, after=("incoming",))
        end = etree.Element(f"{BPMN}endEvent", id=end_id)
        if _lists_flows(node):
            etree.SubElement(end, f"{BPMN}incoming").text = flow_id
        node.addnext(end)
        _flow(container, flow_id, node_id, end_id)
        rewritten += 1
    return rewritten


def link_events_as_flows(root: etree._Element) -> int:
    """A pair of link events (throw and catch with the same name in the same process level) -> a
    sequence flow between two none intermediate events (SpiffWorkflow 3.2 stalls at link events)."""
    rewritten = 0
    for container in [n for n in root.iter() if _local(n) in _CONTAINERS]:
        catches: dict[str, list[etree._Element]] = {}
        throws: list[etree._Element] = []
        for node in container:
            definition = node.find(f"{BPMN}linkEventDefinition")
            if definition is None:
                continue
            if _local(node) == "intermediateCatchEvent":
                catches.setdefault(definition.get("name") or "", []).append(node)
            elif _local(node) == "intermediateThrowEvent":
                throws.append(node)
        for throw in throws:
            definition = throw.find(f"{BPMN}linkEventDefinition")
            targets = catches.get(definition.get("name") or "", [])
            if (
                len(targets) != 1
                or len(list(throw.iter(f"{BPMN}eventDefinitionRef")))
                or len([c for c in throw if _local(c).endswith("EventDefinition")]) != 1
            ):
                continue
            catch = targets[0]
            flow_id = _unique_id(root, f"{throw.get('id')}_link")
            throw.remove(definition)
            out = etree.Element(f"{BPMN}outgoing")
            out.text = flow_id
            _insert_after_head(throw, out, after=("incoming", "outgoing"))
            _flow(container, flow_id, throw.get("id"), catch.get("id"))
            rewritten += 1
        for targets in catches.values():
            for catch in targets:
                incoming = [t for t in throws if t.find(f"{BPMN}linkEventDefinition") is None]
                linked = [
                    f
                    for f in container.findall(f"{BPMN}sequenceFlow")
                    if f.get("targetRef") == catch.get("id")
                    and any(t.get("id") == f.get("sourceRef") for t in incoming)
                ]
                if not linked:
                    continue
                for child in list(catch):
                    if _local(child) == "linkEventDefinition":
                        catch.remove(child)
                catch.tag = f"{BPMN}intermediateThrowEvent"
                for flow in linked:
                    inc = etree.Element(f"{BPMN}incoming")
                    inc.text = flow.get("id")
                    _insert_after_head(catch, inc, after=("incoming",))
    return rewritten


def rewrite_equivalents(root: etree._Element) -> dict[str, int]:
    """Apply every structural rewrite; returns how many elements each one changed."""
    return {
        "reservedId": rename_reserved_ids(root),
        "instantiatingReceiveTask": instantiating_receive_tasks(root),
        "camundaCondition": translate_camunda_conditions(root),
        "globalTask": global_tasks_as_processes(root),
        "eventDefinitionRef": inline_event_definition_refs(root),
        "complexGateway": complex_gateways_as_inclusive(root),
        "signalEndEvent": signal_end_events(root),
        "linkEvent": link_events_as_flows(root),
        "tokenQuantity": token_quantities(root),
        "implicitSplit": split_implicit_forks(root),
    }


# --------------------------------------------------------------------------- Camunda-style conditions

_EL_EXPRESSION = re.compile(r"^\s*[$#]\{(?P<body>.*)\}\s*$", re.DOTALL)
_EL_OPERATORS = [
    (re.compile(r"&&"), " and "),
    (re.compile(r"\|\|"), " or "),
    (re.compile(r"!(?!=)"), " not "),
    (re.compile(r"\btrue\b"), "True"),
    (re.compile(r"\bfalse\b"), "False"),
    (re.compile(r"\bnull\b"), "None"),
    (re.compile(r"\beq\b"), "=="),
    (re.compile(r"\bne\b"), "!="),
    (re.compile(r"\bgt\b"), ">"),
    (re.compile(r"\blt\b"), "<"),
    (re.compile(r"\bge\b"), ">="),
    (re.compile(r"\ble\b"), "<="),
]
_EL_SIMPLE = re.compile(r"^[\w\s.<>=!&|()'\"+\-*/%]*$")


def camunda_expression_to_python(text: str) -> str | None:
    """``${amount > 100}`` -> ``amount > 100``, ``${approved && !rejected}`` -> ``approved and not rejected``.

    Only simple expressions (names, literals, comparisons, boolean and arithmetic operators) are
    translated; anything else (method calls, JUEL functions) is left for the sandbox to refuse."""
    match = _EL_EXPRESSION.match(text or "")
    if not match:
        return None
    body = match.group("body").strip()
    if not body or not _EL_SIMPLE.match(body):
        return None
    for pattern, replacement in _EL_OPERATORS:
        body = pattern.sub(replacement, body)
    return " ".join(body.split())


def translate_camunda_conditions(root: etree._Element) -> int:
    rewritten = 0
    for tag in ("conditionExpression", "condition", "completionCondition", "loopCardinality"):
        for node in root.iter(f"{BPMN}{tag}"):
            python = camunda_expression_to_python(node.text or "")
            if python is not None:
                node.text = python
                rewritten += 1
    return rewritten


_GLOBAL_TASKS = {
    "globalScriptTask": "scriptTask",
    "globalUserTask": "userTask",
    "globalManualTask": "manualTask",
    "globalTask": "task",
    "globalBusinessRuleTask": "businessRuleTask",
}


def global_tasks_as_processes(root: etree._Element) -> int:
    """A call activity may call a global task; SpiffWorkflow calls only processes. A called global task
    without data mappings becomes a process of one task (start -> the task -> end), which is exactly
    what calling it means."""
    called = {c.get("calledElement") for c in root.iter(f"{BPMN}callActivity")}
    rewritten = 0
    for node in list(root):
        kind = _local(node)
        if kind not in _GLOBAL_TASKS or node.get("id") not in called:
            continue
        if any(_local(c) in ("ioSpecification", "ioBinding", "supportedInterfaceRef") for c in node):
            continue  # data mappings motcua does not translate: refused by the rules
        task_id = node.get("id")
        process = etree.Element(f"{BPMN}process", id=task_id, isExecutable="true")
        if node.get("name"):
            process.set("name", node.get("name"))
        start = _unique_id(root, f"{task_id}_start")
        inner = _unique_id(root, f"{task_id}_task")
        end = _unique_id(root, f"{task_id}_end")
        f1, f2 = _unique_id(root, f"{task_id}_f1"), _unique_id(root, f"{task_id}_f2")
        etree.SubElement(
            etree.SubElement(process, f"{BPMN}startEvent", id=start), f"{BPMN}outgoing"
        ).text = f1
        task = etree.SubElement(process, f"{BPMN}{_GLOBAL_TASKS[kind]}", id=inner)
        for attr in ("name", "scriptFormat", "implementation"):
            if node.get(attr):
                task.set(attr, node.get(attr))
        children = [
            c for c in node if isinstance(c.tag, str) and _local(c) not in ("resourceRole", "performer")
        ]
        head = [c for c in children if _local(c) in _HEAD_CHILDREN]
        for child in head:
            task.append(child)
        etree.SubElement(task, f"{BPMN}incoming").text = f1
        etree.SubElement(task, f"{BPMN}outgoing").text = f2
        for child in children:
            if child not in head:
                task.append(child)
        etree.SubElement(etree.SubElement(process, f"{BPMN}endEvent", id=end), f"{BPMN}incoming").text = f2
        _flow(process, f1, start, inner)
        _flow(process, f2, inner, end)
        process.tail = node.tail
        node.addprevious(process)
        root.remove(node)
        rewritten += 1
    return rewritten


def token_quantities(root: etree._Element) -> int:
    """``completionQuantity``/``startQuantity`` above 1 -> the standard constructs with the same token
    semantics: an activity that emits N tokens gets N parallel copies of each outgoing flow, and an
    activity that needs N tokens to start is preceded by a complex gateway that fires once N tokens have
    arrived (``activationCount >= N``). SpiffWorkflow 3.2 ignores both attributes."""
    rewritten = 0
    for container in [n for n in root.iter() if _local(n) in _CONTAINERS]:
        for node in list(container):
            node_id = node.get("id")
            if not node_id:
                continue
            quantity = _quantity(node.get("completionQuantity"))
            if quantity > 1 and not node.get("default"):
                for flow in list(_flows_by_source(container).get(node_id, [])):
                    for copy_number in range(2, quantity + 1):
                        clone = etree.fromstring(etree.tostring(flow))
                        clone.set("id", _unique_id(root, f"{flow.get('id')}_token{copy_number}"))
                        clone.tail = flow.tail
                        flow.addnext(clone)
                        _list_flow(node, "outgoing", clone.get("id"))
                        target = container.find(f"{BPMN}*[@id='{flow.get('targetRef')}']")
                        if target is not None:
                            _list_flow(target, "incoming", clone.get("id"))
                del node.attrib["completionQuantity"]
                rewritten += 1
            quantity = _quantity(node.get("startQuantity"))
            if quantity > 1:
                gateway_id = _unique_id(root, f"{node_id}_tokens")
                link_id = _unique_id(root, f"{node_id}_tokens_in")
                gateway = etree.Element(f"{BPMN}complexGateway", id=gateway_id, gatewayDirection="Converging")
                gateway.set(GENERATED, "true")  # a token counter on one flow: no gateway a designer draws
                condition = etree.SubElement(gateway, f"{BPMN}activationCondition")
                condition.text = f"activationCount >= {quantity}"
                for flow in container.findall(f"{BPMN}sequenceFlow"):
                    if flow.get("targetRef") == node_id:
                        flow.set("targetRef", gateway_id)
                incoming = node.findall(f"{BPMN}incoming")
                for old in incoming[1:]:
                    node.remove(old)
                if incoming:
                    incoming[0].text = link_id
                node.addprevious(gateway)
                _flow(container, link_id, gateway_id, node_id)
                del node.attrib["startQuantity"]
                rewritten += 1
    return rewritten


def _quantity(value: str | None) -> int:
    try:
        return int(value) if value is not None else 1
    except ValueError:
        return 1


def _list_flow(node: etree._Element, tag: str, flow_id: str) -> None:
    existing = node.findall(f"{BPMN}{tag}")
    if existing:
        element = etree.Element(f"{BPMN}{tag}")
        element.text = flow_id
        existing[-1].addnext(element)


_RESERVED_IDS = ("Start", "End")  # SpiffWorkflow names its own start and end steps so


def rename_reserved_ids(root: etree._Element) -> int:
    """A flow node with the id ``Start`` or ``End`` collides with SpiffWorkflow's own start and end
    steps ("No output task connected"); it is renamed (``Start_node``), with every reference to it."""
    rewritten = 0
    for node in list(root.iter()):
        if not isinstance(node.tag, str) or node.get("id") not in _RESERVED_IDS:
            continue
        if etree.QName(node).namespace != NSMAP["bpmn"] or _local(node) in ("process", "definitions"):
            continue
        old = node.get("id")
        new = _unique_id(root, f"{old}_node")
        node.set("id", new)
        for other in root.iter():
            if not isinstance(other.tag, str):
                continue
            for attr in ("sourceRef", "targetRef", "attachedToRef", "bpmnElement", "activityRef"):
                if other.get(attr) == old:
                    other.set(attr, new)
            if (
                _local(other) in ("flowNodeRef", "sourceRef", "targetRef")
                and (other.text or "").strip() == old
            ):
                other.text = new
        rewritten += 1
    return rewritten


def instantiating_receive_tasks(root: etree._Element) -> int:
    """A receive task with ``instantiate="true"`` and no incoming flow starts its process when the message
    arrives: exactly a message start event, which it becomes (SpiffWorkflow cannot start a process at a
    receive task). One with incoming flows breaks EXT.049 and is left for the rules to refuse."""
    rewritten = 0
    for node in list(root.iter(f"{BPMN}receiveTask")):
        container = node.getparent()
        if node.get("instantiate") != "true" or container is None or node.get("messageRef") is None:
            continue
        if any(f.get("targetRef") == node.get("id") for f in container.findall(f"{BPMN}sequenceFlow")):
            continue
        start = etree.Element(f"{BPMN}startEvent", id=node.get("id"))
        start.set(GENERATED, "true")
        if node.get("name"):
            start.set("name", node.get("name"))
        for child in list(node):
            if _local(child) in ("documentation", "extensionElements", "outgoing"):
                start.append(child)
        etree.SubElement(
            start,
            f"{BPMN}messageEventDefinition",
            id=_unique_id(root, f"{node.get('id')}_message"),
            messageRef=node.get("messageRef"),
        )
        start.tail = node.tail
        node.addprevious(start)
        container.remove(node)
        rewritten += 1
    return rewritten
