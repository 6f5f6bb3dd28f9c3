"""Officer pages: the inbox, a task with its form, receiving a new dossier, and the dossier page."""

from __future__ import annotations

import io
import json
import tomllib
from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from engine import services
from engine.errors import InvalidInput, NotFound
from engine.roles import Role, Stage
from engine.services import dossiers as dossier_services
from engine.views import DossierDetail, TaskView

from . import forms as task_forms
from .auth import OFFICER_ROLES, app_context, current_user, require_roles
from .i18n import lang

bp = Blueprint("officer", __name__)

SCOPES = ("available", "mine", "done")
DOSSIERS_PER_PAGE = 50


def _is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def due_class(task: TaskView, now: datetime) -> str:
    """Colour of a due time: overdue (red), due within the hour (amber), later (green)."""
    if task.due_at is None or task.state != "open":
        return "due-none"
    left = (task.due_at - now).total_seconds()
    if left < 0:
        return "due-overdue"
    if left < 3600:
        return "due-soon"
    return "due-ok"


# --------------------------------------------------------------------------- inbox


@bp.get("/inbox")
@require_roles(*OFFICER_ROLES)
def inbox():
    ctx, user = app_context(), current_user()
    scope = request.args.get("scope", "available")
    scope = scope if scope in SCOPES else "available"
    stage = request.args.get("stage") or None
    stage = stage if stage in {s.value for s in Stage} else None
    procedure = request.args.get("procedure") or None
    tasks = services.list_tasks(ctx, user, scope=scope, stage=stage, process_key=procedure)
    context = dict(
        tasks=tasks,
        now=ctx.now(),
        due_class=due_class,
        scope=scope,
        stage=stage,
        procedure=procedure,
        stages=list(Stage),
        processes=services.list_processes(ctx),
        user=user,
    )
    if _is_htmx() and request.headers.get("HX-Target") == "task-list":
        return render_template("officer/_task_list.html", **context)
    return render_template("officer/inbox.html", **context)


def _row_or_redirect(task: TaskView):
    if _is_htmx():
        ctx = app_context()
        return render_template(
            "officer/_task_row.html", task=task, now=ctx.now(), due_class=due_class, user=current_user()
        )
    return redirect(request.referrer or url_for(".inbox"))


@bp.post("/tasks/<task_id>/claim")
@require_roles(*OFFICER_ROLES)
def claim(task_id: str):
    task = services.claim_task(app_context(), task_id, current_user())
    if not _is_htmx():
        flash(_("Đã nhận xử lý: %(label)s", label=task.label), "success")
    return _row_or_redirect(task)


@bp.post("/tasks/<task_id>/release")
@require_roles(*OFFICER_ROLES)
def release(task_id: str):
    task = services.release_task(app_context(), task_id, current_user())
    if not _is_htmx():
        flash(_("Đã trả lại việc: %(label)s", label=task.label), "info")
    return _row_or_redirect(task)


# --------------------------------------------------------------------------- task page


def task_schema(task: TaskView, version_id: int) -> dict[str, Any] | None:
    """The task's form: a form file deployed with its process version, else forms/<path>."""
    if not task.form:
        return None
    ctx = app_context()
    names = {task.form, task.form.rsplit("/", 1)[-1]}
    for f in services.version_files(ctx, version_id):
        if f.filename.lower().endswith(".json") and f.filename in names:
            try:
                schema = json.loads(f.content)
            except ValueError:
                return None
            return schema if isinstance(schema, dict) else None
    return task_forms.load_schema(ctx.settings.forms_dir, task.form)


def _render_task(
    task: TaskView, errors: dict[str, str] | None = None, posted: dict | None = None, status=200
):
    ctx, user = app_context(), current_user()
    detail = services.get_dossier(ctx, task.dossier_id, user)
    schema = task_schema(task, detail.dossier.process_version_id)
    form = task_forms.build_form(schema, task.data, lang(), posted) if schema is not None else None
    return (
        render_template(
            "officer/task.html",
            task=task,
            form=form,
            errors=errors or {},
            posted=posted or {},
            detail=detail,
            documents=manifest_documents(task.process_key),
            now=ctx.now(),
            due_class=due_class,
            user=user,
            may_work=task.state == "open" and user.has_role(task.role),
        ),
        status,
    )


@bp.get("/tasks/<task_id>")
@require_roles(*OFFICER_ROLES)
def task_page(task_id: str):
    task = services.get_task(app_context(), task_id, current_user())
    return _render_task(task)


