"""Running a process: start, complete a human task, fire timers, retry after an error.

Every operation returns a :class:`RunOutcome` with the activity events it caused (read off the task
tree before and after) and a :class:`Snapshot` of what is now open: human tasks, pending timers,
errors. The service layer turns these into the projection tables in the same transaction.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent, EventManager
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from engine.jsondata import json_default

from .model import HumanTaskSpec, ProcessModel
from .operators import OperatorError, OperatorRegistry, RunContext, current_run, default_operators
from .sandbox import BpmnError, SandboxPolicy
from .serializer import StateCodec
from .timeclock import run_clock

#: SpiffWorkflow stops walking the task tree at this depth (a loop adds a level per pass).
ENGINE_DEPTH_LIMIT = 1000


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's script environment, with every evaluation going through the sandbox."""

    def __init__(self, policy: SandboxPolicy) -> None:
        super().__init__({})
        self.policy = policy

    def evaluate(self, expression, context, external_context=None):
        return self.policy.evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        self.policy.execute(script, context, external_context)
        return True


class MotcuaScriptEngine(PythonScriptEngine):
    """Script engine with the sandbox and motcua's service-task operators."""

    def __init__(self, policy: SandboxPolicy, operators: OperatorRegistry) -> None:
        super().__init__(environment=SandboxedEnvironment(policy))
        self.operators = operators

    def execute(self, task, script, external_context=None):
        timers = _interrupting_timers(task)
        before = copy.deepcopy(task.data) if timers else None
        try:
            result = self.environment.execute(script, task.data, external_context or {})
            if timers and _any_fired(timers):
                # an interrupting timer fell due while the script ran: the activity was interrupted at
                # that moment, so what the script did is discarded and the timer's path takes over
                task.data = before
                return None
            return result
        except BpmnError as err:
            if _throw_error(task, err.code):
                return None  # interrupted: the event that caught the error takes over
            raise self.create_task_exec_exception(task, script, err) from err
        except Exception as err:
            raise self.create_task_exec_exception(task, script, err) from err

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        try:
            result = self.operators.call(operation_name, params, dict(task.data))
        except OperatorError:
            raise
        except Exception as exc:
            raise OperatorError(f"operator '{operation_name}' failed: {type(exc).__name__}: {exc}") from exc
        try:
            return json.dumps(result, default=json_default)
        except TypeError as exc:
            raise OperatorError(
                f"operator '{operation_name}' returned data that cannot be stored: {exc}"
            ) from exc


def _interrupting_timers(task: Task) -> list[Task]:
    """Waiting interrupting timer boundary events on ``task`` or on an activity that encloses it."""
    found: list[Task] = []
    current: Task | None = task
    while current is not None:
        parent = current.parent
        if parent is not None and isinstance(parent.task_spec, BoundaryEventSplit):
            for sibling in parent.children:
                spec = sibling.task_spec
                if (
                    sibling is not current
                    and sibling.has_state(TaskState.WAITING)
                    and getattr(spec, "cancel_activity", False)
                    and isinstance(getattr(spec, "event_definition", None), TimerEventDefinition)
                ):
                    found.append(sibling)
        parent_id = getattr(current.workflow, "parent_task_id", None)
        current = current.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return found


def _any_fired(timers: list[Task]) -> bool:
    for timer in timers:
        timer.task_spec._update(timer)
    return any(t.has_state(TaskState.READY) for t in timers)


def _throw_error(task: Task, code: str) -> bool:
    """Throw a BPMN error from ``task``; whether a boundary event or event sub-process caught it."""
    definition = ErrorEventDefinition(code, code=code)
    top = task.workflow.top_workflow
    before = len(top.bpmn_events)
    top.catch(BpmnEvent(definition, payload=copy.deepcopy(task.data), target=task.workflow))
    if len(top.bpmn_events) > before and top.bpmn_events[-1].event_definition is definition:
        top.bpmn_events.pop()  # nothing caught it: the task fails instead
        return False
    return True


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class ActivityEvent:
    """One step on the diagram: an element started, completed, was cancelled or failed."""

    task_id: UUID
    bpmn_id: str
    name: str
    element_type: str
    lifecycle: str  # start | complete | cancel | error
    process_id: str
    data: dict[str, Any] | None = None
    human_task: HumanTaskSpec | None = None


