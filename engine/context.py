"""The wiring a use case runs with: database, runtime, caches, clock and extension points.

Built once at the edge (the CLI, the web app factory, a worker) and passed to every function in
:mod:`engine.services`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .bpmn.model import HumanTaskSpec
from .bpmn.operators import OperatorRegistry, default_operators
from .bpmn.rules import RuleContext
from .bpmn.runtime import ProcessRuntime
from .bpmn.sandbox import SandboxPolicy
from .bpmn.workflow_cache import WorkflowCache
from .calendar import WeekdayCalendar, WorkCalendar
from .clock import Clock, SystemClock
from .config import Settings
from .deployment import SpecCache
from .store.db import Database

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from .bpmn.runtime import RunOutcome
    from .store.models import Dossier, HumanTask


class TaskDuePolicy(Protocol):
    """When a human task is due, from the moment it opened at the centre ``agency_code``."""

    def due_at(
        self, spec: HumanTaskSpec, opened_at: datetime, agency_code: str | None = None
    ) -> datetime | None: ...


def centre_calendar(calendar: WorkCalendar, agency_code: str | None) -> WorkCalendar:
    """The calendar with the working hours of the centre ``agency_code`` (the same days off)."""
    for_centre = getattr(calendar, "for_centre", None)
    return for_centre(agency_code) if for_centre is not None else calendar


class AllottedHoursPolicy:
    """A task is due when its ``allottedHours`` of working time have passed on its centre's calendar."""

    def __init__(self, calendar: WorkCalendar) -> None:
        self.calendar = calendar

    def due_at(
        self, spec: HumanTaskSpec, opened_at: datetime, agency_code: str | None = None
    ) -> datetime | None:
        hours = spec.allotted_hours
        return (
            centre_calendar(self.calendar, agency_code).add_working_hours(opened_at, hours) if hours else None
        )


class FormValidator(Protocol):
    """Checks data an officer submits for a task; returns field -> message for each problem."""

    def validate(self, task: HumanTask, data: dict[str, Any]) -> dict[str, str]: ...


class AcceptAnyForm:
    def validate(self, task: HumanTask, data: dict[str, Any]) -> dict[str, str]:
        return {}


class RunListener(Protocol):
    """Called inside the use case's transaction after the engine ran and projections were updated.

    Features that react to the process (dossier statuses, SLA timers, notifications) listen here,
    so they commit or roll back together with the state change that caused them.
    """

    def after_run(
        self, ctx: Context, session: Session, dossier: Dossier, outcome: RunOutcome, actor: str
    ) -> None: ...


@dataclass
class Context:
    settings: Settings
    db: Database
    runtime: ProcessRuntime
    specs: SpecCache
    clock: Clock = field(default_factory=SystemClock)
    calendar: WorkCalendar = field(default_factory=WeekdayCalendar)
    due_policy: TaskDuePolicy | None = None
    forms: FormValidator = field(default_factory=AcceptAnyForm)
    listeners: list[RunListener] = field(default_factory=list)
    workflows: WorkflowCache = field(default_factory=WorkflowCache)

    @property
    def operators(self) -> OperatorRegistry:
        return self.runtime.operators

    def rule_context(self) -> RuleContext:
        return RuleContext(
            known_operators=self.operators.names(), allowed_names=self.runtime.policy.allowed_names
        )

    def __post_init__(self) -> None:
        if self.due_policy is None:
            self.due_policy = AllottedHoursPolicy(self.calendar)

    def now(self) -> datetime:
        return self.clock.now()

    def calendar_of(self, agency_code: str | None) -> WorkCalendar:
        """The working calendar of one centre (its own hours where configured)."""
        return centre_calendar(self.calendar, agency_code)


def build_context(
    settings: Settings,
    *,
    clock: Clock | None = None,
    operators: OperatorRegistry | None = None,
    policy: SandboxPolicy | None = None,
    database: Database | None = None,
) -> Context:
    """The default wiring for ``settings``; callers add listeners and policies afterwards."""
    clock = clock or SystemClock()
    runtime = ProcessRuntime(policy=policy, operators=operators or default_operators(), clock=clock.now)
    return Context(
        settings=settings,
        db=database or Database(settings.database_url),
        runtime=runtime,
        specs=SpecCache(settings.spec_cache_size),
        clock=clock,
        workflows=WorkflowCache(settings.workflow_cache_size),
    )