@bp.post("/tasks/<task_id>/complete")
@require_roles(*OFFICER_ROLES)
def complete(task_id: str):
    ctx, user = app_context(), current_user()
    task = services.get_task(ctx, task_id, user)
    schema = task_schema(task, services.get_dossier(ctx, task.dossier_id, user).dossier.process_version_id)
    posted = request.form.to_dict()
    try:
        data = task_forms.parse_submission(schema, request.form)
        result = services.complete_task(ctx, task.id, user, data)
    except InvalidInput as exc:
        fields = exc.details.get("fields") or {}
        if not fields:
            raise
        flash(_("Một số trường cần được sửa."), "error")
        return _render_task(task, errors=fields, posted=posted, status=422)
    flash(_("Đã hoàn thành: %(label)s", label=result.task.label), "success")
    if result.next_tasks:
        return redirect(url_for(".task_page", task_id=result.next_tasks[0].id))
    waiting = services.list_tasks(ctx, user, scope="available", limit=1)
    if waiting:
        return redirect(url_for(".task_page", task_id=waiting[0].id))
    flash(_("Không còn việc nào đang chờ bạn."), "info")
    return redirect(url_for(".inbox"))


# --------------------------------------------------------------------------- dossiers


@bp.get("/dossiers")
@require_roles(*OFFICER_ROLES)
def dossiers():
    ctx, user = app_context(), current_user()
    find = request.args.get("find", "").strip().lstrip("#")
    if find:
        if find.isdigit():
            return redirect(url_for(".dossier_page", dossier_id=int(find)))
        flash(_("Nhập số hồ sơ, ví dụ 125."), "error")
    run_state = request.args.get("state") or None
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    items = services.list_dossiers(
        ctx, user, run_state=run_state, limit=DOSSIERS_PER_PAGE + 1, offset=(page - 1) * DOSSIERS_PER_PAGE
    )
    return render_template(
        "officer/dossiers.html",
        dossiers=items[:DOSSIERS_PER_PAGE],
        more=len(items) > DOSSIERS_PER_PAGE,
        page=page,
        state=run_state,
        user=user,
    )


@bp.route("/dossiers/new", methods=["GET", "POST"])
@require_roles(Role.INTAKE_OFFICER)
def new_dossier():
    ctx, user = app_context(), current_user()
    processes = services.list_processes(ctx)
    errors: dict[str, str] = {}
    if request.method == "POST":
        key = request.form.get("process", "")
        applicant = request.form.get("applicant_name", "").strip()
        channel = request.form.get("channel", "counter")
        if not applicant:
            errors["applicant_name"] = _("Trường này là bắt buộc.")
        if not key:
            errors["process"] = _("Chọn một thủ tục.")
        if not errors:
            data: dict[str, Any] = {"applicant_name": applicant}
            id_number = request.form.get("id_number", "").strip()
            if id_number:
                data["id_number"] = id_number
            dossier = services.submit_dossier(
                ctx, key, user.agency_code, data, submitted_by=user, channel=channel, applicant_name=applicant
            )
            flash(_("Đã tạo hồ sơ số %(id)s.", id=dossier.id), "success")
            mine = services.list_tasks(ctx, user, scope="available", limit=1000)
            first = next((t for t in mine if t.dossier_id == dossier.id), None)
            if first is not None:
                return redirect(url_for(".task_page", task_id=first.id))
            return redirect(url_for(".dossier_page", dossier_id=dossier.id))
    status = 422 if errors else 200
    return render_template(
        "officer/new_dossier.html", processes=processes, errors=errors, form=request.form, user=user
    ), status


def diagram_xml(version_id: int) -> str | None:
    files = services.version_files(app_context(), version_id)
    bpmn = next((f for f in files if f.filename.lower().endswith(".bpmn")), None)
    return bpmn.content.decode("utf-8", errors="replace") if bpmn else None


def highlights(detail: DossierDetail, now: datetime) -> dict[str, list[str]]:
    """Element ids to mark on the diagram: done, current (open tasks), overdue, failed."""
    completed = {e.activity for e in detail.events if e.lifecycle == "complete"}
    current = {t.bpmn_id for t in detail.tasks if t.state == "open"}
    overdue = {t.bpmn_id for t in detail.tasks if t.state == "open" and t.due_at and t.due_at < now}
    failed = {detail.dossier.error_element} if detail.dossier.error_element else set()
    return {
        "completed": sorted(completed - current - failed),
        "current": sorted(current - overdue),
        "overdue": sorted(overdue),
        "error": sorted(failed),
    }


