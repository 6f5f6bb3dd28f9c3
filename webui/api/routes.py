"""The REST API's resources. Views stay thin: parse, call one use case, dump its read model."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from flask import current_app
from flask_smorest import Blueprint, abort

from engine import services
from engine.bpmn.validation import SourceFile
from engine.context import Context
from engine.jsondata import json_default
from engine.roles import Role
from engine.services import simulation as simulation_services
from engine.services import sla as sla_services
from engine.views import View

from . import schemas as s
from .auth import authenticate, current_user
from .errors import api_error_response

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL

# Documented on every authenticated operation (flask-smorest documents 422 for arguments itself).
_ERRORS = (401, 403, 404, 409)


def _ctx() -> Context:
    return current_app.extensions["motcua"]


def _blueprint(name: str, description: str) -> Blueprint:
    blp = Blueprint(name, __name__, url_prefix=f"/api/v1/{name}", description=description)
    blp.before_request(authenticate)
    blp.register_error_handler(Exception, api_error_response)
    return blp


def _errors(blp: Blueprint, *codes: int):
    """Document error responses (the shared error schema) on an operation."""

    def decorate(view):
        for code in reversed(codes or _ERRORS):
            view = blp.alt_response(code, schema=s.ErrorSchema, description=_DESCRIPTIONS[code])(view)
        return view

    return decorate


_DESCRIPTIONS = {
    400: "Malformed request",
    401: "Missing, unknown or revoked bearer token",
    403: "The officer's roles do not allow this",
    404: "Not found, or not in the officer's agency",
    409: "Conflicts with the current state (another officer acted first)",
    422: "Invalid input; `fields` names each problem",
}


def _id(value: int) -> int:
    if value > MAX_ID:
        abort(404, message=f"Không có hồ sơ {value}. / There is no dossier {value}.")
    return value


# ============================================================================== processes

processes = _blueprint("processes", "Deploy process models and list their versions.")


@processes.get("")
@processes.response(200, s.ProcessSchema(many=True))
@_errors(processes, 401)
def list_processes():
    """List deployed processes with their latest version."""
    return services.list_processes(_ctx())


@processes.post("")
@processes.arguments(s.DeployQuerySchema, location="query")
@processes.arguments(s.DeployFilesSchema, location="files")
@processes.response(201, s.DeploymentSchema, description="A new version was deployed")
@processes.alt_response(200, schema=s.DeploymentSchema, description="The same files were already deployed")
@processes.alt_response(422, schema=s.ErrorSchema, description="The model is invalid; see `diagnostics`")
@_errors(processes, 401, 403, 409)
def deploy_process(query: dict, files: dict):
    """Deploy BPMN (and DMN, form) files as a new version of a process (designers only)."""
    ctx = _ctx()
    limit = ctx.settings.max_upload_bytes
    sources = []
    for upload in files["files"]:
        content = upload.read(limit + 1)
        if len(content) > limit:
            abort(
                413, message=f"Tệp {upload.filename} vượt quá {limit} byte. / The file exceeds {limit} bytes."
            )
        name = (upload.filename or "").strip() or "upload.bpmn"
        bad = s.bad_text(name)
        if bad:
            abort(
                422, message="Tên tệp không hợp lệ. / Invalid file name.", errors={"files": s.bad_text(name)}
            )
        sources.append(SourceFile(name, content))
    result = services.deploy(ctx, sources, current_user(), process_id=query["process_id"])
    return result, 201 if result.created else 200


@processes.get("/<string:process_key>/versions")
@processes.response(200, s.VersionSchema(many=True))
@_errors(processes, 401, 404)
def list_versions(process_key: str):
    """List a process's versions, newest first."""
    if s.bad_text(process_key):
        abort(404, message="Không có quy trình này. / There is no such process.")
    return services.list_versions(_ctx(), process_key)


# ============================================================================== dossiers

dossiers = _blueprint("dossiers", "Submit dossiers and follow them.")


