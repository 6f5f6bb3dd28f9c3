"""Use cases of the procedure catalog: the procedures officers and applicants can choose, and the
form of a task with what the population registry already filled in."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ..catalog import Procedure, get_procedure, load_catalog
from ..context import Context
from ..forms import JsonSchemaForms, prefill
from ..views import TaskView, UserView
from . import get_task


@dataclass(frozen=True)
class TaskForm:
    """A task's form (JSON Schema) with the values to show: registry values (marked as such) over
    what the task data already holds."""

    task: TaskView
    schema: dict[str, Any] | None
    values: dict[str, Any] = field(default_factory=dict)
    from_registry: frozenset[str] = frozenset()


def list_procedures(ctx: Context) -> list[Procedure]:
    """Every procedure of the catalog (raises CatalogError naming each bad manifest)."""
    return load_catalog(ctx.settings.processes_dir, ctx.operators.names())


def procedure(ctx: Context, code: str) -> Procedure:
    return get_procedure(ctx.settings.processes_dir, code)


def task_form(ctx: Context, task_id: uuid.UUID | str, user: UserView | None = None) -> TaskForm:
    """The form of a task, pre-filled: fields already in the task data, then registry values
    (``x-registry``), which win and are listed in ``from_registry``."""
    task = get_task(ctx, task_id, user)
    forms = ctx.forms if isinstance(ctx.forms, JsonSchemaForms) else JsonSchemaForms(ctx.settings.forms_dir)
    schema = forms.schema(task.form) if task.form else None
    if schema is None:
        return TaskForm(task, None)
    names = (schema.get("properties") or {}).keys()
    values = {name: task.data[name] for name in names if name in task.data}
    registry = prefill(schema, task.data)
    return TaskForm(task, schema, values | registry, frozenset(registry))