@dataclass(frozen=True)
class OpenHumanTask:
    task_id: UUID
    spec: HumanTaskSpec
    process_id: str


@dataclass(frozen=True)
class PendingTimer:
    task_id: UUID
    bpmn_id: str
    name: str
    due_at: datetime
    kind: str  # TimeDate | Duration | Cycle


@dataclass(frozen=True)
class FailedTask:
    task_id: UUID
    bpmn_id: str | None
    name: str


@dataclass
class Snapshot:
    human_tasks: list[OpenHumanTask] = field(default_factory=list)
    timers: list[PendingTimer] = field(default_factory=list)
    failed: list[FailedTask] = field(default_factory=list)
    completed: bool = False


@dataclass
class ProcessFailure:
    message: str
    bpmn_id: str | None = None


@dataclass
class RunOutcome:
    workflow: BpmnWorkflow
    events: list[ActivityEvent]
    snapshot: Snapshot
    failure: ProcessFailure | None = None
    had_timers: bool = False  # whether timers were pending before the operation
    opened: set[UUID] = field(default_factory=set)  # human tasks that became open
    closed: dict[UUID, str] = field(default_factory=dict)  # human tasks no longer open: completed | cancelled


class EngineLimitExceeded(WorkflowException):
    pass


# --------------------------------------------------------------------------- the runtime


class NestedEventSubprocessManager(EventManager):
    """SpiffWorkflow's event manager, able to start event sub-processes of embedded sub-processes.

    SpiffWorkflow 3.2 starts only the event sub-processes of the top-level process; one inside an
    embedded sub-process never started, so the error, escalation or signal it waits for went uncaught.
    This manager starts it in the (sub-)process whose scope the event reaches first, as BPMN says.
    """

    def catch(self, event, internal=True):
        if event.target is not None:
            if not any(
                t.workflow == event.target and t.task_spec.event_definition.catches(t, event)
                for t in self.tasks.values()
            ):
                started = _start_event_subprocess(self.workflow, event.target, event)
                if started is not None:
                    event.target = started
        else:
            for sub in list(self.workflow.subprocesses.values()):
                if not sub.completed:
                    _start_event_subprocess(self.workflow, sub, event)
        return super().catch(event, internal)


def _start_event_subprocess(top: BpmnWorkflow, scope, event):
    """Start the event sub-process of ``scope`` (an embedded sub-process) that ``event`` triggers."""
    if scope is top or getattr(scope, "completed", False):
        return None
    start = scope.spec.start
    for name in getattr(start, "trigger_specs", None) or []:
        sp_spec = top.subprocess_specs.get(name)
        if sp_spec is None:
            continue
        if not any(ts.event_definition == event.event_definition for ts in sp_spec.bpmn_start_events):
            continue
        for existing in top.subprocesses.values():
            if (
                existing.spec.name == name
                and existing.parent_workflow is scope
                and not existing.completed
                and any(t.has_state(TaskState.WAITING) for t in existing.get_tasks())
            ):
                return existing
        child_id = start.trigger_wf(scope.task_tree, name)
        return top.subprocesses.get(child_id)
    return None


def install_event_manager(workflow: BpmnWorkflow) -> BpmnWorkflow:
    manager = NestedEventSubprocessManager(workflow)
    manager.tasks = workflow.event_manager.tasks
    workflow.event_manager = manager
    return workflow


def _all_tasks(workflow: BpmnWorkflow) -> Iterator[Task]:
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


_STARTED = TaskState.WAITING | TaskState.READY | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR
_LIVE = TaskState.WAITING | TaskState.READY | TaskState.STARTED


def _ready_engine_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """READY tasks the engine runs itself, deepest sub-process first (as SpiffWorkflow orders them)."""
    found: list[Task] = []
    subprocesses = sorted(workflow.get_active_subprocesses(), key=lambda sp: sp.depth, reverse=True)
    for wf in [*subprocesses, workflow]:
        found.extend(t for t in wf.get_tasks(state=TaskState.READY) if not t.task_spec.manual)
    return found