@dossiers.post("")
@dossiers.arguments(s.SubmitDossierSchema)
@dossiers.response(201, s.DossierSchema)
@_errors(dossiers, 401, 403, 404, 409)
def submit_dossier(body: dict):
    """Submit a dossier on the latest (or a given) version of a process, in the officer's agency."""
    user = current_user()
    return services.submit_dossier(
        _ctx(),
        body["process_key"],
        body["agency_code"] or user.agency_code,
        body["data"],
        submitted_by=user,
        channel=body["channel"],
        applicant_name=body["applicant_name"],
        version=body["version"],
    )


@dossiers.get("/<int:dossier_id>")
@dossiers.response(200, s.DossierDetailSchema)
@_errors(dossiers, 401, 404)
def get_dossier(dossier_id: int):
    """A dossier with its tasks, event log and timers (only in the officer's agency)."""
    return services.get_dossier(_ctx(), _id(dossier_id), viewer=current_user())


# ============================================================================== tasks

tasks = _blueprint("tasks", "The officer's inbox: list, claim, release and complete tasks.")


@tasks.get("")
@tasks.arguments(s.TaskQuerySchema, location="query")
@tasks.response(200, s.TaskSummarySchema(many=True))
@_errors(tasks, 401)
def list_tasks(query: dict):
    """The officer's tasks: overdue first, then by due time."""
    return services.list_tasks(
        _ctx(),
        current_user(),
        scope=query["scope"],
        stage=query["stage"],
        process_key=query["process_key"],
        limit=query["limit"],
    )


@tasks.get("/<uuid:task_id>")
@tasks.response(200, s.TaskSchema)
@_errors(tasks, 401, 404)
def get_task(task_id):
    """One task of the officer's agency."""
    return services.get_task(_ctx(), task_id, current_user())


@tasks.post("/<uuid:task_id>/claim")
@tasks.response(200, s.TaskSchema)
@_errors(tasks)
def claim_task(task_id):
    """Claim an open task the officer's roles allow."""
    return services.claim_task(_ctx(), task_id, current_user())


@tasks.post("/<uuid:task_id>/release")
@tasks.response(200, s.TaskSchema)
@_errors(tasks)
def release_task(task_id):
    """Give a claimed task back to the inbox (the claimant, or a supervisor)."""
    return services.release_task(_ctx(), task_id, current_user())


@tasks.post("/<uuid:task_id>/complete")
@tasks.arguments(s.CompleteTaskSchema)
@tasks.response(200, s.CompletionSchema)
@_errors(tasks)
def complete_task(body: dict, task_id):
    """Complete a task with the form's data; the process runs on to its next wait."""
    return services.complete_task(_ctx(), task_id, current_user(), body["data"])


# ============================================================================== features of other modules


def plain_data(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_data(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity (an empty interval, a ratio over zero)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json_default(value)


def _plain(value: Any) -> Any:
    """A feature's read model as JSON-ready data (views, dataclasses, lists, dicts)."""
    if isinstance(value, View) or hasattr(value, "to_dict"):
        return plain_data(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain_data(dataclasses.asdict(value))
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return plain_data(value)


escalations = _blueprint("escalations", "Steps and dossiers escalated for being late, and apology alerts.")


@escalations.get("")
@escalations.response(200, s.ItemsSchema)
@_errors(escalations, 401, 403)
def list_escalations():
    """A supervisor's escalations in their agency, newest first."""
    return {"items": _plain(sla_services.list_escalations(_ctx(), current_user()))}


simulations = _blueprint("simulations", "Simulate a catalog procedure (reform analysts).")


@simulations.post("")
@simulations.arguments(s.SimulationRequestSchema)
@simulations.response(200, s.SimulationSchema)
@_errors(simulations, 401, 403, 404, 422)
def run_simulation(body: dict):
    """Simulate a catalog procedure with its shipped scenarios: one variant, or as-is against to-be on
    common random numbers (the report's times are in seconds)."""
    user = current_user()
    if not ({Role.REFORM_ANALYST, Role.DESIGNER, Role.ADMIN} & set(user.roles)):
        abort(403, message="Chỉ cán bộ phân tích cải cách được mô phỏng. / Only reform analysts may.")
    report = simulation_services.simulate_procedure(
        _ctx(),
        body["procedure_code"],
        body.get("mode", "compare"),
        cases=body.get("cases"),
        replications=body.get("replications"),
        seed=body.get("seed"),
    )
    return {"result": plain_data(report)}
