"""Process designer pages: upload and check models, deploy versions, edit in the browser modeler."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine import services
from engine.bpmn.diagnostics import Diagnostic
from engine.bpmn.validation import SourceFile
from engine.errors import DeploymentRejected, InvalidInput
from engine.roles import Role

from .auth import app_context, current_user, require_roles

bp = Blueprint("designer", __name__, url_prefix="/designer")

DESIGNERS = (Role.DESIGNER, Role.ADMIN)
ACCEPTED = (".bpmn", ".bpmn20.xml", ".dmn", ".json")


def _uploaded() -> list[SourceFile]:
    files = []
    for storage in request.files.getlist("files"):
        if not storage or not storage.filename:
            continue
        name = storage.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if not name.lower().endswith(ACCEPTED):
            raise InvalidInput(
                _("Tệp %(name)s không được nhận: chỉ nhận .bpmn, .dmn và biểu mẫu .json.", name=name),
                fields={"files": name},
            )
        files.append(SourceFile(name, storage.read()))
    if not any(f.filename.lower().endswith((".bpmn", ".bpmn20.xml")) for f in files):
        raise InvalidInput(_("Hãy chọn ít nhất một tệp BPMN."), fields={"files": "required"})
    return files


def _bpmn_text(files: list[SourceFile]) -> str | None:
    bpmn = next((f for f in files if f.filename.lower().endswith((".bpmn", ".bpmn20.xml"))), None)
    return bpmn.content.decode("utf-8", errors="replace") if bpmn else None


def _diagnostic_dicts(diagnostics) -> list[dict]:
    return [d.to_dict() if isinstance(d, Diagnostic) else dict(d) for d in diagnostics]


@bp.get("/")
@require_roles(*DESIGNERS)
def index():
    return render_template(
        "designer/index.html", processes=services.list_processes(app_context()), user=current_user()
    )


@bp.post("/upload")
@require_roles(*DESIGNERS)
def upload():
    """Check the uploaded models; with action=deploy also deploy them when they pass."""
    ctx, user = app_context(), current_user()
    try:
        files = _uploaded()
    except InvalidInput as exc:
        flash(exc.message, "error")
        return render_template("designer/index.html", processes=services.list_processes(ctx), user=user), 422
    xml = _bpmn_text(files)
    if request.form.get("action") == "deploy":
        try:
            result = services.deploy(ctx, files, deployed_by=user)
        except DeploymentRejected as exc:
            return _report(files, xml, _diagnostic_dicts(exc.diagnostics), exc.message, 422)
        version = result.version
        if result.created:
            flash(
                _("Đã triển khai %(key)s phiên bản %(v)s.", key=version.process_key, v=version.version),
                "success",
            )
        else:
            flash(_("Mô hình không đổi: vẫn là phiên bản %(v)s.", v=version.version), "info")
        return redirect(url_for(".process", key=version.process_key))
    result = services.validate_models(ctx, files)
    message = (
        _("Mô hình hợp lệ; có thể triển khai.")
        if result.ok
        else _("Mô hình có %(n)s lỗi; chưa thể triển khai.", n=len(result.errors))
    )
    return _report(files, xml, _diagnostic_dicts(result.diagnostics), message, 200 if result.ok else 422)


def _report(files, xml, diagnostics, message, status):
    faulty = sorted(
        {d["element_id"] for d in diagnostics if d.get("element_id") and d["severity"] == "error"}
    )
    warned = sorted(
        {d["element_id"] for d in diagnostics if d.get("element_id") and d["severity"] != "error"}
        - set(faulty)
    )
    return render_template(
        "designer/report.html",
        files=[f.filename for f in files],
        xml=xml,
        diagnostics=diagnostics,
        message=message,
        ok=status == 200,
        marks={"error": faulty, "warning": warned},
        user=current_user(),
    ), status


@bp.get("/processes/<key>")
@require_roles(*DESIGNERS)
def process(key: str):
    ctx = app_context()
    versions = services.list_versions(ctx, key)
    return render_template("designer/process.html", key=key, versions=versions, user=current_user())


@bp.get("/versions/<int:version_id>")
@require_roles(*DESIGNERS)
def version(version_id: int):
    ctx = app_context()
    v = services.get_version(ctx, version_id)
    files = services.version_files(ctx, version_id)
    return render_template(
        "designer/version.html",
        v=v,
        xml=_bpmn_text(files),
        marks={"warning": sorted({w.get("element_id") for w in v.warnings if w.get("element_id")})},
        user=current_user(),
    )


@bp.get("/versions/<int:version_id>/edit")
@require_roles(*DESIGNERS)
def edit(version_id: int):
    ctx = app_context()
    v = services.get_version(ctx, version_id)
    files = services.version_files(ctx, version_id)
    return render_template("designer/edit.html", v=v, xml=_bpmn_text(files), user=current_user())


@bp.post("/versions/<int:version_id>/save")
@require_roles(*DESIGNERS)
def save(version_id: int):
    """Save the modeler's XML as a new version (other files of the version are kept). JSON answer."""
    ctx, user = app_context(), current_user()
    files = services.version_files(ctx, version_id)
    xml = request.form.get("xml") or ""
    if not xml.strip():
        return jsonify(ok=False, message=_("Không nhận được mô hình."), diagnostics=[]), 422
    target = next(f.filename for f in files if f.filename.lower().endswith((".bpmn", ".bpmn20.xml")))
    new_files = [SourceFile(target, xml.encode("utf-8")) if f.filename == target else f for f in files]
    try:
        result = services.deploy(ctx, new_files, deployed_by=user)
    except DeploymentRejected as exc:
        return jsonify(ok=False, message=exc.message, diagnostics=_diagnostic_dicts(exc.diagnostics)), 422
    v = result.version
    message = (
        _("Đã lưu thành phiên bản %(v)s.", v=v.version)
        if result.created
        else _("Không có thay đổi: vẫn là phiên bản %(v)s.", v=v.version)
    )
    flash(message, "success" if result.created else "info")
    return jsonify(ok=True, message=message, version=v.version, url=url_for(".process", key=v.process_key))
