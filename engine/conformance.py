"""The BPMN conformance runner: betsy's feature and constraint models against motcua's engine.

Each feature model goes through :func:`engine.bpmn.validation.validate` (the function deployment calls
before it stores a version) and is executed by :class:`engine.bpmn.runtime.ProcessRuntime` (what the
service layer runs dossiers with), on a :class:`engine.clock.ManualClock`, so timers fire by moving
the clock, not by waiting. User and manual tasks are completed with no data. What each script appends
to ``trace`` is collected per script execution, across branches and instances, and compared as a
multiset with the expected trace, as betsy does. Constraint models must be refused by validation.

The pack layout and conventions are described in the pack's README (``shared/conformance/betsy``).
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent

from .bpmn.diagnostics import Diagnostic
from .bpmn.model import ProcessModel
from .bpmn.operators import RunContext
from .bpmn.rules import RuleContext
from .bpmn.runtime import ProcessRuntime, RunOutcome
from .bpmn.sandbox import SandboxPolicy
from .bpmn.validation import SourceFile, validate
from .bpmn.xml import NSMAP, UnsafeOrMalformedXml, parse_xml
from .clock import ManualClock

#: Betsy reads its log this long after the start when a test case gives no delay.
DEFAULT_SETTLE_MS = 2_000
#: Markers betsy's harness logs at most once per test case.
ONCE_MARKERS = ("MARKER_exists", "DATA_correct")
#: Rounds of "complete open tasks, deliver events, fire due timers" before a run counts as stuck.
MAX_ROUNDS = 200
EPOCH = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    model: str
    group: str
    passed: bool
    expected: list[str]
    actual: list[str]
    refused: bool = False
    detail: str = ""

    def to_dict(self) -> dict:
        return {
            "case": self.case_id,
            "model": self.model,
            "group": self.group,
            "passed": self.passed,
            "expected": self.expected,
            "actual": self.actual,
            "refused": self.refused,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class ConstraintResult:
    file: str
    constraint_id: str
    refused: bool
    named_rule: bool
    codes: list[str]
    message: str

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "constraint": self.constraint_id,
            "refused": self.refused,
            "named_rule": self.named_rule,
            "codes": self.codes,
            "message": self.message,
        }


@dataclass
class PackReport:
    cases: list[CaseResult] = field(default_factory=list)
    constraints: list[ConstraintResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(1 for c in self.cases if c.passed)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed

    @property
    def refused_constraints(self) -> int:
        return sum(1 for c in self.constraints if c.refused)

    @property
    def named_constraints(self) -> int:
        return sum(1 for c in self.constraints if c.named_rule)

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "constraints": {
                "files": len(self.constraints),
                "refused": self.refused_constraints,
                "named_rule": self.named_constraints,
            },
            "seconds": round(self.seconds, 2),
            "cases": [c.to_dict() for c in self.cases],
            "constraint_results": [c.to_dict() for c in self.constraints],
        }


# --------------------------------------------------------------------------- tracing sandbox


@dataclass
class TracingPolicy(SandboxPolicy):
    """The normal sandbox, recording what each script execution appends to ``trace``."""

    recorded: list[str] = field(default_factory=list)

    def execute(self, script: str, data: dict[str, Any], extra: Mapping[str, Any] | None = None) -> None:
        before = data.get("trace")
        before = list(before) if isinstance(before, list) else []
        super().execute(script, data, extra)
        after = data.get("trace")
        if isinstance(after, list) and after[: len(before)] == before:
            self.recorded.extend(str(item) for item in after[len(before) :])


class _Harness:
    """One virtual clock, one tracing sandbox and one runtime, shared by the instances of a case."""

    def __init__(self) -> None:
        self.clock = ManualClock(EPOCH)
        self.policy = TracingPolicy(
            host_functions={
                **SandboxPolicy().host_functions,
                "wait_seconds": self.wait_seconds,
                "now_ms": self.now_ms,
            }
        )
        self.runtime = ProcessRuntime(policy=self.policy, clock=self.clock.now)
        engine = self.runtime.script_engine
        run_script = engine.execute

        def execute(task, script, external_context=None):
            recorded = len(self.policy.recorded)
            result = run_script(task, script, external_context)
            if result is None:  # the activity was interrupted while the script ran: its effect is void
                del self.policy.recorded[recorded:]
            return result

        engine.execute = execute

    def wait_seconds(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=float(seconds)))

    def now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)


def rule_context() -> RuleContext:
    """The rules as deployment applies them, knowing the three host functions the pack's scripts call."""
    names = frozenset(SandboxPolicy().allowed_names | {"wait_seconds", "now_ms"})
    return RuleContext(allowed_names=names)


# --------------------------------------------------------------------------- feature models


@dataclass
class _Instance:
    process_id: str
    model: ProcessModel
    outcome: RunOutcome