@bp.get("/dossiers/<int:dossier_id>")
@require_roles(*OFFICER_ROLES)
def dossier_page(dossier_id: int):
    ctx, user = app_context(), current_user()
    detail = services.get_dossier(ctx, dossier_id, user)
    now = ctx.now()
    return render_template(
        "officer/dossier.html",
        detail=detail,
        d=detail.dossier,
        xml=diagram_xml(detail.dossier.process_version_id),
        marks=highlights(detail, now),
        now=now,
        due_class=due_class,
        documents=manifest_documents(detail.dossier.process_key),
        paperwork=paperwork(ctx, dossier_id, user),
        user=user,
    )


#: The legal forms a dossier has, by what happened to it (Circular 01/2018 and 03/2025).
FORM_LABELS = {
    "receipt": ("Giấy tiếp nhận và hẹn trả kết quả", "Receipt and appointment slip"),
    "supplement": ("Phiếu yêu cầu bổ sung hồ sơ", "Supplement request"),
    "refusal": ("Phiếu từ chối tiếp nhận", "Refusal of reception"),
    "apology": ("Phiếu xin lỗi và hẹn lại ngày trả", "Apology and new appointment date"),
    "stop_notice": ("Thông báo dừng xử lý hồ sơ", "Notice of stopped processing"),
    "control_slip": ("Phiếu kiểm soát quá trình giải quyết", "Processing control slip"),
}


def paperwork(ctx, dossier_id: int, user) -> dict[str, Any]:
    """The forms this dossier has and whether its signed result was issued, for the download list."""
    view = dossier_services.get_lifecycle(ctx, dossier_id, user)
    forms = ["control_slip"]
    if view.code:
        forms.insert(0, "receipt")
    if view.status == 3:
        forms.append("refusal")
    if view.requested_documents:
        forms.append("supplement")
    if view.apology_count:
        forms.append("apology")
    if view.status == 8:
        forms.append("stop_notice")
    english = lang() == "en"
    return {
        "forms": [(f, FORM_LABELS[f][1 if english else 0]) for f in forms],
        "result": dossier_services.result_document(ctx, dossier_id) is not None,
    }


@bp.get("/dossiers/<int:dossier_id>/forms/<form>.pdf")
@require_roles(*OFFICER_ROLES)
def dossier_form(dossier_id: int, form: str):
    """A legal form of the dossier as PDF (officers of the dossier's agency)."""
    ctx, user = app_context(), current_user()
    dossier_services.get_lifecycle(ctx, dossier_id, user)  # another agency's dossier: not found
    pdf = dossier_services.render_form(ctx, dossier_id, form, user.full_name)
    return send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"{form}-{dossier_id}.pdf")


@bp.get("/dossiers/<int:dossier_id>/result.pdf")
@require_roles(*OFFICER_ROLES)
def dossier_result(dossier_id: int):
    """The signed result document (PAdES) of the dossier, once the stamping step issued it."""
    ctx, user = app_context(), current_user()
    view = dossier_services.get_lifecycle(ctx, dossier_id, user)
    found = dossier_services.result_document(ctx, dossier_id)
    if found is None:
        raise NotFound(_("Hồ sơ chưa có kết quả được ký số."))
    return send_file(
        io.BytesIO(found[1]),
        mimetype="application/pdf",
        download_name=f"ket-qua-{view.code or dossier_id}.pdf",
    )


@bp.post("/dossiers/<int:dossier_id>/retry")
@require_roles(*OFFICER_ROLES)
def retry(dossier_id: int):
    """Run the failed step of a dossier in error again (after its cause was fixed)."""
    dossier = services.retry_dossier(app_context(), dossier_id, current_user())
    if dossier.run_state == "error":
        flash(_("Chạy lại vẫn lỗi: %(message)s", message=dossier.error_message), "error")
    else:
        flash(_("Đã chạy lại bước lỗi; hồ sơ tiếp tục được xử lý."), "success")
    return redirect(url_for(".dossier_page", dossier_id=dossier_id))


def procedure_code(process_key: str) -> str:
    for suffix in ("_as_is", "_to_be"):
        if process_key.endswith(suffix):
            return process_key[: -len(suffix)]
    return process_key


def manifest_documents(process_key: str) -> list[dict[str, Any]]:
    """Required documents from the procedure's manifest, when the catalog has one."""
    path = app_context().settings.processes_dir / procedure_code(process_key) / "manifest.toml"
    try:
        manifest = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    docs = manifest.get("documents") or []
    return [d for d in docs if isinstance(d, dict)]