def _update_subprocess_parents(workflow: BpmnWorkflow) -> None:
    for subprocess in sorted(workflow.get_active_subprocesses(), key=lambda sp: sp.depth, reverse=True):
        if subprocess.parent_task_id is not None:
            # a scope an interrupting event sub-process finished has no End task left to mark it
            # complete: it is complete when nothing in it is left to do
            subprocess.is_completed()
            task = workflow.get_task_from_id(subprocess.parent_task_id)
            task.task_spec._update(task)


def engine_steps(workflow: BpmnWorkflow) -> None:
    """``BpmnWorkflow.do_engine_steps``, one task at a time, caught events first.

    SpiffWorkflow 3.2 runs every task of a sub-process that was READY when its pass began, and only
    then lets the boundary event that caught a signal or escalation interrupt it: the task after the
    throw still runs. Here a caught event (a READY catching event: boundary event, event sub-process
    start) always runs before any other work, and nothing runs that stopped being READY.
    """
    while True:
        _arm_conditional_event_subprocesses(workflow)
        ready = _ready_engine_tasks(workflow)
        if not ready:
            _update_subprocess_parents(workflow)
            ready = _ready_engine_tasks(workflow)
            if not ready:
                break
        caught = [t for t in ready if isinstance(t.task_spec, CatchingEvent)]
        task = (caught or ready)[0]
        task.run()
        if getattr(task.task_spec, "interrupts_scope", False) and task.has_state(TaskState.COMPLETED):
            _interrupt_scope(workflow, task)
    workflow.refresh_timers()


def _arm_conditional_event_subprocesses(top: BpmnWorkflow) -> None:
    """Start event sub-processes whose start condition holds. SpiffWorkflow 3.2 starts event
    sub-processes only when an event is thrown, and a condition throws nothing, so a conditional
    event sub-process never started."""
    for scope in [top, *top.get_active_subprocesses()]:
        names = getattr(scope.spec.start, "trigger_specs", None) or []
        for name in names:
            sp_spec = top.subprocess_specs.get(name)
            if sp_spec is None or not any(
                isinstance(ts.event_definition, ConditionalEventDefinition)
                for ts in sp_spec.bpmn_start_events
            ):
                continue
            root = scope.task_tree
            armed = root._get_internal_data("conditional_started") or []
            if name in armed:
                continue
            latest = max(
                (t for t in scope.tasks.values() if t.has_state(TaskState.COMPLETED)),
                key=lambda t: t.last_state_change,
                default=root,
            )
            for ts in sp_spec.bpmn_start_events:
                definition = ts.event_definition
                if not isinstance(definition, ConditionalEventDefinition):
                    continue
                try:
                    holds = top.script_engine.evaluate(latest, definition.expression)
                except Exception:  # noqa: BLE001 - a condition over data not there yet does not hold
                    holds = False
                if holds:
                    root._set_internal_data(conditional_started=[*armed, name])
                    scope.spec.start.trigger_wf(root, name)
                    break


def _interrupt_scope(top: BpmnWorkflow, start_task: Task) -> None:
    """An interrupting event sub-process started: cancel everything else in its enclosing scope
    (SpiffWorkflow 3.2 ignores ``isInterrupting`` and lets the interrupted work go on)."""
    esp_workflow = start_task.workflow
    parent_id = getattr(esp_workflow, "parent_task_id", None)
    if parent_id is None:
        return
    esp_task = top.get_task_from_id(parent_id)
    scope = esp_task.workflow
    for child in list(scope.task_tree.children):
        if child is not esp_task:
            child.cancel()