def _executable_processes(content: bytes, filename: str) -> list[str]:
    try:
        root = parse_xml(content, filename).root
    except UnsafeOrMalformedXml:
        return []
    return [
        p.get("id")
        for p in root.iter(f"{{{NSMAP['bpmn']}}}process")
        if p.get("isExecutable") == "true" and p.get("id")
    ]


def deploy_model(path: Path, process_id: str) -> tuple[dict[str, ProcessModel], list[Diagnostic]]:
    """Validate every executable process of a file as deployment does; the main one must pass."""
    content = path.read_bytes()
    source = SourceFile(path.name, content)
    result = validate([source], process_id=process_id, context=rule_context())
    if not result.ok:
        return {}, result.diagnostics
    models = {process_id: result.process}
    for other in _executable_processes(content, path.name):
        if other == process_id:
            continue
        extra = validate([source], process_id=other, context=rule_context())
        if not extra.ok:
            return {}, extra.diagnostics
        models[other] = extra.process
    return models, result.diagnostics


def _expected_markers(case: Mapping[str, Any]) -> list[str]:
    expected = list(case.get("expected_trace") or [])
    error = case.get("expected_error")
    if error == "runtime":
        expected.append("ERROR_runtime")
    elif error == "thrown_error_event":
        expected.append("ERROR_thrownErrorEvent")
    elif error == "deployment_or_runtime":
        expected.append("ERROR")
    if case.get("expect_parallel_execution"):
        expected.append("EXECUTION_parallel")
    return expected


def _normalise_actual(markers: list[str], expected: list[str]) -> list[str]:
    """Betsy's substitution: where the case expects the generic ERROR, any error marker counts."""
    if "ERROR" in expected:
        return ["ERROR" if m.startswith("ERROR_") else m for m in markers]
    return markers


def run_case(
    models: dict[str, ProcessModel], entry: Mapping[str, Any], case: Mapping[str, Any]
) -> tuple[list[str], str]:
    """Run one test case; returns the collected markers (trace plus harness markers) and a note."""
    harness = _Harness()
    runtime = harness.runtime
    main_id = entry["process_id"]
    instances: list[_Instance] = []
    markers: list[str] = []
    notes: list[str] = []
    context = RunContext(extra={"conformance": case["id"]})

    def start(process_id: str, data: Mapping[str, Any]) -> _Instance:
        outcome = runtime.start(models[process_id], data, context)
        instance = _Instance(process_id, models[process_id], outcome)
        instances.append(instance)
        return instance

    if case.get("start_parallel_process_first") and "ParallelProcess" in models:
        start("ParallelProcess", {})
    main = start(main_id, dict(case.get("inputs") or {}))
    settle_ms = int(case.get("delay_ms") or 0) or DEFAULT_SETTLE_MS
    horizon = EPOCH + timedelta(milliseconds=settle_ms)
    for _ in range(MAX_ROUNDS):
        progressed = False
        for instance in list(instances):
            progressed |= _route_events(runtime, instance, instances, models, start, markers, main)
        for instance in list(instances):
            snapshot = instance.outcome.snapshot
            if instance.outcome.failure is not None:
                continue
            for task in snapshot.human_tasks:
                instance.outcome = runtime.complete_human_task(
                    instance.outcome.workflow, instance.model, task.task_id, {}, context
                )
                progressed = True
                break
        if progressed:
            continue
        due = [
            t.due_at
            for i in instances
            if i.outcome.failure is None
            for t in i.outcome.snapshot.timers
            if t.due_at <= horizon
        ]
        if not due:
            break
        moment = min(due) + timedelta(milliseconds=1)  # SpiffWorkflow fires strictly after the due time
        if moment > harness.clock.now():
            harness.clock.set(moment)
        for instance in instances:
            if instance.outcome.failure is None and instance.outcome.snapshot.timers:
                instance.outcome = runtime.fire_timers(instance.outcome.workflow, instance.model, context)
    else:
        notes.append("stopped after too many rounds")
    for instance in instances:
        if instance.outcome.failure is not None:
            markers.append("ERROR_runtime")
            notes.append(f"{instance.process_id}: {instance.outcome.failure.message}")
            break
    trace = list(harness.policy.recorded)
    for marker in ONCE_MARKERS:
        while trace.count(marker) > 1:
            trace.remove(marker)
    data = main.outcome.workflow.data if main.outcome else {}
    last = main.outcome.workflow.last_task.data if main.outcome.workflow.last_task else {}
    collected = trace + markers
    if case.get("expect_parallel_execution"):
        one = _find_value(main, "timestamps_parallelOne", data, last)
        two = _find_value(main, "timestamps_parallelTwo", data, last)
        if one and two and one[0] < two[1] and two[0] < one[1]:
            collected.append("EXECUTION_parallel")
    ignore = set(case.get("ignore_markers") or [])
    return [m for m in collected if m not in ignore], "; ".join(notes)


def _find_value(instance: _Instance, name: str, *places: Mapping[str, Any]) -> Any:
    for place in places:
        if name in place:
            return place[name]
    for task in instance.outcome.workflow.get_tasks():
        if name in task.data:
            return task.data[name]
    return None


