"""marshmallow 4 schemas of the REST API: what requests may carry and what responses look like.

Request schemas refuse unknown fields and text the database cannot store (NUL characters, unpaired
surrogates), so bad input is a 422 that names the field, never a 500.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from engine.services import CHANNELS

MAX_INT = 2**31 - 1


def bad_text(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "Không được chứa ký tự NUL. / May not contain NUL characters."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "Không phải văn bản Unicode hợp lệ. / Not valid Unicode text."
    return None


def text_problems(value: Any, path: str = "") -> dict[str, str]:
    """Every string (keys included) in a JSON-like value that cannot be stored, by dotted path."""
    problems: dict[str, str] = {}
    if isinstance(value, str):
        why = bad_text(value)
        if why:
            problems[path or "_request"] = why
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and bad_text(key):
                problems[path or "_request"] = bad_text(key)
                continue
            problems.update(text_problems(item, sub))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problems.update(text_problems(item, f"{path}.{index}" if path else str(index)))
    return problems


class RequestSchema(ma.Schema):
    """Base of every request schema: unknown fields and unstorable text are refused."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load(pass_collection=True)
    def _storable_text(self, data, **kwargs):
        # a MultiDict from the query string or a form, or parsed JSON
        plain = {k: data.getlist(k) for k in data} if hasattr(data, "getlist") else data
        problems = text_problems(plain)
        if problems:
            raise ma.ValidationError(problems)
        return data


def _text(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=255), **kwargs)


# ----------------------------------------------------------------------------------------- errors


class DiagnosticSchema(ma.Schema):
    code = fields.String(required=True)
    severity = fields.String(required=True, metadata={"enum": ["error", "warning"]})
    message = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    file = fields.String(allow_none=True)


class ErrorSchema(ma.Schema):
    message = fields.String(required=True, metadata={"description": "What went wrong, Vietnamese first."})
    fields_ = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "Field name (dotted for nested data) -> what is wrong with it."},
    )
    diagnostics = fields.List(
        fields.Nested(DiagnosticSchema), metadata={"description": "Only when a deployment is rejected."}
    )


# ----------------------------------------------------------------------------------------- processes


class VersionSchema(ma.Schema):
    id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(required=True)
    content_hash = fields.String(required=True)
    name = fields.String(allow_none=True)
    deployed_at = fields.DateTime(required=True)
    deployed_by = fields.String(allow_none=True)
    files = fields.List(fields.String(), required=True)
    warnings = fields.List(fields.Dict(), required=True)


class DeploymentSchema(ma.Schema):
    version = fields.Nested(VersionSchema, required=True)
    created = fields.Boolean(
        required=True, metadata={"description": "False when the same files were already deployed."}
    )
    diagnostics = fields.List(fields.Nested(DiagnosticSchema), required=True)


class ProcessSchema(ma.Schema):
    key = fields.String(required=True)
    name = fields.String(allow_none=True)
    latest_version = fields.Integer(required=True)
    latest_version_id = fields.Integer(required=True)
    versions = fields.Integer(required=True)


class DeployFilesSchema(RequestSchema):
    files = fields.List(
        Upload(),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "BPMN, DMN and form files of one process version."},
    )


class DeployQuerySchema(RequestSchema):
    process_id = _text(
        load_default=None,
        metadata={"description": "The process to deploy when the BPMN holds several."},
    )


# ----------------------------------------------------------------------------------------- dossiers


class DossierSchema(ma.Schema):
    id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    process_version = fields.Integer(required=True)
    process_version_id = fields.Integer(required=True)
    agency_code = fields.String(required=True)
    channel = fields.String(required=True)
    applicant_name = fields.String(allow_none=True)
    run_state = fields.String(required=True)
    error_message = fields.String(allow_none=True)
    error_element = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    completed_at = fields.DateTime(allow_none=True)


class TaskSummarySchema(ma.Schema):
    """A task as the inbox lists it (without its input data: ``GET /tasks/{id}`` has that)."""

    id = fields.UUID(required=True)
    dossier_id = fields.Integer(required=True)
    bpmn_id = fields.String(required=True)
    label = fields.String(required=True)
    role = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    state = fields.String(required=True, metadata={"enum": ["open", "completed", "cancelled"]})
    assignee = fields.String(allow_none=True)
    agency_code = fields.String(required=True)
    process_key = fields.String(required=True)
    process_version = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)


class TaskSchema(TaskSummarySchema):
    data = fields.Dict(required=True, metadata={"description": "The task's input data, for its form."})


class EventSchema(ma.Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    activity = fields.String(required=True)
    activity_name = fields.String(allow_none=True)
    element_type = fields.String(allow_none=True)
    lifecycle = fields.String(required=True)
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    stage = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True)


class TimerSchema(ma.Schema):
    id = fields.Integer(required=True)
    bpmn_id = fields.String(allow_none=True)
    kind = fields.String(required=True)
    label = fields.String(allow_none=True)
    due_at = fields.DateTime(required=True)
    state = fields.String(required=True)


class DossierDetailSchema(ma.Schema):
    dossier = fields.Nested(DossierSchema, required=True)
    tasks = fields.List(fields.Nested(TaskSchema), required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)
    timers = fields.List(fields.Nested(TimerSchema), required=True)


class SubmitDossierSchema(RequestSchema):
    process_key = _text(required=True, metadata={"description": "The process (BPMN process id)."})
    agency_code = _text(
        load_default=None, metadata={"description": "Receiving agency; the token's officer's by default."}
    )
    data = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": "Dossier data."})
    channel = fields.String(load_default="counter", validate=validate.OneOf(CHANNELS))
    applicant_name = _text(load_default=None, allow_none=True)
    version = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_INT),
        metadata={"description": "A given version instead of the latest."},
    )


# ----------------------------------------------------------------------------------------- tasks


class TaskQuerySchema(RequestSchema):
    scope = fields.String(
        load_default="available",
        validate=validate.OneOf(["available", "mine", "done"]),
        metadata={"description": "available: open tasks my roles may take; mine: claimed by me; done."},
    )
    stage = fields.String(
        load_default=None, validate=validate.OneOf(["intake", "appraisal", "approval", "stamping", "return"])
    )
    process_key = _text(load_default=None)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))


class CompleteTaskSchema(RequestSchema):
    data = fields.Dict(
        keys=fields.String(), load_default=dict, metadata={"description": "The form's field values."}
    )


class CompletionSchema(ma.Schema):
    task = fields.Nested(TaskSchema, required=True)
    dossier = fields.Nested(DossierSchema, required=True)
    next_tasks = fields.List(
        fields.Nested(TaskSchema),
        required=True,
        metadata={"description": "Tasks this completion opened that the officer may take next."},
    )


# ----------------------------------------------------------------------------------------- features


class ItemsSchema(ma.Schema):
    items = fields.List(fields.Dict(), required=True)


class SimulationRequestSchema(RequestSchema):
    procedure_code = _text(
        required=True, metadata={"description": "A catalog procedure, e.g. birth_registration"}
    )
    mode = fields.String(
        load_default="compare",
        validate=validate.OneOf(["compare", "as-is", "to-be"]),
        metadata={"description": "compare runs as-is against to-be on common random numbers"},
    )
    cases = fields.Integer(validate=validate.Range(min=10, max=20_000), load_default=None)
    replications = fields.Integer(validate=validate.Range(min=2, max=20), load_default=None)
    seed = fields.Integer(validate=validate.Range(min=0, max=2**31 - 1), load_default=None)


class SimulationSchema(ma.Schema):
    result = fields.Raw(required=True, metadata={"description": "The simulation report."})