class ProcessRuntime:
    """Executes process models with the sandbox and the registered operators."""

    def __init__(
        self,
        policy: SandboxPolicy | None = None,
        operators: OperatorRegistry | None = None,
        codec: StateCodec | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``clock`` is the time timer events see (aware UTC ``now``); the wall clock when None."""
        self.clock = clock
        self.policy = policy or SandboxPolicy()
        self.operators = operators or default_operators()
        self.codec = codec or StateCodec()
        self.script_engine = MotcuaScriptEngine(self.policy, self.operators)

    # -- state

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return self.codec.dumps(workflow)

    def loads(self, state: str, model: ProcessModel) -> BpmnWorkflow:
        return install_event_manager(self.codec.loads(state, model, self.script_engine))

    # -- operations

    def start(self, model: ProcessModel, data: Mapping[str, Any], context: RunContext) -> RunOutcome:
        workflow = BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=self.script_engine)
        install_event_manager(workflow)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)
        with self._observe(workflow, model, context) as outcome:
            self._run(workflow)
        return outcome

    def complete_human_task(
        self,
        workflow: BpmnWorkflow,
        model: ProcessModel,
        task_id: UUID,
        data: Mapping[str, Any],
        context: RunContext,
    ) -> RunOutcome:
        try:
            task = workflow.get_task_from_id(task_id)
        except TaskNotFoundException:
            task = None
        if (
            task is None
            or not task.has_state(TaskState.READY)
            or model.human_task(task.task_spec.name) is None
        ):
            raise WorkflowException(f"task {task_id} is not an open human task")
        with self._observe(workflow, model, context, submitted={task.id: dict(data)}) as outcome:
            task.data.update(data)
            task.run()
            self._run(workflow)
        return outcome

    def fire_timers(self, workflow: BpmnWorkflow, model: ProcessModel, context: RunContext) -> RunOutcome:
        with self._observe(workflow, model, context) as outcome:
            workflow.refresh_timers()
            self._run(workflow)
        return outcome

    def retry(self, workflow: BpmnWorkflow, model: ProcessModel, context: RunContext) -> RunOutcome:
        """Run failed tasks again (after the cause was fixed: the registry is back, data corrected)."""
        with self._observe(workflow, model, context) as outcome:
            for task in list(_all_tasks(workflow)):
                if task.has_state(TaskState.ERROR):
                    task._set_state(TaskState.READY)
            self._run(workflow)
        return outcome

    # -- internals

    def _run(self, workflow: BpmnWorkflow) -> None:
        engine_steps(workflow)
        self._check_depth(workflow)

    @staticmethod
    def _check_depth(workflow: BpmnWorkflow) -> None:
        for task in _all_tasks(workflow):
            if task.has_state(_LIVE | TaskState.FUTURE) and task.depth >= ENGINE_DEPTH_LIMIT - 1:
                raise EngineLimitExceeded(
                    f"the process went through more than {ENGINE_DEPTH_LIMIT} steps on one path (a loop that "
                    "repeats too often) and cannot go on; redesign the loop or split the process"
                )
        if workflow.is_completed() and any(
            t.has_state(TaskState.NOT_FINISHED_MASK) for t in _all_tasks(workflow)
        ):
            raise EngineLimitExceeded("the process stopped without reaching an end event")

    @contextmanager
    def _observe(
        self,
        workflow: BpmnWorkflow,
        model: ProcessModel,
        context: RunContext,
        submitted: dict[UUID, dict] | None = None,
    ) -> Iterator[RunOutcome]:
        before = {task.id: task.state for task in _all_tasks(workflow)}
        open_before = {t.task_id for t in self.snapshot(workflow, model).human_tasks} if before else set()
        outcome = RunOutcome(
            workflow=workflow,
            events=[],
            snapshot=Snapshot(),
            had_timers=any(True for _ in self._timers(workflow)),
        )
        token = current_run.set(context)
        try:
            with run_clock(self.clock):
                yield outcome
        except (SpiffWorkflowException, OperatorError, EngineLimitExceeded) as exc:
            outcome.failure = _failure_from(exc)
        finally:
            current_run.reset(token)
        outcome.events = self._events(workflow, model, before, submitted or {})
        outcome.snapshot = self.snapshot(workflow, model)
        open_now = {t.task_id for t in outcome.snapshot.human_tasks}
        outcome.opened = open_now - open_before
        for task_id in open_before - open_now:
            task = workflow.tasks.get(task_id) or _find(workflow, task_id)
            outcome.closed[task_id] = (
                "completed" if task is not None and task.has_state(TaskState.COMPLETED) else "cancelled"
            )
        failed = outcome.snapshot.failed
        if outcome.failure is None and failed:
            outcome.failure = ProcessFailure(f"{failed[0].name} failed", failed[0].bpmn_id)
        elif outcome.failure is not None and outcome.failure.bpmn_id is None and failed:
            outcome.failure.bpmn_id = failed[0].bpmn_id

    def _events(
        self,
        workflow: BpmnWorkflow,
        model: ProcessModel,
        before: dict[UUID, int],
        submitted: dict[UUID, dict],
    ) -> list[ActivityEvent]:
        changed: list[tuple[float, int, ActivityEvent]] = []
        for task in _all_tasks(workflow):
            spec = task.task_spec
            bpmn_id = getattr(spec, "bpmn_id", None)
            if bpmn_id is None:
                continue
            old = before.get(task.id, TaskState.MAYBE)
            new = task.state
            if old == new:
                continue
            human = model.human_task(spec.name)
            event = partial(_activity_event, task, human)
            started_before = bool(old & _STARTED)
            if new & _STARTED and not started_before:
                changed.append((task.last_state_change, 0, event("start")))
            if new == TaskState.COMPLETED:
                delta = submitted.get(task.id)
                if delta is None and task.parent is not None:
                    delta = DeepMerge.get_updated_keys(task.parent.data, task.data) or None
                changed.append((task.last_state_change, 1, event("complete", delta)))
            elif new == TaskState.ERROR:
                changed.append((task.last_state_change, 1, event("error")))
            elif new == TaskState.CANCELLED and old & _LIVE:
                changed.append((task.last_state_change, 1, event("cancel")))
        changed.sort(key=lambda item: (item[0], item[1]))
        return [item[2] for item in changed]

    def snapshot(self, workflow: BpmnWorkflow, model: ProcessModel) -> Snapshot:
        snap = Snapshot(completed=workflow.is_completed())
        for task in _all_tasks(workflow):
            if task.has_state(TaskState.READY):
                human = model.human_task(task.task_spec.name)
                if human is not None:
                    snap.human_tasks.append(OpenHumanTask(task.id, human, task.workflow.spec.name))
            elif task.has_state(TaskState.ERROR):
                spec = task.task_spec
                snap.failed.append(
                    FailedTask(task.id, getattr(spec, "bpmn_id", None), spec.bpmn_name or spec.name)
                )
        snap.timers = list(self._timers(workflow))
        return snap

    @staticmethod
    def _timers(workflow: BpmnWorkflow) -> Iterable[PendingTimer]:
        for task in list(workflow.event_manager.tasks.values()):
            spec = task.task_spec
            definition = getattr(spec, "event_definition", None)
            if not isinstance(spec, CatchingEvent) or not task.has_state(TaskState.WAITING | TaskState.READY):
                continue
            if isinstance(definition, MultipleEventDefinition):
                # an event-based gateway (or a multiple event) waiting on a timer among other events
                definition = next(
                    (d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)), None
                )
            if not isinstance(definition, TimerEventDefinition):
                continue
            details = definition.details(task)
            value = details.value
            if isinstance(value, dict):
                value = value.get("next")
            if not value:
                continue
            due = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else value
            yield PendingTimer(
                task_id=task.id,
                bpmn_id=spec.bpmn_id,
                name=spec.bpmn_name or spec.bpmn_id or spec.name,
                due_at=due.astimezone(UTC),
                kind=type(definition).__name__.replace("TimerEventDefinition", ""),
            )


def _activity_event(
    task: Task, human: HumanTaskSpec | None, lifecycle: str, data: dict | None = None
) -> ActivityEvent:
    spec = task.task_spec
    return ActivityEvent(
        task_id=task.id,
        bpmn_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        element_type=type(spec).__name__,
        lifecycle=lifecycle,
        process_id=task.workflow.spec.name,
        data=data,
        human_task=human,
    )


def _find(workflow: BpmnWorkflow, task_id: UUID) -> Task | None:
    for sub in workflow.subprocesses.values():
        if task_id in sub.tasks:
            return sub.tasks[task_id]
    return None


def _failure_from(exc: Exception) -> ProcessFailure:
    task = getattr(exc, "task", None)
    bpmn_id = getattr(getattr(task, "task_spec", None), "bpmn_id", None)
    message = str(exc)
    inner = getattr(exc, "error", None) or exc.__cause__
    if isinstance(inner, OperatorError):
        message = str(inner)
    return ProcessFailure(message=message.split("\n")[0][:2000], bpmn_id=bpmn_id)