def _route_events(
    runtime: ProcessRuntime,
    instance: _Instance,
    instances: list[_Instance],
    models: dict[str, ProcessModel],
    start: Callable[[str, Mapping[str, Any]], _Instance],
    markers: list[str],
    main: _Instance,
) -> bool:
    """Deliver what an instance threw and nothing inside it caught: to the other running instances,
    or to a new instance of another process of the file that starts on it. An error nothing caught
    aborts the instance (betsy's ERROR_thrownErrorEvent)."""
    progressed = False
    for event in instance.outcome.workflow.get_events():
        definition = event.event_definition
        if isinstance(definition, ErrorEventDefinition):
            if instance is main and "ERROR_thrownErrorEvent" not in markers:
                markers.append("ERROR_thrownErrorEvent")
            continue
        caught = 0
        for other in instances:
            if other is instance or other.outcome.failure is not None:
                continue
            workflow = other.outcome.workflow
            if workflow.is_completed():
                continue
            count = workflow.event_manager.catch(event, internal=False)
            if count:
                caught += count
                other.outcome = runtime.fire_timers(workflow, other.model, RunContext())
        if caught:
            progressed = True
            continue
        for process_id, model in models.items():
            if process_id == instance.process_id or process_id == main.process_id:
                continue
            if any(start.event_definition == definition for start in _start_events(model)):
                new = start(process_id, {})
                if new.outcome.workflow.event_manager.catch(event, internal=False):
                    new.outcome = runtime.fire_timers(new.outcome.workflow, new.model, RunContext())
                progressed = True
                break
    return progressed


def _start_events(model: ProcessModel) -> list:
    return [s for s in model.spec.task_specs.values() if isinstance(s, StartEvent)]


def run_feature_model(pack: Path, entry: Mapping[str, Any]) -> list[CaseResult]:
    path = pack / "features" / entry["file"]
    models, diagnostics = deploy_model(path, entry["process_id"])
    results = []
    for case in entry.get("test_cases") or []:
        expected = _expected_markers(case)
        if not models:
            refused_by = next((d for d in diagnostics if d.is_error), None)
            actual = ["ERROR_deployment"]
            detail = f"refused: {refused_by}" if refused_by else "refused"
            passed = Counter(_normalise_actual(actual, expected)) == Counter(expected)
            results.append(
                CaseResult(case["id"], entry["name"], entry["group"], passed, expected, actual, True, detail)
            )
            continue
        try:
            actual, note = run_case(models, entry, case)
        except Exception as exc:  # a runner must report every case, whatever the engine does
            actual, note = ["ERROR_runtime"], f"unhandled {type(exc).__name__}: {exc}"
        actual = _normalise_actual(actual, expected)
        passed = Counter(actual) == Counter(expected)
        results.append(
            CaseResult(case["id"], entry["name"], entry["group"], passed, expected, actual, False, note)
        )
    return results


# --------------------------------------------------------------------------- constraint models


def run_constraint(pack: Path, entry: Mapping[str, Any]) -> ConstraintResult:
    path = pack / "constraints" / entry["file"]
    result = validate([SourceFile(path.name, path.read_bytes())], context=rule_context())
    errors = result.errors
    wanted = entry["constraint_id"]
    codes = sorted({d.code for d in errors})
    named = [d for d in errors if _names_constraint(d, wanted)]
    first = (named or errors or [None])[0]
    return ConstraintResult(
        file=entry["file"],
        constraint_id=wanted,
        refused=not result.ok,
        named_rule=bool(named),
        codes=codes,
        message=str(first) if first else "",
    )


def _names_constraint(diagnostic: Diagnostic, constraint_id: str) -> bool:
    """Whether a diagnostic names the rule this model breaks (its code carries the rule's id)."""
    code = diagnostic.code.lower()
    if constraint_id == "REF":
        return code == "spec-ref"
    number = constraint_id[3:]
    return code == f"spec-ext{number}" or re.search(rf"\bEXT\.{number}\b", diagnostic.message) is not None


# --------------------------------------------------------------------------- the pack


def load_manifest(pack: Path, part: str) -> list[dict]:
    return json.loads((pack / part / "manifest.json").read_text(encoding="utf-8"))["models"]


def run_pack(
    pack: Path,
    *,
    features: bool = True,
    constraints: bool = True,
    only: Iterable[str] | None = None,
) -> PackReport:
    pack = Path(pack)
    report = PackReport()
    started = time.perf_counter()
    wanted = set(only) if only else None
    if features:
        for entry in load_manifest(pack, "features"):
            if wanted and entry["name"] not in wanted:
                continue
            report.cases.extend(run_feature_model(pack, entry))
    if constraints:
        for entry in load_manifest(pack, "constraints"):
            if wanted and entry["file"] not in wanted and entry["constraint_id"] not in wanted:
                continue
            report.constraints.append(run_constraint(pack, entry))
    report.seconds = time.perf_counter() - started
    return report
