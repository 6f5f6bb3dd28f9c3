"""Checks motcua runs on a model before SpiffWorkflow parses it.

Each rule takes a parsed document and yields diagnostics. They cover what the XML schema and
SpiffWorkflow's parser do not: constructs SpiffWorkflow 3.2 accepts but runs wrongly, code the
sandbox refuses, timer expressions that cannot fire, and motcua's own conventions (a stage on every
user task, lanes that name roles, service-task operators that exist).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from engine.roles import Stage, role_for_lane

from . import sandbox
from .diagnostics import Diagnostic, error, warning
from .normalize import TIMER_ELEMENTS
from .xml import NSMAP, XmlDocument, enclosing_id

BPMN = f"{{{NSMAP['bpmn']}}}"
SPIFF = f"{{{NSMAP['spiffworkflow']}}}"
HUMAN_TASK_TAGS = ("userTask", "manualTask")


@dataclass(frozen=True)
class RuleContext:
    """What the rules may know beyond the document itself."""

    known_operators: frozenset[str] | None = None
    allowed_names: frozenset[str] = field(default_factory=lambda: sandbox.SandboxPolicy().allowed_names)


Rule = Callable[[XmlDocument, RuleContext], Iterable[Diagnostic]]


def _where(doc: XmlDocument, node: etree._Element, line_offset: int = 0) -> dict:
    line = node.sourceline + line_offset if node.sourceline else None
    return {"element_id": enclosing_id(node), "line": line, "file": doc.filename}


def _label(node: etree._Element) -> str:
    owner = node
    while owner is not None and not owner.get("id"):
        owner = owner.getparent()
    if owner is None:
        return "the model"
    kind = etree.QName(owner).localname
    name = owner.get("name")
    return f"{kind} '{name}' ({owner.get('id')})" if name else f"{kind} {owner.get('id')}"


# --------------------------------------------------------------------------- unsupported constructs


def unsupported_constructs(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Constructs SpiffWorkflow 3.2.0 parses but runs wrongly; refused rather than run wrongly."""
    if doc.kind != "bpmn":
        return
    root = doc.root
    for node in root.iter(f"{BPMN}linkEventDefinition"):
        yield error(
            "unsupported-construct",
            f"{_label(node)} is a link event without exactly one partner of the same name on the same "
            "process level. motcua runs a throw/catch pair of link events as a sequence flow; a lone link "
            "event would stall, so it is not supported: give it its partner or draw a sequence flow.",
            **_where(doc, node),
        )
    for node in root.iter(f"{BPMN}compensateEventDefinition"):
        yield error(
            "unsupported-construct",
            f"{_label(node)} uses compensation, which motcua's engine ignores; it is not supported.",
            **_where(doc, node),
        )
    for node in root.iter():
        if isinstance(node.tag, str) and node.get("isForCompensation") == "true":
            yield error(
                "unsupported-construct",
                f"{_label(node)} is a compensation handler, which motcua's engine never runs; "
                "compensation is not supported.",
                **_where(doc, node),
            )


# --------------------------------------------------------------------------- code in the model

_EVAL, _EXEC = "eval", "exec"
_DMN_WORDS = re.compile(r"__|\b(import|eval|exec|open|compile|getattr|globals|locals|lambda)\b")


def _code_sites(doc: XmlDocument) -> Iterator[tuple[etree._Element, str, str, str]]:
    """(node, code, mode, what) for every piece of code the engine would evaluate."""
    root = doc.root
    if doc.kind == "dmn":
        for node in root.iter():
            if not isinstance(node.tag, str) or etree.QName(node).localname != "text":
                continue
            parent = etree.QName(node.getparent()).localname
            if parent in ("inputExpression", "outputEntry"):
                yield node, node.text or "", _EVAL, f"DMN {parent}"
            elif parent == "inputEntry":
                yield node, node.text or "", "dmn-test", "DMN input entry"
        return
    for node in root.iter(f"{BPMN}script"):
        yield node, node.text or "", _EXEC, "script"
    for tag in (
        "conditionExpression",
        "condition",
        "loopCardinality",
        "completionCondition",
        "loopCondition",
        "activationCondition",
        "messagePath",
    ):
        for node in root.iter(f"{BPMN}{tag}"):
            yield node, node.text or "", _EVAL, tag
    for tag in TIMER_ELEMENTS:
        for node in root.iter(f"{BPMN}{tag}"):
            yield node, node.text or "", _EVAL, "timer expression"
    for tag in ("preScript", "postScript"):
        for node in root.iter(f"{SPIFF}{tag}"):
            yield node, node.text or "", _EXEC, tag
    for node in root.iter(f"{SPIFF}messagePayload"):
        yield node, node.text or "", _EVAL, "message payload"
    for node in root.iter(f"{SPIFF}parameter"):
        if node.get("value") is not None:
            yield node, node.get("value"), _EVAL, f"parameter '{node.get('id')}'"


