"""Validation: uploaded bytes in, diagnostics (and, when clean, the parsed process) out.

The same path serves ``motcua validate``, deployment and loading a stored version for execution, so
what runs is exactly what was checked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .diagnostics import Diagnostic, error, has_errors
from .model import ProcessModel, describe_process
from .normalize import quote_bare_timer_literals, rewrite_equivalents
from .parsing import MotcuaBpmnParser
from .rules import RULES, Rule, RuleContext, run_rules
from .xml import DEFAULT_MAX_BYTES, NSMAP, UnsafeOrMalformedXml, XmlDocument, parse_xml


@dataclass(frozen=True)
class SourceFile:
    """One uploaded file: a BPMN or DMN model (forms travel separately)."""

    filename: str
    content: bytes


@dataclass
class ValidationResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    process: ProcessModel | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics) and self.process is not None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]


_schema_lock = threading.Lock()
_dmn_schemas: dict[str, etree.XMLSchema] = {}


def _schema_errors(doc: XmlDocument) -> list[Diagnostic]:
    """All XML-schema errors (SpiffWorkflow's own validator reports only the last one)."""
    if doc.kind == "bpmn":
        VALIDATOR.preprocess(doc.root)
        schema = VALIDATOR.validator
    else:
        location = DMN_SCHEMAS.get(etree.QName(doc.root).namespace)
        if location is None:
            return []
        with _schema_lock:
            if location not in _dmn_schemas:
                _dmn_schemas[location] = etree.XMLSchema(etree.parse(location))
        schema = _dmn_schemas[location]
    with _schema_lock:
        valid = schema.validate(doc.root)
        log = list(schema.error_log) if not valid else []
    found = []
    for entry in log[:50]:
        found.append(
            error(
                "xml-schema",
                entry.message,
                element_id=_id_at_line(doc.root, entry.line),
                line=entry.line or None,
                file=doc.filename,
            )
        )
    return found


def _id_at_line(root: etree._Element, line: int | None) -> str | None:
    if not line:
        return None
    for node in root.iter():
        if isinstance(node.tag, str) and node.sourceline == line and node.get("id"):
            return node.get("id")
    return None


def _line_of(docs: Sequence[XmlDocument], element_id: str | None) -> tuple[int | None, str | None]:
    if not element_id:
        return None, None
    for doc in docs:
        for node in doc.root.iter():
            if isinstance(node.tag, str) and node.get("id") == element_id:
                return node.sourceline, doc.filename
    return None, None


def load_documents(
    files: Iterable[SourceFile], max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[list[XmlDocument], list[Diagnostic]]:
    """Parse each file safely and apply motcua's rewrites (timer literals)."""
    docs, diagnostics = [], []
    for source in files:
        try:
            doc = parse_xml(source.content, source.filename, max_bytes=max_bytes)
        except UnsafeOrMalformedXml as exc:
            diagnostics.append(exc.diagnostic)
            continue
        if doc.kind == "bpmn":
            quote_bare_timer_literals(doc.root)
            try:
                rewrite_equivalents(doc.root)
            except Exception as exc:  # a foreign file may be shaped in ways no rewrite expects
                diagnostics.append(
                    error(
                        "bpmn-unreadable",
                        f"The model could not be prepared: {type(exc).__name__}: {exc}",
                        file=source.filename,
                    )
                )
                continue
        docs.append(doc)
    return docs, diagnostics


def choose_process(
    docs: Sequence[XmlDocument], process_id: str | None
) -> tuple[str | None, list[Diagnostic]]:
    """The process to deploy: the one asked for, or the only executable process no other one calls."""
    executable: list[str] = []
    called: set[str] = set()
    for doc in docs:
        if doc.kind != "bpmn":
            continue
        for proc in doc.root.iter(f"{{{NSMAP['bpmn']}}}process"):
            if proc.get("isExecutable") == "true" and proc.get("id"):
                executable.append(proc.get("id"))
        for call in doc.root.iter(f"{{{NSMAP['bpmn']}}}callActivity"):
            if call.get("calledElement"):
                called.add(call.get("calledElement"))
    if process_id is not None:
        if process_id in executable:
            return process_id, []
        return None, [
            error(
                "process-unknown",
                f"There is no executable process '{process_id}' in the files "
                f"(found: {', '.join(executable) or 'none'}).",
            )
        ]
    candidates = [p for p in executable if p not in called]
    if len(candidates) == 1:
        return candidates[0], []
    if not candidates:
        return None, [error("process-missing", "The files contain no executable process to run.")]
    return None, [
        error(
            "process-ambiguous",
            f"The files contain several executable processes "
            f"({', '.join(candidates)}); say which one to run.",
        )
    ]


def parse_process(docs: Sequence[XmlDocument], process_id: str) -> ProcessModel:
    """Hand safe documents to SpiffWorkflow and describe the result; raises SpiffWorkflow's errors."""
    parser = MotcuaBpmnParser()  # the schema was checked above, with every error reported
    for doc in docs:
        if doc.kind == "dmn":
            parser.add_dmn_xml(doc.root, filename=doc.filename)
    for doc in docs:
        if doc.kind == "bpmn":
            parser.add_bpmn_xml(doc.root, filename=doc.filename)
    spec = parser.get_spec(process_id)
    subprocess_specs = parser.get_subprocess_specs(process_id)
    return describe_process(spec, subprocess_specs, _process_properties(docs, process_id))


def _process_properties(docs: Sequence[XmlDocument], process_id: str) -> dict[str, str]:
    """``spiffworkflow:properties`` on the process element itself (SpiffWorkflow does not read them)."""
    found: dict[str, str] = {}
    for doc in docs:
        if doc.kind != "bpmn":
            continue
        for proc in doc.root.iter(f"{{{NSMAP['bpmn']}}}process"):
            if proc.get("id") != process_id:
                continue
            for ext in proc.findall(f"{{{NSMAP['bpmn']}}}extensionElements"):
                for prop in ext.iter(f"{{{NSMAP['spiffworkflow']}}}property"):
                    if prop.get("name"):
                        found[prop.get("name")] = prop.get("value") or ""
    return found


def validate(
    files: Iterable[SourceFile],
    *,
    process_id: str | None = None,
    context: RuleContext | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    rules: Sequence[Rule] = RULES,
) -> ValidationResult:
    """Check uploaded models completely; never raises for anything in the files."""
    context = context or RuleContext()
    files = list(files)
    if not files:
        return ValidationResult([error("no-files", "No files were given.")])
    docs, diagnostics = load_documents(files, max_bytes)
    if has_errors(diagnostics):
        return ValidationResult(diagnostics)
    for doc in docs:
        diagnostics.extend(_schema_errors(doc))
    for doc in docs:
        try:
            diagnostics.extend(run_rules(doc, context, rules))
        except Exception as exc:  # report, never crash on a foreign file
            diagnostics.append(
                error(
                    "bpmn-unreadable",
                    f"The model could not be checked: {type(exc).__name__}: {exc}",
                    file=doc.filename,
                )
            )
    chosen, problems = choose_process(docs, process_id)
    diagnostics.extend(problems)
    if has_errors(diagnostics) or chosen is None:
        return ValidationResult(diagnostics)
    try:
        process = parse_process(docs, chosen)
    except ValidationException as exc:
        line, filename = _line_of(docs, exc.id or None)
        diagnostics.append(
            error(
                "bpmn-invalid",
                str(exc).split("\n")[0],
                element_id=exc.id or None,
                line=line,
                file=filename or exc.file_name or None,
            )
        )
        return ValidationResult(diagnostics)
    except SpiffWorkflowException as exc:
        element_id = getattr(getattr(exc, "task_spec", None), "bpmn_id", None)
        line, filename = _line_of(docs, element_id)
        diagnostics.append(error("bpmn-invalid", str(exc), element_id=element_id, line=line, file=filename))
        return ValidationResult(diagnostics)
    except Exception as exc:  # a foreign file may trip anything inside the parser; report, don't crash
        diagnostics.append(
            error("bpmn-unreadable", f"The model could not be read: {type(exc).__name__}: {exc}")
        )
        return ValidationResult(diagnostics)
    return ValidationResult(diagnostics, process)
