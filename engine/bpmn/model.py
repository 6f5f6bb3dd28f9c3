"""A parsed, executable process and what motcua reads off its task specs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from engine.roles import Stage, role_for_lane


def task_properties(task_spec: Any) -> dict[str, str]:
    """Name/value properties from the element's extension elements."""
    extensions = getattr(task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


@dataclass(frozen=True)
class HumanTaskSpec:
    """A user or manual task as officers see it: who may work on it and at which stage."""

    spec_name: str
    bpmn_id: str
    label: str
    lane: str | None
    role: str | None
    stage: Stage | None
    form: str | None
    properties: dict[str, str]
    documentation: str | None = None

    @property
    def allotted_hours(self) -> float | None:
        raw = self.properties.get("allottedHours") or self.properties.get("allotted_hours")
        try:
            return float(raw) if raw not in (None, "") else None
        except ValueError:
            return None


def human_task_spec(task_spec: Any) -> HumanTaskSpec | None:
    if not isinstance(task_spec, UserTask | ManualTask) or task_spec.bpmn_id is None:
        return None
    props = task_properties(task_spec)
    stage_value = props.get("stage")
    stage = Stage(stage_value) if stage_value in {s.value for s in Stage} else None
    lane = task_spec.lane
    role = role_for_lane(lane)
    return HumanTaskSpec(
        spec_name=task_spec.name,
        bpmn_id=task_spec.bpmn_id,
        label=task_spec.bpmn_name or task_spec.bpmn_id,
        lane=lane,
        role=role.value if role else lane,
        stage=stage,
        form=props.get("form")
        or (getattr(task_spec, "extensions", None) or {}).get("formJsonSchemaFilename"),
        properties=props,
        documentation=task_spec.documentation,
    )


@dataclass
class ProcessModel:
    """SpiffWorkflow's specs for one process plus motcua's view of its human tasks."""

    process_id: str
    name: str | None
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    human_tasks: dict[str, HumanTaskSpec] = field(default_factory=dict)
    #: The ``spiffworkflow:properties`` of every flow node that has some, by BPMN id (e.g. the
    #: lifecycle marker ``dossierEvent``), and of the process element itself.
    element_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    process_properties: dict[str, str] = field(default_factory=dict)

    def human_task(self, spec_name: str) -> HumanTaskSpec | None:
        return self.human_tasks.get(spec_name)

    def all_specs(self) -> list[BpmnProcessSpec]:
        return [self.spec, *self.subprocess_specs.values()]


def describe_process(
    spec: BpmnProcessSpec,
    subprocess_specs: dict[str, BpmnProcessSpec],
    process_properties: dict[str, str] | None = None,
) -> ProcessModel:
    human: dict[str, HumanTaskSpec] = {}
    element_properties: dict[str, dict[str, str]] = {}
    for process_spec in [spec, *subprocess_specs.values()]:
        if process_spec is None:
            continue
        for task_spec in process_spec.task_specs.values():
            info = human_task_spec(task_spec)
            if info is not None:
                human[task_spec.name] = info
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            props = task_properties(task_spec)
            if bpmn_id and props:
                element_properties[bpmn_id] = props
    return ProcessModel(
        process_id=spec.name,
        name=getattr(spec, "description", None) if getattr(spec, "description", None) != spec.name else None,
        spec=spec,
        subprocess_specs={k: v for k, v in subprocess_specs.items() if v is not None},
        human_tasks=human,
        element_properties=element_properties,
        process_properties=dict(process_properties or {}),
    )
