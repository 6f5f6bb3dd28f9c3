"""Read models returned by the use cases: plain frozen data, safe to hand to any edge."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from .bpmn.diagnostics import Diagnostic
from .jsondata import json_default


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json_default(value)


class View:
    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


@dataclass(frozen=True)
class AgencyView(View):
    id: int
    code: str
    name: str
    name_en: str | None
    level: str


@dataclass(frozen=True)
class UserView(View):
    id: int
    username: str
    full_name: str
    agency_id: int
    agency_code: str
    roles: tuple[str, ...]
    active: bool = True

    def has_role(self, role: str | None) -> bool:
        return role is None or role in self.roles


@dataclass(frozen=True)
class VersionView(View):
    id: int
    process_key: str
    version: int
    content_hash: str
    name: str | None
    deployed_at: datetime
    deployed_by: str | None
    files: tuple[str, ...]
    warnings: tuple[dict, ...] = ()


@dataclass(frozen=True)
class DeploymentView(View):
    version: VersionView
    created: bool
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class ProcessView(View):
    key: str
    name: str | None
    latest_version: int
    latest_version_id: int
    versions: int


@dataclass(frozen=True)
class TaskView(View):
    id: uuid.UUID
    dossier_id: int
    bpmn_id: str
    label: str
    role: str | None
    stage: str | None
    form: str | None
    state: str
    assignee: str | None
    agency_code: str
    process_key: str
    process_version: int
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventView(View):
    id: int
    at: datetime
    activity: str
    activity_name: str | None
    element_type: str | None
    lifecycle: str
    actor: str | None
    role: str | None
    stage: str | None
    data: dict[str, Any] | None


@dataclass(frozen=True)
class TimerView(View):
    id: int
    bpmn_id: str | None
    kind: str
    label: str | None
    due_at: datetime
    state: str


@dataclass(frozen=True)
class DossierView(View):
    id: int
    process_key: str
    process_version: int
    process_version_id: int
    agency_code: str
    channel: str
    applicant_name: str | None
    run_state: str
    error_message: str | None
    error_element: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class DossierDetail(View):
    dossier: DossierView
    tasks: tuple[TaskView, ...]
    events: tuple[EventView, ...]
    timers: tuple[TimerView, ...]


@dataclass(frozen=True)
class CompletionView(View):
    task: TaskView
    dossier: DossierView
    next_tasks: tuple[TaskView, ...]