def sandboxed_code(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Every script and expression must pass the sandbox; refused code is named with its line."""
    for node, code, mode, what in _code_sites(doc):
        if not code.strip():
            continue
        leading = len(code) - len(code.lstrip("\n"))
        if mode == "dmn-test":
            match = _DMN_WORDS.search(code)
            if match:
                yield error(
                    "script-forbidden",
                    f"{what} in {_label(node)} uses '{match.group(0)}', which the sandbox does not allow.",
                    **_where(doc, node, leading),
                )
            continue
        for problem in sandbox.check_source(code, mode, ctx.allowed_names):
            offset = leading + (problem.lineno - 1 if problem.lineno else 0)
            code_name = "script-syntax" if problem.reason.startswith("syntax error") else "script-forbidden"
            yield error(
                code_name, f"{what} in {_label(node)}: {problem.reason}.", **_where(doc, node, offset)
            )


def timer_expressions(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A literal timer value must parse as ISO 8601, or the timer could never fire."""
    if doc.kind != "bpmn":
        return
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition as Timer

    parsers = {
        "timeDuration": Timer.parse_iso_duration,
        "timeDate": Timer.parse_time_or_duration,
        "timeCycle": Timer.parse_iso_recurring_interval,
    }
    for tag, parse in parsers.items():
        for node in doc.root.iter(f"{BPMN}{tag}"):
            text = (node.text or "").strip()
            if not text:
                yield error("timer-empty", f"{_label(node)} has an empty {tag}.", **_where(doc, node))
                continue
            if len(text) < 2 or text[0] not in "'\"" or text[-1] != text[0]:
                continue  # an expression over data: judged by the sandbox, evaluated at run time
            try:
                parse(text[1:-1])
            except Exception:
                yield error(
                    "timer-invalid",
                    f"{_label(node)}: {text} is not a valid ISO 8601 {tag} (for example PT2H, P3D, "
                    "R3/PT1H or 2025-07-01T08:00:00+07:00).",
                    **_where(doc, node),
                )


# --------------------------------------------------------------------------- motcua conventions


def element_properties(node: etree._Element) -> dict[str, str]:
    """The name/value properties attached to a BPMN element's extension elements."""
    props: dict[str, str] = {}
    for prop in node.iterfind(f"{BPMN}extensionElements/{SPIFF}properties/{SPIFF}property"):
        if prop.get("name"):
            props[prop.get("name")] = prop.get("value", "")
    return props


def five_stage_conventions(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """User tasks carry a valid stage; lanes name roles officers hold."""
    if doc.kind != "bpmn":
        return
    lanes: dict[str, str] = {}
    for lane in doc.root.iter(f"{BPMN}lane"):
        for ref in lane.iterfind(f"{BPMN}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or lane.get("id")
    stages = ", ".join(s.value for s in Stage)
    for tag in HUMAN_TASK_TAGS:
        for task in doc.root.iter(f"{BPMN}{tag}"):
            task_id = task.get("id")
            stage = element_properties(task).get("stage")
            if stage is None:
                yield warning(
                    "stage-missing",
                    f"{_label(task)} has no 'stage' property; it will not count towards any of the five "
                    f"stages ({stages}).",
                    **_where(doc, task),
                )
            elif stage not in {s.value for s in Stage}:
                yield error(
                    "stage-invalid",
                    f"{_label(task)} has stage '{stage}'; it must be one of {stages}.",
                    **_where(doc, task),
                )
            lane = lanes.get(task_id)
            if lane is None:
                yield warning(
                    "lane-missing",
                    f"{_label(task)} is in no lane, so any officer of the agency may take it.",
                    **_where(doc, task),
                )
            elif role_for_lane(lane) is None:
                yield warning(
                    "lane-unknown-role",
                    f"{_label(task)} is in lane '{lane}', which names no motcua role; only officers "
                    f"holding a role called '{lane}' will see it.",
                    **_where(doc, task),
                )


def service_operators(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Service tasks must call an operator this installation has registered."""
    if doc.kind != "bpmn" or ctx.known_operators is None:
        return
    for op in doc.root.iter(f"{SPIFF}serviceTaskOperator"):
        name = op.get("id")
        if name and name not in ctx.known_operators:
            known = ", ".join(sorted(ctx.known_operators)) or "none"
            yield error(
                "operator-unknown",
                f"{_label(op)} calls the operator '{name}', which is not registered (registered: {known}).",
                **_where(doc, op),
            )


def executable_process(doc: XmlDocument, ctx: RuleContext) -> Iterator[Diagnostic]:
    if doc.kind != "bpmn":
        return
    processes = list(doc.root.iter(f"{BPMN}process"))
    if not processes:
        yield error("process-missing", "The file contains no bpmn:process.", file=doc.filename)
    elif not any(p.get("isExecutable") == "true" for p in processes):
        yield error(
            "process-not-executable",
            'No process in the file is marked isExecutable="true"; mark the one motcua should run.',
            **_where(doc, processes[0]),
        )


RULES: list[Rule] = [
    executable_process,
    unsupported_constructs,
    sandboxed_code,
    timer_expressions,
    five_stage_conventions,
    service_operators,
]


def run_rules(doc: XmlDocument, ctx: RuleContext, rules: Iterable[Rule] = RULES) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in rules:
        found.extend(rule(doc, ctx))
    return found


# The rules of the BPMN specification live in their own module; imported last, as they use the helpers above.
from .spec_rules import SPEC_RULES  # noqa: E402

RULES.extend(SPEC_RULES)
